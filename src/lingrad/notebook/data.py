"""The learner's own data: an ``(X, y)`` pair, or a DataFrame and its target column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lingrad.errors import DataError


@dataclass
class Table:
    """Features X (N, D) as float64, the target y (N,), and their names."""

    X: NDArray[np.float64]
    y: NDArray[np.generic]  # labels (any dtype) or numbers
    feature_names: list[str]
    target: str


def as_table(data: object, target: str | None = None) -> Table:
    """``(X, y)`` or a DataFrame with ``target=`` as a :class:`Table`."""
    if isinstance(data, tuple | list) and len(data) == 2:
        if target is not None:
            raise DataError(
                "target= names a DataFrame column; with (X, y) leave it out"
            )
        X, y = data
        names = [str(c) for c in getattr(X, "columns", [])]
        tname = str(getattr(y, "name", None) or "y")
    elif hasattr(data, "columns") and hasattr(data, "drop"):
        frame: Any = data  # a pandas DataFrame (pandas is untyped here)
        if target is None or target not in frame.columns:
            cols = ", ".join(map(str, list(frame.columns)[:8]))
            raise DataError(
                f"target={target!r} is not a column of the DataFrame; give the "
                f"column to predict, one of: {cols}"
            )
        X, y, names, tname = frame.drop(columns=[target]), frame[target], None, target
        names = [str(c) for c in X.columns]
    else:
        raise DataError(
            f"data must be an (X, y) pair or a DataFrame with target=, got "
            f"{type(data).__name__}"
        )
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(f"the features must be numbers ({e}); encode them first") from e
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or y.ndim != 1:
        raise DataError(f"X must be (N, D) and y (N,): got X {X.shape} and y {y.shape}")
    if not np.isfinite(X).all():
        raise DataError("X holds NaN or infinite values; drop or fill them first")
    names = names or [f"x{j + 1}" for j in range(X.shape[1])]
    return Table(X, y, names, tname)
