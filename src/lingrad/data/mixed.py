"""Streamed rows of a table with text columns: numbers as float64, text as objects.

A batch read for streaming whose features include text keeps its numeric cells
in one (N, D) float64 block (text columns NaN there) and its text cells in an
(N, T) object array, instead of one (N, D) object array of boxed cells: a
shuffle buffer then moves floats, and the preprocessing reads the numbers
without unboxing them. :meth:`MixedRows.frame` is what the fitted preprocessing
(fitted on raw cells, column positions) transforms: a DataFrame whose columns
are the positions 0..D-1, the same output as the object array gives;
:meth:`MixedRows.cells` is that object array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

    from lingrad.data.table import Rows

G = TypeVar("G", bound=np.generic)

__all__ = ["MixedRows", "as_cells", "empty_rows", "model_input", "put_rows"]


@dataclass
class MixedRows:
    """``numbers`` (N, D) float64 (NaN: missing, or a text column), ``text`` (N, T)
    object (str; ``nan``: missing) holding columns ``text_columns`` of D."""

    numbers: NDArray[np.float64]
    text: NDArray[np.object_]
    text_columns: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.numbers), self.numbers.shape[1]

    def __getitem__(self, rows: Rows) -> MixedRows:
        return MixedRows(self.numbers[rows], self.text[rows], self.text_columns)

    def __setitem__(self, rows: Rows, other: MixedRows) -> None:
        self.numbers[rows], self.text[rows] = other.numbers, other.text

    def empty(self, n: int) -> MixedRows:
        """``n`` rows of the same columns, not filled in (a buffer)."""
        numbers = np.empty((n, self.numbers.shape[1]), dtype=np.float64)
        text = np.empty((n, self.text.shape[1]), dtype=object)
        return MixedRows(numbers, text, self.text_columns)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame of columns 0..D-1 (float64, text as objects)."""
        import pandas as pd

        text = dict(zip(self.text_columns, self.text.T, strict=True))
        columns = {
            j: text[j] if j in text else self.numbers[:, j]
            for j in range(self.numbers.shape[1])
        }
        return pd.DataFrame(columns, copy=False)

    def cells(self) -> NDArray[np.object_]:
        """The rows as one (N, D) object array of raw cells."""
        out = self.numbers.astype(object)
        out[:, list(self.text_columns)] = self.text
        return out


@overload
def empty_rows(X: MixedRows, n: int) -> MixedRows: ...
@overload
def empty_rows(X: NDArray[G], n: int) -> NDArray[G]: ...


def empty_rows(X: NDArray[G] | MixedRows, n: int) -> NDArray[G] | MixedRows:
    """``n`` rows shaped like those of ``X`` (an array or MixedRows), not filled in."""
    if isinstance(X, MixedRows):
        return X.empty(n)
    return np.empty((n, *X.shape[1:]), dtype=X.dtype)


def model_input(X: NDArray[G] | MixedRows) -> NDArray[G] | pd.DataFrame:
    """X as the fitted preprocessing reads it: MixedRows as :meth:`~MixedRows.frame`."""
    return X.frame() if isinstance(X, MixedRows) else X


def as_cells(X: NDArray[G] | MixedRows) -> NDArray[G] | NDArray[np.object_]:
    """X as raw cells: MixedRows as :meth:`~MixedRows.cells`, an array as it is."""
    return X.cells() if isinstance(X, MixedRows) else X


def put_rows(
    buf: NDArray[G] | MixedRows, rows: Rows, X: NDArray[G] | MixedRows
) -> None:
    """``buf[rows] = X``, both arrays or both MixedRows."""
    if isinstance(buf, MixedRows) and isinstance(X, MixedRows):
        buf[rows] = X
    elif not isinstance(buf, MixedRows) and not isinstance(X, MixedRows):
        buf[rows] = X
    else:
        raise TypeError("a batch of MixedRows and one of raw cells do not mix")
