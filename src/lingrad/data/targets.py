"""Target checks: y as a regression target (finite float64) or as class labels,
with a :class:`DataError` naming the file, column and first bad row."""

from __future__ import annotations

import os
import re

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lingrad.data.columns import NUMBER, Raw, Values, describe
from lingrad.errors import DataError

__all__ = ["as_regression_target", "check_classification_target", "check_labels"]


def _names(path: str | os.PathLike[str] | None, target: str | None) -> tuple[str, str]:
    where = f"{path}: " if path is not None else ""
    return where, f"target column {target!r}" if target is not None else "the target"


def as_regression_target(
    y: ArrayLike,
    path: str | os.PathLike[str] | None = None,
    target: str | None = None,
    row0: int = 0,
) -> NDArray[np.float64]:
    """y as float64 (N,), or a :class:`DataError` naming the first non-numeric row.

    ``row0``: rows before this part of the file (for batches read one by one).
    """
    where, name = _names(path, target)
    cells = np.asarray(y)
    if cells.dtype.kind in "biuf":
        values = cells.astype(np.float64)
        bad = ~np.isfinite(values)
    else:
        text = [str(v).strip() for v in cells.ravel()]
        bad = np.array([re.fullmatch(NUMBER, t) is None for t in text], dtype=bool)
        values = np.array(
            [0.0 if b else float(t) for t, b in zip(text, bad, strict=True)]
        )
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{where}{name} has {describe(cells.ravel()[i])} at row {row0 + i + 1}; a "
            "regression model needs numbers: choose a numeric target column or a "
            "classifier"
        )
    return values.reshape(cells.shape)


def check_labels(
    y: ArrayLike,
    path: str | os.PathLike[str] | None = None,
    target: str | None = None,
    row0: int = 0,
) -> Raw:
    """y (N,) unchanged if it can hold class labels (floats must be whole numbers);
    a :class:`DataError` naming the first row (after ``row0``) that cannot."""
    where, name = _names(path, target)
    labels: Values = np.asarray(y).ravel()
    if labels.dtype.kind == "f":
        floats = labels.astype(np.float64)
        bad = ~np.isfinite(floats) | (floats != np.round(floats))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{where}{name} looks continuous ({floats[i].item()!r} at row "
                f"{row0 + i + 1}); a classifier needs class labels: use a regression "
                "model or bin it"
            )
    return labels


def check_classification_target(
    y: ArrayLike, path: str | os.PathLike[str] | None = None, target: str | None = None
) -> Raw:
    """Check that y holds class labels (not a continuous target, >= 2 classes).

    Returns the sorted classes; raises :class:`DataError` otherwise.
    """
    where, name = _names(path, target)
    labels = check_labels(y, path, target)
    try:
        classes = np.unique(labels)
    except TypeError as e:
        raise DataError(f"{where}{name} mixes numbers and text; use one kind") from e
    if len(classes) < 2:
        found = repr(classes[:1].tolist()[0]) if len(classes) else "none"
        raise DataError(
            f"{where}{name} holds a single class ({found}); a classifier needs at "
            "least two: check the target column and the rows kept"
        )
    return classes
