"""Messy tables: an ID column, left-out columns, text (categorical) features and
missing cells, read into arrays with errors naming the column and row.

:func:`read_frame` reads a whole table for training and decides which feature
columns are text; :func:`iter_frames` reads record batches for a model whose
:class:`Layout` (features, the text ones, target, ID) is known. Missing cells
follow :func:`lingrad.data.columns.missing_cells` (nulls, NaN, empty cells and the
words of :data:`MISSING_WORDS`, in numeric and text columns, from any format);
they are an error, ``NaN`` in ``X`` (``missing="keep"``, for an imputer) or
dropped rows (``missing="drop"``). Infinite values are always an error.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from lingrad.data.checks import SQUARE_LIMIT, check_squares, warn_about_columns
from lingrad.data.columns import (
    MISSING_WORDS,
    NUMBER,
    Codes,
    Mask,
    Raw,
    _codes,
    _is_text,
    _plain,
    _text,
    describe,
    looks_categorical,
    missing_cells,
    target_values,
)
from lingrad.data.mixed import MixedRows
from lingrad.data.table import Table, rows_of, text_frame
from lingrad.data.tablefile import (
    Batch,
    Column,
    Source,
    batches,
    choose_features,
    from_memory,
    open_source,
    select,
)
from lingrad.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MISSING_WORDS",
    "SQUARE_LIMIT",
    "Frame",
    "Layout",
    "check_squares",
    "convert_batch",
    "choose_features",
    "iter_frames",
    "read_frame",
]

Dense = NDArray[np.float64]
Form = Literal["cells", "coded", "mixed"]  # X with text columns: see convert_batch
_MISSING_HINT = (
    "fill it or drop that row, or use --impute mean|median|most_frequent|drop"
)
_TARGET_HINT = (
    "every row needs a target value: fill it or drop that row, or use --impute "
    "drop (it leaves out the rows with a missing cell)"
)


@dataclasses.dataclass(frozen=True)
class Layout:
    """The columns a model reads: features (in order), the text ones among them,
    the target and the ID column (carried into predictions, never a feature)."""

    features: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    target: str | None = None
    id: str | None = None


@dataclasses.dataclass
class Frame:
    """Rows of a table: ``X`` (N, D) float64 (NaN: missing); when a feature is
    text, a coded DataFrame (:mod:`lingrad.data.table`; :func:`read_frame`) or an
    object array of raw cells (str; ``nan``: missing; batches); ``y`` (N,) raw
    target values; ``ids`` (N,) as read; ``rows`` (N,) the 0-based data row of
    each row in the file."""

    X: Raw | MixedRows  # a table.Table; scale/ reads it as floats (Raw: see columns)
    y: Raw | None
    ids: pa.Array | None
    rows: NDArray[np.int64]
    layout: Layout
    where: Callable[[int], str]  # 0-based data row -> "row 3 (line 4 of the file)"
    n_dropped: int = 0


# ------------------------------------------------------------------ one column


class _Cells:
    """Errors about the cells of one file (or built-in data set)."""

    def __init__(self, path: object, where: Callable[[int], str], hint: str) -> None:
        self.path, self.where, self.hint = path, where, hint

    def bad(self, name: str, value: object, row: int, fix: str) -> DataError:
        return DataError(
            f"{self.path}: feature column {name!r} has {describe(value)} at "
            f"{self.where(row)}; {fix}"
        )

    def missing(self, name: str, value: object, row: int) -> DataError:
        return self.bad(name, value, row, self.hint)


def _numbers(
    cells: _Cells, col: Column, name: str, row0: int, text_hint: str = ""
) -> tuple[Dense, Mask]:
    """float64 values (NaN where missing) and the missing mask; non-numbers and
    infinite values raise, naming the row."""
    col = _plain(col)
    if _is_text(col):
        text, missing = _text(col)
        ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, NUMBER), False))
        bad = ~missing & ~ok
        if bad.any():
            i = int(np.argmax(bad))
            raise cells.bad(
                name,
                col[i].as_py(),
                row0 + i,
                "features must be finite numbers: fix that cell, or leave the "
                f"column out (--exclude {name}){text_hint}",
            )
        values = pc.cast(pc.if_else(pa.array(ok), text, None), pa.float64())
    elif (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_boolean(col.type)
        or pa.types.is_decimal(col.type)
        or pa.types.is_null(col.type)
    ):
        values = pc.cast(col, pa.float64())
        missing = missing_cells(col)
    else:
        raise DataError(
            f"{cells.path}: feature column {name!r} holds {col.type} values, not "
            f"numbers or text; leave it out (--exclude {name}) or convert it"
        )
    X = np.array(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    inf = ~missing & ~np.isfinite(X)
    if inf.any():
        i = int(np.argmax(inf))
        raise cells.bad(
            name, col[i].as_py(), row0 + i, "features must be finite: fix that cell"
        )
    return X, missing


def _fill(col: Column, missing: Mask) -> Column:
    """``col`` with its missing cells replaced by its first present value (for rows
    about to be dropped: the target checks then see only real values)."""
    if not missing.any() or missing.all():
        return col
    col = _plain(col)
    first = col[int(np.argmin(missing))]
    return pc.if_else(pa.array(missing), first, col)


# ------------------------------------------------------------------ a table


def convert_batch(
    src: Source,
    table: Batch,
    layout: Layout,
    row0: int,
    missing: str,
    hint: str,
    form: Form = "cells",
) -> Frame:
    """A record batch / table (first row: data row ``row0``) as a :class:`Frame`.
    With text features, ``X`` is by ``form``: their raw cells in one object array
    ("cells"), a coded DataFrame ("coded", :mod:`lingrad.data.table`) or
    :class:`~lingrad.data.mixed.MixedRows` ("mixed": numbers kept float64)."""
    cells = _Cells(src.path, src.where, hint)
    numbers: dict[str, Dense] = {}
    codes: dict[str, tuple[Codes, list[str]]] = {}
    masks: list[Mask] = []
    for name in layout.features:
        col = table.column(name)
        if name in layout.categorical:
            c, words, miss = _codes(col)
            codes[name] = (c, words)
        else:
            numbers[name], miss = _numbers(cells, col, name, row0)
        masks.append(miss)
    n = table.num_rows
    miss_any = np.zeros(n, dtype=bool)
    for name, miss in zip(layout.features, masks, strict=True):
        if miss.any() and missing == "error":
            i = int(np.argmax(miss))
            raise cells.missing(name, table.column(name)[i].as_py(), row0 + i)
        miss_any |= miss
    X = _assemble(layout.features, numbers, codes, n, form)
    y = None
    names = table.schema.names
    if layout.target is not None and layout.target in names:
        col = table.column(layout.target)
        if missing == "drop":
            t_miss = missing_cells(col)
            miss_any |= t_miss
            col = _fill(col, t_miss)
        y = target_values(src, col, layout.target, row0) if n else np.array([])
    ids = None
    if layout.id is not None and layout.id in names:
        ids = table.column(layout.id)
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
    rows = np.arange(row0, row0 + n, dtype=np.int64)
    frame = Frame(X, y, ids, rows, layout, src.where)
    if missing == "drop" and miss_any.any():
        keep = ~miss_any
        frame = Frame(
            rows_of(X, keep),
            None if y is None else y[keep],
            None if ids is None else ids.filter(pa.array(keep)),
            rows[keep],
            layout,
            src.where,
            int(miss_any.sum()),
        )
    return frame


def _assemble(
    features: Sequence[str],
    numbers: dict[str, Dense],
    codes: dict[str, tuple[Codes, list[str]]],
    n: int,
    form: Form,
) -> Table | MixedRows:
    """X (N, D) from its columns: float64 for numbers only; with text columns as
    ``form`` asks (see :func:`convert_batch`)."""
    if codes and form == "coded":
        return text_frame(features, numbers, codes, n)
    text = [j for j, name in enumerate(features) if name in codes]
    X = np.full((n, len(features)), np.nan)  # a text column stays NaN here
    cells = np.empty((n, len(text)), dtype=object)
    for k, j in enumerate(text):
        c, words = codes[features[j]]
        table = np.empty(len(words) + 1, dtype=object)
        table[:-1], table[-1] = words, np.nan
        cells[:, k] = table[c]  # code -1: the last entry, nan
    for j, name in enumerate(features):
        if name in numbers:
            X[:, j] = numbers[name]
    if not codes:
        return X
    mixed = MixedRows(X, cells, tuple(text))
    return mixed if form == "mixed" else mixed.cells()


def _read_all(src: Source, names: list[str]) -> pa.Table:
    """The selected columns of the whole file (CSV: every column as text)."""
    try:
        read = [b for b in batches(src, names, 1 << 16) if len(b)]
    except DataError:  # re-read on one thread: names the line of a ragged row
        read = [b for b in batches(src, names, 1 << 16, fast=False) if len(b)]
    if not read:
        raise DataError(f"{src.path} has a header but no data rows; add rows of data")
    return pa.Table.from_batches(read)


def read_frame(
    path: str | os.PathLike[str] | pd.DataFrame | pa.Table,
    *,
    target: str | None,
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    id_column: str | None = None,
    categorical: str = "auto",
    missing: str = "error",
) -> Frame:
    """Read a CSV / Parquet file (or a pandas DataFrame / pyarrow Table) for
    training; missing cells follow the same rule from each.

    ``categorical="auto"``: a feature column whose cells are mostly not numbers is
    text (one-hot encoded later); ``"error"``: every feature must be numeric.
    ``missing``: ``"error"`` (name the first missing cell), ``"keep"`` (NaN, for an
    imputer) or ``"drop"`` (drop rows with a missing feature or target).
    """
    memory = None
    if isinstance(path, (str, os.PathLike)):
        src = open_source(path)
    else:
        src, memory = from_memory(path)
    chosen = choose_features(
        src.columns, src.path, target, features, exclude, id_column
    )
    target, chosen = select(src, target, chosen)
    extra = [c for c in (target, id_column) if c is not None]
    src = dataclasses.replace(
        src,
        n_features=len(chosen),
        text_columns=frozenset(chosen),
        feature_hint=_MISSING_HINT,
        target_hint=_TARGET_HINT,
    )
    if memory is None:
        table = _read_all(src, chosen + extra)
    elif memory.num_rows:
        table = memory.select(chosen + extra)
    else:
        raise DataError(f"{src.path} has no rows; give a table with rows of data")
    text = [c for c in chosen if looks_categorical(table.column(c))]
    if text and categorical == "error":
        name = text[0]
        col = table.column(name)
        hint = ", or one-hot encode text columns (--categorical auto)"
        _numbers(_Cells(src.path, src.where, ""), col, name, 0, hint)  # raises
    layout = Layout(tuple(chosen), tuple(text), target, id_column)
    frame = convert_batch(src, table, layout, 0, missing, _MISSING_HINT, form="coded")
    del table, memory
    warn_about_columns(frame, src.path)
    return frame


def iter_frames(
    path: str | os.PathLike[str],
    layout: Layout,
    *,
    batch_size: int,
    missing: str = "error",
    labelled: bool = False,
    hint: str = "fill it or drop that row (the model has no imputer)",
) -> Iterator[Frame]:
    """Frames of ``batch_size`` rows of a file holding ``layout``'s features (and
    its target when ``labelled``; the ID column when the file has it).

    The file and its columns are checked when this is called. Close the iterator
    (or exhaust it) so that its reader closes.
    """
    src = open_source(path)
    target = layout.target if labelled else None
    _, features = select(src, target, list(layout.features))
    ids = [layout.id] if layout.id is not None and layout.id in src.columns else []
    names = features + ([target] if target is not None else []) + ids
    src = dataclasses.replace(
        src, n_features=len(features), text_columns=frozenset(features)
    )
    part = dataclasses.replace(layout, target=target, id=ids[0] if ids else None)

    def generate() -> Iterator[Frame]:
        row0 = 0
        reader = batches(src, names, batch_size)
        try:
            for batch in reader:
                if len(batch):
                    yield convert_batch(src, batch, part, row0, missing, hint)
                    row0 += len(batch)
        except DataError:
            if row0 or src.kind != "csv":
                raise
            list(batches(src, names, batch_size, fast=False))  # names the line
            raise
        finally:
            reader.close()
        if row0 == 0:
            raise DataError(f"{src.path} has a header but no data rows; add rows")

    return generate()
