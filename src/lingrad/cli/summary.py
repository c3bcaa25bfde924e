"""``lingrad summary``: coefficients, standard errors, tests, intervals of a model."""

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
            "--data",
            "-d",
            help="CSV / Parquet file (or built-in data) with the "
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


def fitted_summary(result: Any) -> Any:
    """The Summary of ``fit``'s model on its training rows, or the reason it has none.

    None for an estimator that has no summary; a string for a supported one
    whose fit admits none (a penalty, one-vs-rest) or whose rows are not all in
    memory (streamed / Dask data).
    """
    from lingrad.cli._prep import final_estimator
    from lingrad.inference.api import SUPPORTED, InferenceError
    from lingrad.inference.api import summary as make_summary

    if type(final_estimator(result.model)).__name__ not in SUPPORTED:
        return None
    d = result.data_summary
    if any(
        k in d for k in ("epochs over the file", "passes over the data", "Dask workers")
    ):
        return "streamed or Dask data: run lingrad summary on the table"
    X = result.X_sample
    names = getattr(result.model, "feature_names_in_", None)
    steps = getattr(result.model, "steps", None)  # a Pipeline fitted with names
    if steps and names is not None and getattr(X, "ndim", 0) == 2:
        import pyarrow as pa  # the rows as its first step was fitted: named

        X = pa.table({str(n): X[:, j] for j, n in enumerate(names)})
    try:
        return make_summary(result.model, X, result.y_train)
    except InferenceError as e:
        return str(e)


def fit_summary(result: Any) -> dict[str, Any] | None:
    """:func:`fitted_summary` as JSON (``{"unavailable": reason}`` without one)."""
    found = fitted_summary(result)
    if found is None or isinstance(found, str):
        return None if found is None else {"unavailable": found}
    doc: dict[str, Any] = found.to_dict()
    return doc


def coefficient_figure(result: Any, draw: Any) -> None:
    """Draw ``coefficients.png`` (the intervals) where the fit has a summary."""
    from lingrad.inference.plot import plot_coefficients

    found = fitted_summary(result)
    if found is not None and not isinstance(found, str):
        caption = f"Coefficients with {found.level:.0%} confidence intervals"
        draw("coefficients.png", caption + ", training rows", plot_coefficients, found)


def coefficient_html(result: Any) -> str:
    """The report's coefficient-table section ('' for a model without one)."""
    import html

    found = fitted_summary(result)
    if found is None:
        return ""
    body = (
        f"<p>{html.escape(found)}</p>"
        if isinstance(found, str)
        else found._repr_html_()
    )
    return f'<section id="coefficients"><h2>Coefficients</h2>{body}</section>'
