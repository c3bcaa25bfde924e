"""Read CSV / Parquet tables into (X, y), with errors naming file, column and row.

Rows are counted as a spreadsheet user counts them: data row 1 is the first row after
the header. For CSV the messages also give the line of the file.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from lingrad.errors import ConstantFeatureWarning, DataError
from lingrad.modelfile import (  # re-exported: output files and model files
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    ensure_writable_dir,
)
from lingrad.modelfile import load as load_model
from lingrad.modelfile import save as save_model

__all__ = [
    "Table",
    "as_regression_target",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_classification_target",
    "ensure_writable_dir",
    "iter_batches",
    "load_model",
    "read_table",
    "save_model",
]

Array = NDArray[Any]
_FORMATS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"  # a finite decimal number
_MISSING = {"", "nan", "+nan", "-nan", "na", "n/a", "#n/a", "null", "none", "nat"}


@dataclasses.dataclass(frozen=True)
class Table:
    """A table read from a file: ``X`` (N, D) float64, ``y`` (N,) raw values or None."""

    X: Array
    y: Array | None
    feature_names: list[str]
    target_name: str | None


@dataclasses.dataclass(frozen=True)
class _Source:
    path: Path
    kind: str  # "csv" | "parquet"
    columns: list[str]
    delimiter: str = ","
    n_features: int = 0  # the first n_features selected columns are features

    def where(self, row: int) -> str:
        """Position of 0-based data row ``row`` in words."""
        if self.kind == "parquet":
            return f"row {row + 1} (data rows counted from 1)"
        return f"row {row + 1} (line {_line_of(self.path, row + 2)} of the file)"


def _line_of(path: Path, k: int) -> int:
    """Physical line number of the k-th non-empty line (pyarrow skips blank lines)."""
    with open(path, "rb") as f:
        for line_number, line in enumerate(f, start=1):
            k -= line.strip(b"\r\n") != b""
            if k == 0:
                return line_number
    return -1


def _describe(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "a missing value (empty cell or NaN)"
    text = str(value).strip()
    if text.lower() in _MISSING:
        return f"a missing value ({text!r})" if text else "an empty cell"
    if text.lstrip("+-").lower() in ("inf", "infinity") or re.fullmatch(_NUMBER, text):
        return f"an infinite value {text!r}"  # "1e999" overflows to inf
    return f"a non-numeric value {text!r}"


def _bad(src: _Source, name: str, role: str, value: object, row: int) -> DataError:
    fix = (
        "features must be finite numbers: fix or drop that row, or leave the column "
        "out of the features"
        if role == "feature"
        else "every row needs a finite target value: fix or drop that row"
    )
    return DataError(
        f"{src.path}: {role} column {name!r} has {_describe(value)} at "
        f"{src.where(row)}; {fix}"
    )


def _plain(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return (
        pc.cast(col, col.type.value_type) if pa.types.is_dictionary(col.type) else col
    )


def _floats(
    src: _Source, col: pa.ChunkedArray, name: str, role: str, row0: int
) -> Array:
    """A column as float64 (N,), or a DataError naming its first bad row."""
    col = _plain(col)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)
        ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, _NUMBER), False))
        if not ok.all():
            i = int(np.argmin(ok))
            raise _bad(src, name, role, col[i].as_py(), row0 + i)
        col = text
    elif not (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_boolean(col.type)
        or pa.types.is_decimal(col.type)
        or pa.types.is_null(col.type)
    ):
        raise DataError(
            f"{src.path}: {role} column {name!r} holds {col.type} values, not numbers; "
            "leave it out or convert it to numbers"
        )
    values: Array = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    values = values.astype(np.float64)  # writable copy
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.argmin(finite))
        raise _bad(src, name, role, col[i].as_py(), row0 + i)
    return values


def _target(src: _Source, col: pa.ChunkedArray, name: str, row0: int) -> Array:
    """Raw target values: int64 / float64 / bool where the column is numeric, else str
    (object array). Empty cells, NaN and inf are errors."""
    col = _plain(col)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        if pa.types.is_integer(col.type) or pa.types.is_boolean(col.type):
            if col.null_count:
                i = int(np.argmax(np.asarray(pc.is_null(col))))
                raise _bad(src, name, "target", None, row0 + i)
            return np.asarray(col.to_numpy())
        return _floats(src, col, name, "target", row0)
    text = pc.utf8_trim_whitespace(col)
    empty = pc.fill_null(pc.match_substring_regex(text, r"^([+-]?[Nn]a[Nn])?$"), True)
    if pc.any(empty).as_py():
        i = int(np.argmax(np.asarray(empty)))
        raise _bad(src, name, "target", col[i].as_py(), row0 + i)
    if pc.all(pc.match_substring_regex(text, r"^[+-]?\d{1,18}$")).as_py():
        return np.asarray(pc.cast(text, pa.int64()).to_numpy())
    if pc.all(pc.match_substring_regex(text, _NUMBER)).as_py():
        return _floats(src, text, name, "target", row0)
    return np.asarray(col.to_numpy(zero_copy_only=False))


def _open(path: str | os.PathLike[str]) -> _Source:
    p = Path(path)
    kind = _FORMATS.get(p.suffix.lower())
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path and the working folder")
    if p.is_dir():
        raise DataError(f"{p} is a folder; give a .csv or .parquet file")
    if kind is None:
        raise DataError(
            f"{p}: unsupported file type {p.suffix!r}; lingrad reads "
            f"{', '.join(_FORMATS)} files (rename the file if it is one of these)"
        )
    if p.stat().st_size == 0:
        raise DataError(f"{p} is empty (0 bytes); it needs a header and data rows")
    if kind == "parquet":
        columns = _parquet_file(p).schema_arrow.names
        source = _Source(p, kind, columns)
    else:
        delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
        source = _Source(p, kind, _csv_header(p, delimiter), delimiter)
    seen: set[str] = set()
    for name in source.columns:
        if name in seen:
            raise DataError(
                f"{p}: duplicate column name {name!r} in the header; "
                "give every column a distinct name"
            )
        seen.add(name)
    return source


def _csv_header(p: Path, delimiter: str) -> list[str]:
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f, delimiter=delimiter):
                if row:
                    return row
    except UnicodeDecodeError as e:
        raise DataError(f"{p}: not UTF-8 text ({e.reason}); save it as UTF-8") from e
    except csv.Error as e:
        raise DataError(f"{p}: cannot parse the header line ({e})") from e
    raise DataError(f"{p} has no header line; the first line must name the columns")


def _parquet_file(p: Path, **options: Any) -> pq.ParquetFile:
    with open(p, "rb") as f:
        head = f.read(4)
        f.seek(-4, os.SEEK_END)
        tail = f.read(4)
    if head != b"PAR1":
        raise DataError(f"{p} is not a Parquet file (no PAR1 magic); is it a CSV?")
    if tail != b"PAR1":
        raise DataError(f"{p}: Parquet file is truncated (no footer); write it again")
    try:
        return pq.ParquetFile(p, **options)
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"{p}: damaged Parquet file ({e}); write it again") from e


def _select(
    src: _Source, target: str | None, features: Sequence[str] | None
) -> tuple[str | None, list[str]]:
    available = ", ".join(repr(c) for c in src.columns)
    if target is not None and target not in src.columns:
        raise DataError(
            f"{src.path}: target column {target!r} not found; columns: {available}"
        )
    if features is None:
        features = [c for c in src.columns if c != target]
    missing = [f for f in features if f not in src.columns]
    if missing:
        raise DataError(
            f"{src.path}: feature column(s) {', '.join(map(repr, missing))} not "
            f"found; columns: {available}"
        )
    if target is not None and target in features:
        raise DataError(f"{src.path}: column {target!r} is both target and feature")
    if not features:
        raise DataError(f"{src.path}: no feature columns left besides the target")
    if "" in features:
        raise DataError(
            f"{src.path}: a column has no name in the header (a saved index?); "
            "name it, or list the features to use"
        )
    return target, list(features)


def _csv_options(
    src: _Source, columns: list[str], bad_rows: list[Any], block: int, fast: bool
) -> dict[str, Any]:
    def on_invalid(row: Any) -> str:
        bad_rows.append(row)
        return "error"

    # fast: features parsed as float64 on all cores; slow: every cell as text, on
    # one thread (so that pyarrow numbers the rows it rejects)
    types = {c: pa.string() for c in columns}
    if fast:
        types.update({c: pa.float64() for c in columns[: src.n_features]})
    return dict(
        read_options=pa_csv.ReadOptions(use_threads=fast, block_size=block),
        parse_options=pa_csv.ParseOptions(
            delimiter=src.delimiter, invalid_row_handler=on_invalid
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=types, include_columns=columns, strings_can_be_null=False
        ),
    )


def _read_error(src: _Source, e: Exception, bad_rows: list[Any]) -> DataError:
    if bad_rows and bad_rows[0].number is not None:
        bad, number = bad_rows[0], bad_rows[0].number  # counts non-empty lines
        return DataError(
            f"{src.path}: line {_line_of(src.path, number)} has {bad.actual_columns} "
            f"fields but the header has {bad.expected_columns} (data row "
            f"{number - 1}); fix that row (a missing or extra delimiter?)"
        )
    return DataError(f"{src.path}: cannot read the file ({str(e).splitlines()[0]})")


def _batches(
    src: _Source, columns: list[str], batch_size: int, fast: bool = True
) -> Iterator[Any]:
    """Record batches of the selected columns (features first), as read."""
    bad_rows: list[Any] = []
    try:
        if src.kind == "parquet":
            # a buffered stream: memory follows the batch, not the row group
            pf = _parquet_file(src.path, pre_buffer=False, buffer_size=1 << 20)
            yield from pf.iter_batches(batch_size=batch_size, columns=columns)
        else:
            block = min(max(1 << 16, 64 * batch_size), 1 << 26)
            options = _csv_options(src, columns, bad_rows, block, fast)
            yield from pa_csv.open_csv(src.path, **options)
    except (pa.ArrowException, OSError) as e:
        raise _read_error(src, e, bad_rows) from e


def _to_xy(
    src: _Source, data: Any, features: list[str], target: str | None, row0: int
) -> tuple[Array, Array | None]:
    columns = [
        _floats(src, data.column(f), f, "feature", row0).reshape(-1, 1)
        for f in features
    ]
    X = np.hstack(columns)  # (N, D)
    y = None if target is None else _target(src, data.column(target), target, row0)
    return X, y


def _precise(
    src: _Source, features: list[str], target: str | None, error: DataError
) -> DataError:
    """Re-read a CSV as text on one thread to name the first bad cell or row."""
    if src.kind != "csv":
        return error
    row0, columns = 0, features + ([target] if target is not None else [])
    try:
        for batch in _batches(src, columns, 1 << 16, fast=False):
            _to_xy(src, batch, features, target, row0)
            row0 += len(batch)
    except DataError as precise:
        return precise
    return error


def _start(
    path: str | os.PathLike[str], target: str | None, features: Sequence[str] | None
) -> tuple[_Source, str | None, list[str], list[str]]:
    src = _open(path)
    target, features = _select(src, target, features)
    src = dataclasses.replace(src, n_features=len(features))
    return src, target, features, features + ([target] if target is not None else [])


def _no_rows(src: _Source) -> DataError:
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
    src, target, features, columns = _start(path, target, features)
    try:
        batches = [b for b in _batches(src, columns, 1 << 16) if len(b)]
        if not batches:
            raise _no_rows(src)
        X, y = _to_xy(src, pa.Table.from_batches(batches), features, target, 0)
    except DataError as e:
        raise _precise(src, features, target, e) from None
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
) -> Iterator[tuple[Array, Array | None]]:
    """Yield ``(X, y)`` batches of ``batch_size`` rows (the last may be smaller).

    Reads record batches (``ParquetFile.iter_batches`` / ``pyarrow.csv.open_csv``),
    so memory is bounded by the batch size; each batch is validated as in
    :func:`read_table`, with rows numbered from the start of the file. The file,
    header and columns are checked when this is called, not at the first batch.
    """
    if batch_size < 1:
        raise DataError(f"batch_size must be at least 1, got {batch_size}")
    src, target, features, columns = _start(path, target, features)

    def generate() -> Iterator[tuple[Array, Array | None]]:
        row0, pending = 0, []
        try:
            for batch in _batches(src, columns, batch_size):
                pending.append(batch)
                while sum(len(b) for b in pending) >= batch_size:
                    data = pa.Table.from_batches(pending)  # zero-copy slices below
                    head, rest = data.slice(0, batch_size), data.slice(batch_size)
                    X, y = _to_xy(src, head, features, target, row0)
                    yield X, y
                    row0 += batch_size
                    pending = rest.to_batches()
            if sum(len(b) for b in pending):
                data = pa.Table.from_batches(pending)
                yield _to_xy(src, data, features, target, row0)
                row0 += len(data)
        except DataError as e:
            raise _precise(src, features, target, e) from None
        if row0 == 0:
            raise _no_rows(src)

    return generate()


def as_regression_target(
    y: Array, path: str | os.PathLike[str] | None = None, target: str | None = None
) -> NDArray[np.float64]:
    """y as float64 (N,), or a :class:`DataError` naming the first non-numeric row."""
    where = f"{path}: " if path is not None else ""
    name = f"target column {target!r}" if target is not None else "the target"
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        values = y.astype(np.float64)
        bad = ~np.isfinite(values)
    else:
        text = [str(v).strip() for v in y.ravel()]
        bad = np.array([re.fullmatch(_NUMBER, t) is None for t in text], dtype=bool)
        values = np.array(
            [0.0 if b else float(t) for t, b in zip(text, bad, strict=True)]
        )
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{where}{name} has {_describe(y.ravel()[i])} at row {i + 1}; a regression "
            "model needs numbers: choose a numeric target column or a classifier"
        )
    return values.reshape(y.shape)


def check_classification_target(
    y: Array, path: str | os.PathLike[str] | None = None, target: str | None = None
) -> Array:
    """Check that y holds class labels (not a continuous target, >= 2 classes).

    Returns the sorted classes; raises :class:`DataError` otherwise.
    """
    where = f"{path}: " if path is not None else ""
    name = f"target column {target!r}" if target is not None else "the target"
    y = np.asarray(y).ravel()
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{where}{name} looks continuous ({y[i].item()!r} at row {i + 1}); a "
                "classifier needs class labels: use a regression model or bin it"
            )
    try:
        classes = np.unique(y)
    except TypeError as e:
        raise DataError(f"{where}{name} mixes numbers and text; use one kind") from e
    if len(classes) < 2:
        found = repr(classes[:1].tolist()[0]) if len(classes) else "none"
        raise DataError(
            f"{where}{name} holds a single class ({found}); a classifier needs at "
            "least two: check the target column and the rows kept"
        )
    return classes
