"""``lingrad summary``: coefficients, standard errors, tests and intervals of a model."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import echo

EPILOG = (
    "Examples:  lingrad summary --model run1/model.lingrad --data houses.csv  |  "
    "lingrad summary -m run1/model.lingrad -d houses.csv --cov-type HC3 --json"
)


class CovType(str, Enum):
    nonrobust = "nonrobust"
    HC0 = "HC0"
    HC1 = "HC1"
    HC2 = "HC2"
    HC3 = "HC3"
    sandwich = "sandwich"


def summary(
    model: Annotated[
        Path,
        typer.Option("--model", "-m", help="A model file written by lingrad fit."),
    ],
    data: Annotated[
        str,
        typer.Option(
            "--data", "-d", help="CSV / Parquet file (or built-in data) with the "
            "feature columns and the target: usually the table fit read.",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (default: fit's)."),
    ] = None,
    level: Annotated[
        float, typer.Option(help="Confidence level of the intervals.")
    ] = 0.95,
    cov_type: Annotated[
        CovType,
        typer.Option(
            "--cov-type",
            help="nonrobust (inverse Fisher information), HC0-HC3 (robust "
            "sandwiches; HC2/HC3 least squares only) or sandwich (an L2-penalised "
            "fit's H⁻¹ I H⁻¹).",
        ),
    ] = CovType.nonrobust,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON.")
    ] = False,
) -> None:
    """Print the coefficient table of a saved linear, logistic or softmax model.

    Standard errors, t (least squares) or z tests, p-values and confidence
    intervals, with R², F, log-likelihood, AIC and BIC, as statsmodels prints
    them; for an unpenalised fit (a penalised one is refused with the reason,
    unless --cov-type sandwich).
    """
    doc = summarize(model, data, target, level, cov_type.value)
    if as_json:
        echo(json.dumps(doc["summary"].to_dict(), indent=2))
        return
    echo(f"{doc['estimator']} from {model} on {data}")
    echo(str(doc["summary"]))


def summarize(
    model: Path, data: str, target: str | None, level: float, cov_type: str
) -> dict[str, Any]:
    """``{"estimator", "summary"}`` of the model file on every row of ``data``."""
    import numpy as np

    from lingrad.cli._apply import open_model
    from lingrad.cli._scoring import _parts
    from lingrad.errors import DataError
    from lingrad.inference import summary as make_summary

    loaded = open_model(str(model))
    target = target or loaded.target
    parts = list(_parts(loaded, data, target, "all"))
    if not parts or not sum(len(p[1]) for p in parts):
        raise DataError(f"{data}: no rows to summarise")
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    result = make_summary(loaded.model, X, y, level=level, cov_type=cov_type)
    return {"estimator": result.model, "summary": result}


def fit_summary(result: Any) -> dict[str, Any] | None:
    """The summary of ``fit``'s model on its training rows, as JSON; None: no summary.

    For a supported estimator whose fit admits none (a penalty, one-vs-rest)
    or streamed / Dask data (the rows are not all in memory): the reason.
    """
    from lingrad.cli._prep import final_estimator
    from lingrad.inference.api import SUPPORTED, InferenceError
    from lingrad.inference.api import summary as make_summary

    if type(final_estimator(result.model)).__name__ not in SUPPORTED:
        return None
    d = result.data_summary
    if any(k in d for k in ("epochs over the file", "passes over the data", "Dask workers")):
        return {"unavailable": "streamed or Dask data: run lingrad summary on the table"}
    try:
        doc = make_summary(result.model, result.X_sample, result.y_train).to_dict()
    except InferenceError as e:
        return {"unavailable": str(e)}
    return doc
