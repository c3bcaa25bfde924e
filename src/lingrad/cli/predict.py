"""``lingrad predict``: predictions of a saved model for a table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
            "name; order may differ; other columns are ignored), or a folder or "
            "glob of such files (with --out a folder: one predictions file each).",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the predictions to this file: .csv, .tsv, .txt or .parquet "
            "(default, or '-': CSV on stdout). /dev/stdout, /dev/stderr, a FIFO or "
            "a device are written where they stand, never truncated (a redirected "
            "file is appended to); a regular file is replaced at once when done.",
        ),
    ] = None,
    proba: Annotated[
        bool,
        typer.Option("--proba", help="Also write each class's probability."),
    ] = False,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Column to write beside each prediction (default: the ID column "
            "given to fit, where the table has it).",
        ),
    ] = None,
) -> None:
    """Predict every row of a table with a saved model.

    The feature columns are matched by name (their order may differ); the model's
    preprocessing (scaling, one-hot encoding, imputation) is applied as at fit.
    Writes the ID column (when fit had --id), a 'prediction' column, and
    'proba_<class>' columns with --proba.
    """
    from lingrad.cli._common import echo, warn_line
    from lingrad.scale.tablefiles import is_many, list_files
    from lingrad.workflows.predict import run_predict, run_predict_many
    from lingrad.workflows.writer import is_special

    if is_many(data):  # a folder or glob of tables
        files = list_files(data)
        rows, n = run_predict_many(model, files, out, proba, id_column, warn=warn_line)
        if n:
            echo(
                f"wrote {rows} predictions of {len(files)} tables: {n} files in {out}/"
            )
            return
    else:
        rows = run_predict(model, data, out, proba, id_column, warn=warn_line)
    if out is not None and not is_special(out):
        echo(f"wrote {rows} predictions to {out}")
