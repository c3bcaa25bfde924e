"""The feature table of a fit in memory: numbers as float64, text as codes.

A table whose features are all numbers is an (N, D) float64 array. With text
(categorical) features it is a pandas DataFrame in feature order: each numeric
column float64 (NaN: missing), each text column a ``pandas.Categorical`` built
from pyarrow's dictionary encoding (an integer code per cell, code -1 where
missing; one Python string per category, none per cell). scikit-learn's
preprocessing (imputer, scaler, one-hot encoder) reads both, and gives a
DataFrame the same output as the object array of raw cells a model file's
Pipeline reads at predict time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "column",
    "distinct_text",
    "has_text",
    "rows_of",
    "text_frame",
    "text_objects",
]

Array = NDArray[np.generic]  # a column: float64, int32 codes or str objects
# X in memory: float64 numbers, raw cells (object), or the coded DataFrame (pandas
# is untyped here: mypy checks the arrays only)
Table: TypeAlias = "NDArray[np.float64] | NDArray[np.object_] | pd.DataFrame"
Rows: TypeAlias = "NDArray[np.intp] | NDArray[np.int64] | NDArray[np.bool_] | slice"


def text_frame(
    features: Sequence[str],
    numbers: dict[str, NDArray[np.float64]],
    codes: dict[str, tuple[NDArray[np.int32], list[str]]],
    n: int,
) -> pd.DataFrame:
    """The DataFrame of ``features`` (``n`` rows) from float64 ``numbers`` and text
    ``codes`` (``(codes, words)``: code -1 missing), numeric columns in one float
    block. Each column of ``numbers`` is taken out of it as it is copied in (one
    copy of the numbers alive at a time)."""
    import pandas as pd

    names = [f for f in features if f in numbers]
    block = np.empty((len(names), n), dtype=np.float64)
    for k, name in enumerate(names):
        block[k] = numbers.pop(name)  # (D_num, N): each column contiguous
    frame = pd.DataFrame(block.T, columns=pd.Index(names, dtype=object), copy=False)
    for j, name in enumerate(features):
        if name in codes:
            c, words = codes[name]
            cat = pd.Categorical.from_codes(c, categories=pd.Index(words, dtype=object))
            frame.insert(j, name, cat)
    return frame


def has_text(X: object) -> bool:
    """Whether a table holds text columns (a DataFrame, or raw object cells)."""
    return hasattr(X, "iloc") or getattr(getattr(X, "dtype", None), "kind", "") == "O"


def rows_of(X: Table, index: Rows) -> Table:
    """Rows ``index`` (positions, a slice or a boolean mask) of an array or a
    DataFrame (its index renumbered 0..n-1)."""
    if not hasattr(X, "iloc"):
        return X[index]
    part = X.iloc[index]
    return part.reset_index(drop=True)


def column(X: Table, j: int) -> Array:
    """Feature column ``j``: float64 for numbers; text as an object array (its
    categories' strings, ``nan`` where missing)."""
    if not hasattr(X, "iloc"):
        return np.asarray(X[:, j])
    values = X.iloc[:, j]
    if hasattr(values, "cat"):
        return np.asarray(values, dtype=object)
    return np.asarray(values, dtype=np.float64)


def text_objects(
    X: Table, names: Sequence[str], features: Sequence[str]
) -> NDArray[np.object_]:
    """The text columns ``names`` of ``X`` as an (N, len(names)) object array."""
    out = np.empty((len(X), len(names)), dtype=object)
    for k, name in enumerate(names):
        out[:, k] = column(X, list(features).index(name))
    return out


def distinct_text(X: Table, j: int) -> int:
    """The number of distinct present values of text column ``j``."""
    if hasattr(X, "iloc"):
        codes = np.asarray(X.iloc[:, j].cat.codes)
        return int(np.count_nonzero(np.bincount(codes[codes >= 0])))
    return len({v for v in X[:, j].tolist() if isinstance(v, str)})
