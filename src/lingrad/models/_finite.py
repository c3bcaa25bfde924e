"""Scores that overflow: refused, naming the row (``finite_scores``)."""

from __future__ import annotations

import numpy as np

from lingrad.errors import DataError

__all__ = ["OverflowRowError", "finite_scores"]


class OverflowRowError(DataError):
    """Row ``row`` (0-based, of the X given) overflows; ``reason`` says how without
    naming the row, so that a caller reading a file can name the file's row."""

    def __init__(self, row: int, who: str, what: str, rest: str) -> None:
        super().__init__(f"{who}: the {what} of row {row} overflow {rest}")
        self.row, self.reason = row, f"{who}: the {what} overflow {rest}"


def finite_scores(
    estimator: object, z: np.ndarray, what: str = "decision values"
) -> np.ndarray:
    """``z`` if finite; else a DataError naming the first row whose input overflows."""
    bad = ~np.isfinite(z)
    if bad.any():
        row = int(np.argwhere(bad.reshape(len(z), -1).any(axis=1))[0, 0])
        value = np.ravel(z[row])[np.ravel(bad[row])][0]
        raise OverflowRowError(
            row,
            type(estimator).__name__,
            what,
            f"to {value} (its features are too large for float arithmetic, e.g. "
            "1e308); scale or clip the inputs",
        )
    return z
