"""Table columns -> numpy: features as finite float64, the target as its raw values,
and a :class:`DataError` naming the column and row of the first bad cell.

:func:`missing_cells` is lingrad's one missing-value rule, for every format (CSV,
Parquet, an in-memory table) and every engine: a cell is missing when it is null,
a float NaN, or text that is empty or a word of :data:`MISSING_WORDS` (any case,
surrounding spaces ignored), in a numeric and in a text column alike.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from lingrad.data.tablefile import Batch, Column, Source
from lingrad.errors import DataError

__all__ = [
    "MISSING_WORDS",
    "NUMBER",
    "describe",
    "is_missing",
    "looks_categorical",
    "missing_cells",
    "to_xy",
]

Values = NDArray[np.generic]  # a column's values: float64, int64, bool or str objects
# Raw target cells as the other packages take them: scale/ and workflows/ read them
# as float arrays, so until they name them Values the dtype stays open there
Raw = NDArray[Any]
Mask = NDArray[np.bool_]
Codes = NDArray[np.int32]  # a text column's codes into its words, -1: missing
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"  # a finite decimal number
INF = r"^[+-]?(inf|infinity)$"
MISSING_WORDS = frozenset(
    {"", "nan", "+nan", "-nan", "na", "n/a", "#n/a", "null", "none", "nat"}
)


def missing_cells(col: Column) -> Mask:
    """(N,) bool: True where a cell is missing (null, NaN, or a missing word)."""
    col = _plain(col)
    missing = np.asarray(pc.is_null(col), dtype=bool)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        words = pa.array(sorted(MISSING_WORDS), type=col.type)
        text = pc.utf8_lower(pc.utf8_trim_whitespace(col))
        missing |= np.asarray(pc.fill_null(pc.is_in(text, value_set=words), True))
    elif pa.types.is_floating(col.type):
        missing |= np.asarray(pc.fill_null(pc.is_nan(col), True), dtype=bool)
    return missing


def is_missing(value: object) -> bool:
    """Whether one cell's value (as pyarrow gives it) is missing: the same rule."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_WORDS


def describe(value: object) -> str:
    """A bad cell's value in words: missing, infinite or non-numeric."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "a missing value (empty cell or NaN)"
    text = str(value).strip()
    if is_missing(text):
        return f"a missing value ({text!r})" if text else "an empty cell"
    if text.lstrip("+-").lower() in ("inf", "infinity") or re.fullmatch(NUMBER, text):
        return f"an infinite value {text!r}"  # "1e999" overflows to inf
    return f"a non-numeric value {text!r}"


def _bad(src: Source, name: str, role: str, value: object, row: int) -> DataError:
    """The error for a bad cell; a missing one gets the source's advice for it."""
    if role == "feature":
        fix = src.feature_hint if is_missing(value) else ""
        fix = fix or (
            "features must be finite numbers: fix or drop that row, or leave the "
            "column out of the features"
        )
    else:
        fix = src.target_hint if is_missing(value) else ""
        fix = fix or "every row needs a finite target value: fix or drop that row"
    return DataError(
        f"{src.path}: {role} column {name!r} has {describe(value)} at "
        f"{src.where(row)}; {fix}"
    )


def _plain(col: Column) -> Column:
    return (
        pc.cast(col, col.type.value_type) if pa.types.is_dictionary(col.type) else col
    )


def _text(col: Column) -> tuple[Column, Mask]:
    """A text column trimmed, and its missing cells (:func:`missing_cells`)."""
    return pc.utf8_trim_whitespace(_plain(col)), missing_cells(col)


def _is_text(col: Column) -> bool:
    col = _plain(col)
    return bool(pa.types.is_string(col.type) or pa.types.is_large_string(col.type))


def looks_categorical(col: Column) -> bool:
    """A text column whose present cells are mostly not numbers (a stray word in a
    column of numbers is a bad cell, not a category)."""
    if not _is_text(col):
        return False
    text, missing = _text(col)
    number = pc.or_(
        pc.match_substring_regex(text, NUMBER),
        pc.match_substring_regex(text, INF, ignore_case=True),
    )
    numeric = np.asarray(pc.fill_null(number, False), dtype=bool)
    present = int((~missing).sum())
    return 2 * int(numeric.sum()) < present


def _codes(col: Column) -> tuple[Codes, list[str], Mask]:
    """A text column as integer codes (-1 where missing) into its trimmed words,
    and the missing mask: pyarrow's dictionary encoding, no string per cell."""
    text, missing = _text(col)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(), dtype=np.int32)
    if missing.any():  # a missing word ("NA", "") has a code: -1 instead
        codes = np.where(missing, np.int32(-1), codes)
    return codes, encoded.dictionary.to_pylist(), missing


def _floats(
    src: Source, col: Column, name: str, role: str, row0: int
) -> NDArray[np.float64]:
    """A column as float64 (N,), or a DataError naming its first bad row."""
    col = _plain(col)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)
        ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, NUMBER), False))
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
    read = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    values = np.array(read, dtype=np.float64)  # writable copy
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.argmin(finite))
        raise _bad(src, name, role, col[i].as_py(), row0 + i)
    return values


def target_values(src: Source, col: Column, name: str, row0: int) -> Raw:
    """Raw target values: int64 / float64 / bool where the column is numeric, else str
    (object array). Missing cells (:func:`missing_cells`) and inf are errors."""
    col = _plain(col)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        if pa.types.is_integer(col.type) or pa.types.is_boolean(col.type):
            if col.null_count:
                i = int(np.argmax(np.asarray(pc.is_null(col))))
                raise _bad(src, name, "target", None, row0 + i)
            return np.asarray(col.to_numpy())
        return _floats(src, col, name, "target", row0)
    text = pc.utf8_trim_whitespace(col)
    empty = missing_cells(col)
    if empty.any():
        i = int(np.argmax(empty))
        raise _bad(src, name, "target", col[i].as_py(), row0 + i)
    if pc.all(pc.match_substring_regex(text, r"^[+-]?\d{1,18}$")).as_py():
        return np.asarray(pc.cast(text, pa.int64()).to_numpy())
    if pc.all(pc.match_substring_regex(text, NUMBER)).as_py():
        return _floats(src, text, name, "target", row0)
    return np.asarray(col.to_numpy(zero_copy_only=False))


def to_xy(
    src: Source, data: Batch, features: list[str], target: str | None, row0: int
) -> tuple[NDArray[np.float64], Raw | None]:
    """X (N, D) float64 and raw y (N,) or None from a table or record batch whose
    first row is data row ``row0`` (0-based) of the file."""
    columns = [
        _floats(src, data.column(f), f, "feature", row0).reshape(-1, 1)
        for f in features
    ]
    X = np.hstack(columns) if columns else np.empty((data.num_rows, 0))  # (N, D)
    y = (
        None
        if target is None
        else target_values(src, data.column(target), target, row0)
    )
    return X, y
