"""``lingrad predict``: predictions of a saved model for a table."""

from __future__ import annotations

import csv
import io
import itertools
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import echo

EPILOG = (
    "Example:  lingrad predict --model run1/model.lingrad --data new_houses.csv "
    "--out preds.csv"
)


def predict(
    model: Annotated[
        Path,
        typer.Option("--model", "-m", help="A model file written by lingrad fit."),
    ],
    data: Annotated[
        str,
        typer.Option(
            "--data",
            "-d",
            help="CSV / Parquet file with the model's feature columns (matched by "
            "name; order may differ; other columns are ignored).",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the predictions to this CSV file (default: print them).",
        ),
    ] = None,
    proba: Annotated[
        bool,
        typer.Option("--proba", help="Also write each class's probability."),
    ] = False,
) -> None:
    """Predict every row of a table with a saved model.

    The feature columns are matched by name (their order may differ). Writes CSV
    with a 'prediction' column, and 'proba_<class>' columns with --proba.
    """
    from lingrad.cli._apply import batches, has_proba, open_model, predict
    from lingrad.errors import LingradError

    loaded = open_model(str(model))
    if proba and not has_proba(loaded):
        raise LingradError(
            f"{model}: a {type(loaded.model).__name__} gives no class probabilities; "
            "leave out --proba"
        )
    header = ["prediction"]
    if proba:
        header += [f"proba_{c}" for c in loaded.model.classes_]
    parts = batches(loaded, data, None)
    first = next(parts)  # the first batch is read and checked before any file opens
    parts = itertools.chain([first], parts)

    def write(f: Any) -> int:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        n = 0
        for X, _y, _row0 in parts:
            pred, P = predict(loaded, X, proba)
            cols = [pred] + ([] if P is None else list(P.T))
            writer.writerows(zip(*[c.tolist() for c in cols], strict=True))
            n += len(X)
        return n

    if out is None:
        write(sys.stdout)
        sys.stdout.flush()
        return
    from lingrad.io import atomic_open

    with atomic_open(out) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        n = write(text)
        text.flush()
        text.detach()
    echo(f"wrote {n} predictions to {out}")
