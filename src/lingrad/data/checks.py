"""Checks of a table read for training: cells whose square overflows float64,
constant feature columns, and text columns with about one value per row."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lingrad.data.table import column, distinct_text
from lingrad.errors import ConstantFeatureWarning, DataError

if TYPE_CHECKING:
    from lingrad.data.frame import Frame

__all__ = ["SQUARE_LIMIT", "check_squares", "warn_about_columns"]

SQUARE_LIMIT = float(np.sqrt(np.finfo(np.float64).max))  # |x| above: x^2 overflows


def warn_about_columns(frame: Frame, source: object) -> None:
    """Warn about constant features and text columns with a value per row."""
    X = frame.X
    n = len(X)
    constant, wide = [], []
    for j, name in enumerate(frame.layout.features):
        if name in frame.layout.categorical:
            k = distinct_text(X, j)
            if k > 20 and 2 * k > n:
                wide.append((name, k))
        else:
            present = column(X, j)
            present = present[~np.isnan(present)]
            if n > 1 and len(present) and np.ptp(present) == 0:
                constant.append(name)
    if constant:
        warnings.warn(
            f"{source}: feature column(s) {', '.join(map(repr, constant))} hold a "
            "single value and carry no information; consider leaving them out",
            ConstantFeatureWarning,
            stacklevel=3,
        )
    for name, k in wide:
        warnings.warn(
            f"{source}: text column {name!r} has {k} distinct values in {n} rows; "
            f"one-hot encoding makes {k} features of it. An ID or a date? Leave it "
            f"out with --exclude {name!r} (or carry it with --id {name!r})",
            UserWarning,
            stacklevel=3,
        )


def check_squares(
    frame: Frame, source: object, y: ArrayLike | None = None, target: str | None = None
) -> None:
    """:class:`DataError` naming the first cell whose square overflows float64
    (|x| > 1.34e154): the model's J, XᵀX and the scaler's variance need x²."""
    checks: list[tuple[str, str, NDArray[np.generic]]] = []
    for j, name in enumerate(frame.layout.features):
        if name not in frame.layout.categorical:
            values = column(frame.X, j)
            checks.append(("feature", name, values))
    if y is not None:
        checks.append(("target", target or "y", np.asarray(y, dtype=np.float64)))
    for role, name, values in checks:
        with np.errstate(invalid="ignore"):
            big = np.abs(values) > SQUARE_LIMIT
        if big.any():
            i = int(np.argmax(big))
            raise DataError(
                f"{source}: {role} column {name!r} holds {values[i]:.3g} at "
                f"{frame.where(int(frame.rows[i]))}; its square overflows float64 "
                f"(|x| > {SQUARE_LIMIT:.3g}), which training needs: rescale that "
                "column (e.g. divide it by a power of 10) or fix that row"
            )
