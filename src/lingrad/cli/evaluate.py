"""``lingrad evaluate``: metrics of a saved model on a labelled table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import echo

EPILOG = (
    "Example:  lingrad evaluate --model run1/model.lingrad --data test.csv "
    "--target price --json"
)


def evaluate(
    model: Annotated[
        Path,
        typer.Option("--model", "-m", help="A model file written by lingrad fit."),
    ],
    data: Annotated[
        str,
        typer.Option(
            "--data",
            "-d",
            help="CSV / Parquet file (or built-in data) with the feature columns and "
            "the target.",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (files: required)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the metrics as JSON (for machines)."),
    ] = False,
) -> None:
    """Score a saved model on a labelled table.

    Regressors: R², MSE, RMSE, MAE. Classifiers: accuracy, log-loss and the
    confusion matrix. A table on screen, or JSON with --json.
    """
    from lingrad.cli._apply import batches, has_proba, open_model, predict
    from lingrad.cli._data import is_builtin
    from lingrad.cli._metrics import metrics_for
    from lingrad.errors import DataError
    from lingrad.targets import as_regression_target, check_labels

    if target is None and not is_builtin(data):
        raise DataError(f"{data}: say which column is the target with --target COLUMN")
    loaded = open_model(str(model))
    classifier = loaded.is_classifier
    acc = metrics_for(loaded.model.classes_ if classifier else None)
    check_y = check_labels if classifier else as_regression_target
    proba = classifier and has_proba(loaded)
    for X, y, row0 in batches(loaded, data, target, labelled=True):
        pred, P = predict(loaded, X, proba)
        acc.update(check_y(y, data, target, row0), pred, P)
    metrics = acc.result()
    name = type(loaded.model).__name__
    if hasattr(loaded.model, "estimator_"):
        name = f"{loaded.model.model} (standardized inputs)"
    doc = {
        "model": str(model),
        "estimator": name,
        "data": data,
        "target": target,
        "metrics": metrics,
    }
    if as_json:
        from lingrad.cli._outputs import jsonable

        echo(json.dumps(jsonable(doc), indent=2))
        return
    _table(doc, metrics)


def _table(doc: dict[str, Any], metrics: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(
        f"{doc['estimator']} from {doc['model']} on {doc['data']} ({metrics['n']} rows)"
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("accuracy", "log_loss", "r2", "mse", "rmse", "mae"):
        value = metrics.get(key)
        if isinstance(value, float):
            label = {"r2": "R²", "log_loss": "log-loss"}.get(
                key, key.upper() if len(key) <= 4 else key
            )
            table.add_row(label, f"{value:.6g}")
    console.print(table)
    if "confusion_matrix" in metrics:
        labels = [str(c) for c in metrics["classes"]]
        cm = Table(title="confusion matrix", caption="rows: true, columns: predicted")
        cm.add_column("")
        for label in labels:
            cm.add_column(label, justify="right")
        for label, row in zip(labels, metrics["confusion_matrix"], strict=True):
            cm.add_row(label, *[str(v) for v in row])
        console.print(cm)
