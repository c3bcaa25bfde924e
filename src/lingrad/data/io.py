"""Read CSV / Parquet tables into (X, y), with errors naming file, column and row.

Rows are counted as a spreadsheet user counts them: data row 1 is the first row after
the header. For CSV the messages also give the line of the file. Opening the file is
in :mod:`lingrad.data.tablefile`, column conversion in :mod:`lingrad.data.columns`;
the target checks (:mod:`lingrad.data.targets`), atomic writes
(:mod:`lingrad.persist.atomic`) and model files (:mod:`lingrad.persist.modelfile`)
are re-exported here.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from lingrad.data.columns import Values, to_xy
from lingrad.data.tablefile import Source, batches, open_source, select
from lingrad.data.targets import (  # re-exported: target checks
    as_regression_target,
    check_classification_target,
)
from lingrad.errors import ConstantFeatureWarning, DataError
from lingrad.persist.atomic import (  # re-exported: output files
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    ensure_writable_dir,
)
from lingrad.persist.modelfile import load as load_model  # re-exported: model files
from lingrad.persist.modelfile import save as save_model

__all__ = [
    "Table",
    "as_regression_target",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_classification_target",
    "columns",
    "ensure_writable_dir",
    "iter_batches",
    "load_model",
    "read_table",
    "save_model",
]

Dense = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Table:
    """A table read from a file: ``X`` (N, D) float64, ``y`` (N,) raw values or None."""

    X: Dense
    y: Values | None
    feature_names: list[str]
    target_name: str | None


def columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names of a CSV / Parquet file (its header), in file order.

    Raises :class:`DataError` as :func:`read_table` does for a missing, empty,
    unsupported or damaged file, a missing header or a duplicate column name.
    """
    return list(open_source(path).columns)


def precise_error(
    src: Source, features: list[str], target: str | None, error: DataError
) -> DataError:
    """Re-read a CSV as text on one thread to name the first bad cell or row."""
    if src.kind != "csv":
        return error
    row0, names = 0, features + ([target] if target is not None else [])
    try:
        for batch in batches(src, names, 1 << 16, fast=False):
            to_xy(src, batch, features, target, row0)
            row0 += len(batch)
    except DataError as precise:
        return precise
    return error


def open_table_source(
    path: str | os.PathLike[str], target: str | None, features: Sequence[str] | None
) -> tuple[Source, str | None, list[str], list[str]]:
    src = open_source(path)
    target, features = select(src, target, features)
    src = dataclasses.replace(src, n_features=len(features))
    return src, target, features, features + ([target] if target is not None else [])


def _no_rows(src: Source) -> DataError:
    return DataError(f"{src.path} has a header but no data rows; add rows of data")


def read_table(
    path: str | os.PathLike[str],
    target: str | None = None,
    features: Sequence[str] | None = None,
) -> Table:
    """Read a CSV (header required, UTF-8 with or without BOM) or Parquet file.

    X = the feature columns as float64 (N, D); y = the target column's raw values
    (int64 / float64 / bool, or str in an object array), None without ``target``.
    Features default to every column but the target. Raises :class:`DataError`
    naming the file, column and row on any bad input; warns
    :class:`ConstantFeatureWarning` for a feature column holding one value.
    """
    src, target, features, names = open_table_source(path, target, features)
    try:
        read = [b for b in batches(src, names, 1 << 16) if len(b)]
        if not read:
            raise _no_rows(src)
        X, y = to_xy(src, pa.Table.from_batches(read), features, target, 0)
    except DataError as e:
        raise precise_error(src, features, target, e) from None
    constant = [
        f for f, c in zip(features, X.T, strict=True) if len(c) > 1 and np.ptp(c) == 0
    ]
    if constant:
        warnings.warn(
            f"{src.path}: feature column(s) {', '.join(map(repr, constant))} hold a "
            "single value and carry no information; consider leaving them out",
            ConstantFeatureWarning,
            stacklevel=2,
        )
    return Table(X, y, features, target)


def iter_batches(
    path: str | os.PathLike[str],
    target: str | None = None,
    features: Sequence[str] | None = None,
    batch_size: int = 1024,
) -> Iterator[tuple[Dense, Values | None]]:
    """Yield ``(X, y)`` batches of ``batch_size`` rows (the last may be smaller).

    Reads record batches (``ParquetFile.iter_batches`` / ``pyarrow.csv.open_csv``),
    so memory is bounded by the batch size; each batch is validated as in
    :func:`read_table`, with rows numbered from the start of the file. The file,
    header and columns are checked when this is called, not at the first batch.
    """
    if batch_size < 1:
        raise DataError(f"batch_size must be at least 1, got {batch_size}")
    src, target, features, names = open_table_source(path, target, features)

    def generate() -> Iterator[tuple[Dense, Values | None]]:
        row0, pending = 0, []
        try:
            for batch in batches(src, names, batch_size):
                pending.append(batch)
                while sum(len(b) for b in pending) >= batch_size:
                    data = pa.Table.from_batches(pending)  # zero-copy slices below
                    head, rest = data.slice(0, batch_size), data.slice(batch_size)
                    X, y = to_xy(src, head, features, target, row0)
                    yield X, y
                    row0 += batch_size
                    pending = rest.to_batches()
            if sum(len(b) for b in pending):
                data = pa.Table.from_batches(pending)
                yield to_xy(src, data, features, target, row0)
                row0 += len(data)
        except DataError as e:
            raise precise_error(src, features, target, e) from None
        if row0 == 0:
            raise _no_rows(src)

    return generate()
