"""``lingrad summary``: coefficients, standard errors, tests, intervals of a model."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

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
    from lingrad.workflows.coefficients import summarize

    doc = summarize(model, data, target, level, cov_type.value)
    if as_json:
        echo(json.dumps(doc["summary"].to_dict(), indent=2))
        return
    echo(f"{doc['estimator']} from {model} on {data}")
    echo(str(doc["summary"]))
