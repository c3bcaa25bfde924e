"""``lingrad evaluate``: metrics of a saved model on a labelled table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import echo

EPILOG = (
    "Examples:  lingrad evaluate --model run1/model.lingrad --data houses.csv "
    "--split test  |  lingrad evaluate -m run1/model.lingrad -d new.csv --json"
)


class Split(str, Enum):
    all = "all"
    train = "train"
    test = "test"


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
        typer.Option(
            "--target", "-t", help="Target column (default: the one fit used)."
        ),
    ] = None,
    split: Annotated[
        Split,
        typer.Option(
            help="Rows to score: all, or the held-out (test) / training rows of "
            "fit's --test-size split, re-created from the seed and test size saved "
            "in the model (give the table fit read).",
        ),
    ] = Split.all,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the metrics as JSON (for machines)."),
    ] = False,
) -> None:
    """Score a saved model on a labelled table.

    Regressors: R², MSE, RMSE, MAE. Classifiers: accuracy, log-loss, precision,
    recall and F1 per class and their macro means, ROC AUC (two classes), and the
    confusion matrix. A table on screen, or all of it as JSON with --json.
    """
    from lingrad.workflows.scoring import score

    doc = score(model, data, target, split.value)
    if as_json:
        from lingrad.report.values import jsonable

        echo(json.dumps(jsonable(doc), indent=2))
        return
    _table(doc, doc["metrics"])


def _table(doc: Mapping[str, object], metrics: Mapping[str, Any]) -> None:
    """The scores on screen (``metrics``: the JSON document workflows.scoring built)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    rows = f"{metrics['n']} rows" + (
        f", the {doc['split']} split of fit" if doc["split"] != "all" else ""
    )
    console.print(f"{doc['estimator']} from {doc['model']} on {doc['data']} ({rows})")
    table = Table(show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    labels = {
        "r2": "R²",
        "log_loss": "log-loss",
        "precision_macro": "precision (macro)",
        "recall_macro": "recall (macro)",
        "f1_macro": "F1 (macro)",
        "roc_auc": "ROC AUC",
    }
    for key in (
        "accuracy", "log_loss", "precision_macro", "recall_macro", "f1_macro",
        "roc_auc", "r2", "mse", "rmse", "mae",
    ):  # fmt: skip
        value = metrics.get(key)
        if isinstance(value, float):
            table.add_row(labels.get(key, key.upper()), f"{value:.6g}")
    console.print(table)
    if "per_class" in metrics:
        pc = Table(title="per class", header_style="bold")
        for name in ("class", "precision", "recall", "F1", "support"):
            pc.add_column(name, justify="left" if name == "class" else "right")
        for label, m in metrics["per_class"].items():
            pc.add_row(
                label,
                f"{m['precision']:.4g}",
                f"{m['recall']:.4g}",
                f"{m['f1']:.4g}",
                str(m["support"]),
            )
        console.print(pc)
    if "confusion_matrix" in metrics:
        labels_ = [str(c) for c in metrics["classes"]]
        cm = Table(title="confusion matrix", caption="rows: true, columns: predicted")
        cm.add_column("")
        for label in labels_:
            cm.add_column(label, justify="right")
        for label, row in zip(labels_, metrics["confusion_matrix"], strict=True):
            cm.add_row(label, *[str(v) for v in row])
        console.print(cm)
