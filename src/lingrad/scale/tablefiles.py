"""A table in many pieces: one file, a folder or a glob of CSV / Parquet files.

The files are one table (the same columns, in any order); a *piece* is what
can be read on its own: a Parquet row group, or a whole CSV file. Pieces are
read in record batches and checked as ``lingrad.data.io`` checks a file, so a bad
cell is named by file, column and row (rows counted from each file's first
data row). Streaming (:mod:`lingrad.scale.stream`) and the Dask engine read
the table through these functions.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from lingrad.errors import DataError

if TYPE_CHECKING:
    from lingrad.core.nodes import Array
    from lingrad.data.frame import Form, Frame, Layout

SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")
# a missing cell (lingrad.data.columns.missing_cells) is refused as in memory
FEATURE_HINT = "fill it or drop that row, or use --impute mean|most_frequent|drop"
TARGET_HINT = (
    "every row needs a target value: fill it or drop that row, or use --impute "
    "drop (it leaves out the rows with a missing cell)"
)


def list_files(data: str) -> list[Path]:
    """The table files of ``data``: the file itself, a folder's or a glob's, sorted."""
    p = Path(data)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in SUFFIXES)
        if not files:
            raise DataError(
                f"{p}: the folder holds no {', '.join(SUFFIXES)} files; give a "
                "folder of table files, a glob such as 'parts/*.parquet', or a file"
            )
        return files
    if any(ch in data for ch in "*?[") and not p.exists():
        files = sorted(Path(f) for f in glob.glob(data) if Path(f).is_file())
        if not files:
            raise DataError(f"{data}: no file matches this pattern")
        return files
    return [p]


def is_many(data: str) -> bool:
    """Whether ``data`` names a folder or a glob (rather than one file)."""
    return Path(data).is_dir() or (
        any(ch in data for ch in "*?[") and not Path(data).exists()
    )


@dataclass(frozen=True)
class Piece:
    """A file, or one row group of a Parquet file: ``n_rows`` (None: unknown)
    rows starting at data row ``row0`` of the file."""

    path: Path
    row_group: int | None
    row0: int
    n_rows: int | None

    @property
    def name(self) -> str:
        if self.row_group is None:
            return str(self.path)
        return f"{self.path} (row group {self.row_group + 1})"


def open_files(
    files: Sequence[Path], target: str | None, features: Sequence[str] | None
) -> tuple[list[Piece], list[str]]:
    """Every piece of the files, and the feature columns (checked in each file)."""
    from lingrad.data.io import open_table_source

    pieces: list[Piece] = []
    names: list[str] | None = None
    for f in files:
        src, _, feats, _ = open_table_source(
            f, target, features if names is None else names
        )
        names = names or feats
        if src.kind == "parquet":
            from lingrad.data.tablefile import parquet_file

            meta = parquet_file(src.path).metadata
            row0 = 0
            for g in range(meta.num_row_groups):
                n = meta.row_group(g).num_rows
                pieces.append(Piece(src.path, g, row0, n))
                row0 += n
        else:
            pieces.append(Piece(src.path, None, 0, None))
    assert names is not None
    return pieces, list(names)


def read_piece(
    piece: Piece, target: str | None, features: Sequence[str], batch_rows: int
) -> Iterator[tuple[Array, Array | None, int]]:
    """``(X, y, row0)`` record batches of a piece, checked; row0 counts in the file.

    Without features, only the target column is read (X has no columns).
    """
    import dataclasses

    from lingrad.data.columns import target_values, to_xy
    from lingrad.data.tablefile import batches, open_source, parquet_file

    src = open_source(piece.path)
    src = dataclasses.replace(
        src,
        n_features=len(features),
        feature_hint=FEATURE_HINT,
        target_hint=TARGET_HINT,
    )
    names = list(features) + ([target] if target is not None else [])
    row0 = piece.row0
    if piece.row_group is None:
        reader: Iterator[pa.RecordBatch] = batches(src, names, batch_rows)
    else:
        pf = parquet_file(src.path, pre_buffer=False, buffer_size=1 << 20)
        reader = pf.iter_batches(
            batch_size=batch_rows, columns=names, row_groups=[piece.row_group]
        )
    try:
        for batch in reader:
            if len(batch) and features:
                X = _plain_numbers(batch, features)
                if X is None:  # not all finite numbers: the checks name the cell
                    X, y = to_xy(src, batch, list(features), target, row0)
                else:
                    y = (
                        None
                        if target is None
                        else target_values(src, batch.column(target), target, row0)
                    )
                yield X, y, row0
            elif len(batch) and target is not None:
                y = target_values(src, batch.column(target), target, row0)
                yield np.empty((len(batch), 0)), y, row0
            row0 += len(batch)
    except pa.ArrowException as e:
        raise DataError(f"{piece.name}: cannot read ({str(e).splitlines()[0]})") from e
    except DataError as e:  # a CSV: re-read as text to name the bad cell
        from lingrad.data.io import precise_error

        raise precise_error(src, list(features), target, e) from None
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()


def read_frames(
    piece: Piece,
    layout: Layout,
    batch_rows: int,
    missing: str = "error",
    form: Form = "cells",
) -> Iterator[Frame]:
    """:class:`~lingrad.data.frame.Frame` batches of a piece with ``layout``'s
    columns (ID, text features, missing cells) read as ``read_frame`` reads a
    file (text features in ``form``: see ``convert_batch``); ``frame.rows``
    count in the file."""
    import dataclasses

    from lingrad.data.frame import convert_batch
    from lingrad.data.tablefile import batches, open_source, parquet_file

    src = open_source(piece.path)
    features = list(layout.features)
    src = dataclasses.replace(
        src, n_features=len(features), text_columns=frozenset(features),
        feature_hint=FEATURE_HINT, target_hint=TARGET_HINT,
    )  # fmt: skip
    extra = [c for c in (layout.target, layout.id) if c is not None]
    row0 = piece.row0
    if piece.row_group is None:
        reader: Iterator[pa.RecordBatch] = batches(src, features + extra, batch_rows)
    else:
        pf = parquet_file(src.path, pre_buffer=False, buffer_size=1 << 20)
        reader = pf.iter_batches(
            batch_size=batch_rows, columns=features + extra,
            row_groups=[piece.row_group],
        )  # fmt: skip
    try:
        for batch in reader:
            if len(batch):
                yield convert_batch(
                    src, batch, layout, row0, missing, FEATURE_HINT, form
                )
            row0 += len(batch)
    except pa.ArrowException as e:
        raise DataError(f"{piece.name}: cannot read ({str(e).splitlines()[0]})") from e
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()


def text_columns(piece: Piece, features: Sequence[str], rows: int) -> list[str]:
    """The feature columns whose cells in the piece's first ``rows`` rows are
    mostly not numbers (``lingrad.data.columns.looks_categorical``)."""
    import dataclasses

    from lingrad.data.columns import looks_categorical
    from lingrad.data.tablefile import batches, open_source, parquet_file

    src = open_source(piece.path)
    src = dataclasses.replace(
        src, n_features=len(features), text_columns=frozenset(features)
    )
    if piece.row_group is None:
        reader: Iterator[pa.RecordBatch] = batches(src, list(features), rows)
    else:
        pf = parquet_file(src.path, pre_buffer=False, buffer_size=1 << 20)
        reader = pf.iter_batches(
            batch_size=rows, columns=list(features), row_groups=[piece.row_group]
        )
    try:
        batch = next(iter(reader), None)
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()
    if batch is None:
        return []
    return [f for f in features if looks_categorical(batch.column(f))]


def _plain_numbers(batch: pa.RecordBatch, features: Sequence[str]) -> Array | None:
    """X (m, D) float64 when every feature column holds finite floats / integers
    (the common case: one copy, one check), else None (``to_xy`` decides)."""
    columns = [batch.column(f) for f in features]
    if not all(pa.types.is_floating(c.type) or pa.types.is_integer(c.type)
               for c in columns):  # fmt: skip
        return None
    X = np.empty((len(batch), len(columns)))
    for j, c in enumerate(columns):
        X[:, j] = c.to_numpy(zero_copy_only=False)  # nulls arrive as NaN
    return X if np.isfinite(X).all() else None


def total_bytes(files: Sequence[Path]) -> int:
    return sum(os.path.getsize(f) for f in files)
