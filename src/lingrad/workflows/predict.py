"""Predict a table with a model file (``lingrad predict``): read batches,
predict, write batches."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

from lingrad.workflows.figures import Warn, as_warning

if TYPE_CHECKING:
    from lingrad.data.frame import Frame
    from lingrad.workflows.writer import Column


def run_predict(
    model: Path,
    data: str | list[str],
    out: Path | None,
    proba: bool,
    id_column: str | None,
    *,
    warn: Warn = as_warning,
) -> int:
    """Predict every row of ``data`` (a table, or several read as one) with the
    model in ``model``; write to ``out`` (stdout for None); returns the rows. The
    first batch is read and checked before the output opens, so bad input leaves
    no file. A table without the model's ID column: ``warn`` says so."""
    from lingrad.errors import DataError, LingradError
    from lingrad.workflows.apply import (
        batches,
        has_proba,
        open_model,
        predict,
        where_in,
    )
    from lingrad.workflows.tables import is_builtin
    from lingrad.workflows.writer import Writer, destination, output_format

    kind = output_format(out)
    loaded = open_model(str(model))
    if proba and not has_proba(loaded):
        raise LingradError(
            f"{model}: a {type(loaded.model).__name__} gives no class probabilities; "
            "leave out --proba"
        )
    ids = id_column or loaded.id_column
    sources = [data] if isinstance(data, str) else data
    for source in sources:
        if ids is not None and not is_builtin(source):
            from lingrad.data.io import columns

            if ids not in columns(source):
                if id_column is not None:
                    raise DataError(f"{source}: ID column {ids!r} not found (--id)")
                warn(
                    f"{source} has no column {ids!r} (the model's ID column); the "
                    "predictions are written without IDs"
                )
                ids = None
    names = [str(c) for c in loaded.model.classes_] if proba else []

    def all_batches() -> Generator[tuple[str, Frame], None, None]:
        for source in sources:
            with contextlib.closing(batches(loaded, source, None, id_column=ids)) as b:
                yield from ((source, frame) for frame in b)

    with contextlib.closing(all_batches()) as parts:
        first = next(parts)  # read and checked before any file opens
        with destination(out) as stream:
            writer = Writer(stream, kind)
            for source, frame in itertools.chain([first], parts):
                pred, P = predict(loaded, frame.X, proba, where_in(source, frame))
                out_columns: dict[str, Column] = {}
                if frame.ids is not None:
                    out_columns[str(ids)] = frame.ids
                out_columns["prediction"] = pred
                for j, name in enumerate(names):
                    assert P is not None  # names only with probabilities
                    out_columns[f"proba_{name}"] = P[:, j]
                writer.write(out_columns)
            writer.close()
    return int(writer.rows)


def run_predict_many(
    model: Path, files: list[Path], out: Path | None, proba: bool,
    id_column: str | None, *, warn: Warn = as_warning,
) -> tuple[int, int]:  # fmt: skip
    """Predictions for a folder or glob of tables.

    ``--out`` a file (.csv / .tsv / .parquet / a special file): every table's rows
    in one file, in file order; ``--out`` a folder (existing, or a name without a
    suffix): one file per table, ``<name>.predictions.<csv|parquet>`` (Parquet for
    Parquet input), all written or none; no ``--out``: CSV to stdout. Returns
    (rows, files written): 0 files for one output.
    """
    import shutil
    import tempfile

    from lingrad.workflows.writer import is_special

    sources = [str(f) for f in files]
    if out is None or is_special(out) or (out.suffix and not out.is_dir()):
        return run_predict(model, sources, out, proba, id_column, warn=warn), 0
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        names, rows = [], 0
        for f in files:
            suffix = ".parquet" if f.suffix.lower() in (".parquet", ".pq") else ".csv"
            name = f"{f.stem}.predictions{suffix}"
            rows += run_predict(
                model, str(f), stage / name, proba, id_column, warn=warn
            )
            names.append(name)
        if not out.exists():
            stage.rename(out)  # the whole folder at once
        else:
            for name in names:
                (stage / name).replace(out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return rows, len(names)
