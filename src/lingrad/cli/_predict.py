"""The work of ``lingrad predict``: read batches, predict, write batches."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

from lingrad.cli._common import echo, warn_line


def run_predict(
    model: Path, data: str, out: Path | None, proba: bool, id_column: str | None
) -> None:
    """Predict every row of ``data`` with the model in ``model``; write to ``out``
    (stdout for None). The first batch is read and checked before the output
    opens, so bad input leaves no file."""
    from lingrad.cli._apply import batches, has_proba, open_model, predict
    from lingrad.cli._data import is_builtin
    from lingrad.cli._writer import Writer, destination, is_special, output_format
    from lingrad.errors import DataError, LingradError

    kind = output_format(out)
    loaded = open_model(str(model))
    if proba and not has_proba(loaded):
        raise LingradError(
            f"{model}: a {type(loaded.model).__name__} gives no class probabilities; "
            "leave out --proba"
        )
    ids = id_column or loaded.id_column
    if ids is not None and not is_builtin(data):
        from lingrad.io import columns

        if ids not in columns(data):
            if id_column is not None:
                raise DataError(f"{data}: ID column {ids!r} not found (--id)")
            warn_line(
                f"{data} has no column {ids!r} (the model's ID column); the "
                "predictions are written without IDs"
            )
            ids = None
    names = [str(c) for c in loaded.model.classes_] if proba else []
    with contextlib.closing(batches(loaded, data, None, id_column=ids)) as parts:
        first = next(parts)  # read and checked before any file opens
        with destination(out) as stream:
            writer = Writer(stream, kind)
            for frame in itertools.chain([first], parts):
                pred, P = predict(loaded, frame.X, proba)
                columns = {} if frame.ids is None else {str(ids): frame.ids}
                columns["prediction"] = pred
                for j, name in enumerate(names):
                    columns[f"proba_{name}"] = P[:, j]
                writer.write(columns)
            writer.close()
    if out is not None and not is_special(out):
        echo(f"wrote {writer.rows} predictions to {out}")
