"""A Dask array / DataFrame (X), its targets and weights as aligned delayed blocks.

X's blocks are its row chunks (arrays, rechunked to whole rows) or its
partitions (DataFrames); y and sample_weight are split the same way. Each
block is converted on the worker to finite floats, with an error that names
the block, the column and the row of the first bad value, as the in-memory
checks do. A block that is a ``scipy.sparse`` matrix (e.g. ``da.from_array``
of a CSR, or the CLI's ``--text`` features) stays sparse, as CSR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from dask.delayed import Delayed, delayed
from numpy.typing import ArrayLike, DTypeLike

from lingrad.core.nodes import Array, SparseRows
from lingrad.errors import DataError
from lingrad.models.dask_hook import is_dask
from lingrad.scale.types import DaskData, Part
from lingrad.solvers.rows import as_rows_matrix, contiguous

if TYPE_CHECKING:
    from dask.typing import Key


@dataclass
class Blocks:
    """X, y, s blocks (delayed), first rows (None: unknown), names, shapes;
    ``source``: the key of each block's source (where the scheduler has it)."""

    X: list[Delayed]
    y: list[Delayed]
    s: list[Delayed] | None
    row0: list[int | None]
    where: list[str]
    feature_names: list[str] | None
    n_features: int
    dtype: np.dtype[np.floating]
    source: list[Key]
    sparse: bool = False  # X's blocks are scipy.sparse matrices (held as CSR)


def _is_frame(obj: object) -> bool:
    return hasattr(obj, "divisions")  # DataFrame, Series (arrays have none)


def _where(kind: str, i: int, n: int) -> str:
    return f"{kind} {i + 1} of {n}"


def split(
    X: DaskData, y: DaskData | ArrayLike, sample_weight: DaskData | ArrayLike = None
) -> Blocks:
    """X, y and s as lists of delayed blocks that line up row for row."""
    if _is_frame(X):
        names = [str(c) for c in X.columns]
        parts = list(X.to_delayed())
        n = len(parts)
        row0: list[int | None] = [None] * n
        where = [_where("partition", i, n) for i in range(n)]
        D = len(names)
        float32 = {str(t) for t in X.dtypes} == {"float32"}
        dtype = np.float32 if float32 else np.float64
    else:
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got {X.ndim}-D.")
        X = X.rechunk({1: -1})  # whole rows in every block
        parts = list(X.to_delayed()[:, 0])
        n = len(parts)
        sizes = X.chunks[0]
        starts: ArrayLike = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if n else []
        row0 = [None if np.isnan(r) else int(r) for r in np.asarray(starts, float)]
        where = [_where("block", i, n) for i in range(n)]
        names, D = None, int(X.shape[1])
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    y_parts = _aligned(y, X, n, "y")
    s_parts = None if sample_weight is None else _aligned(sample_weight, X, n, "w")
    to_x = delayed(x_block, pure=True)
    X_parts = [
        to_x(p, dtype, names, w, r) for p, w, r in zip(parts, where, row0, strict=True)
    ]
    source = [p.key for p in parts]
    sparse = not _is_frame(X) and sp.issparse(getattr(X, "_meta", None))
    return Blocks(
        X_parts, y_parts, s_parts, row0, where, names, D, np.dtype(dtype), source,
        sparse,
    )  # fmt: skip


def _aligned(v: DaskData | ArrayLike, X: DaskData, n: int, what: str) -> list[Delayed]:
    """``v`` (y or sample_weight) as n delayed NumPy blocks lined up with X's."""
    if not is_dask(v):
        if _is_frame(X):
            raise ValueError(
                f"{what} must be a Dask collection partitioned like X (e.g. a column "
                "of the same Dask DataFrame) when X is a Dask DataFrame."
            )
        import dask.array as da

        v = da.from_array(np.asarray(v), chunks=(X.chunks[0],) + np.shape(v)[1:])
    return _dask_aligned(v, X, n, what)


def _dask_aligned(v: DaskData, X: DaskData, n: int, what: str) -> list[Delayed]:
    """Dask ``v`` as n delayed NumPy blocks lined up with X's."""
    if _is_frame(v):
        if v.npartitions != n:
            raise ValueError(
                f"{what} has {v.npartitions} partitions but X has {n}; take both "
                "from one Dask DataFrame."
            )
        to_np = delayed(np.asarray, pure=True)
        return [to_np(p) for p in v.to_delayed()]
    if _is_frame(X):
        raise ValueError(f"{what} must be a Dask DataFrame column when X is one.")
    unknown = np.isnan(np.asarray(v.chunks[0], dtype=float)).any()
    if unknown and len(v.chunks[0]) != n:
        raise ValueError(
            f"{what} has {len(v.chunks[0])} blocks of unknown length but X has {n}; "
            "make both from the same pieces."
        )
    if not unknown:  # blocks of unknown length line up block for block
        v = v.rechunk({0: X.chunks[0]})
    if v.ndim == 2:
        v = v.rechunk({1: -1})
    blocks = v.to_delayed()
    return list(blocks[:, 0] if v.ndim == 2 else blocks)


def x_block(
    part: Part, dtype: DTypeLike, names: list[str] | None, where: str, row0: int | None
) -> Array | SparseRows:
    """One block of X as finite floats (m, D), or an error naming column and row."""
    if not isinstance(part, np.ndarray) and hasattr(part, "columns"):  # pandas
        try:
            X = part.to_numpy(dtype=dtype)
        except (TypeError, ValueError):
            import pandas as pd

            for name in part.columns:
                col = part[name]
                num = pd.to_numeric(col, errors="coerce")
                bad = num.isna() & col.notna()
                if bad.any():
                    i = int(np.argmax(bad.to_numpy()))
                    raise DataError(
                        f"{where}: feature column {str(name)!r} has a non-numeric "
                        f"value {col.iloc[i]!r} at {_row(row0, i)}; features must be "
                        "numbers"
                    ) from None
            raise
    elif sp.issparse(part):
        return _csr_block(part, dtype, names, where, row0)
    else:
        X = np.asarray(part, dtype=dtype)
    finite = np.isfinite(X)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        col = repr(names[j]) if names else f"{j} (0-based)"
        raise DataError(
            f"{where}: feature column {col} has a non-finite value {X[i, j]} at "
            f"{_row(row0, int(i))}; features must be finite numbers"
        )
    return contiguous(X)


def _csr_block(
    part: SparseRows, dtype: DTypeLike, names: list[str] | None, where: str,
    row0: int | None,
) -> SparseRows:  # fmt: skip
    """A sparse block as CSR of ``dtype`` (never densified), or an error naming
    the column and row of its first non-finite stored value."""
    X = as_rows_matrix(part).astype(dtype, copy=False)
    bad = np.flatnonzero(~np.isfinite(X.data))
    if len(bad):
        k = int(bad[0])
        i = int(np.searchsorted(X.indptr, k, side="right")) - 1
        j = int(X.indices[k])
        col = repr(names[j]) if names else f"{j} (0-based)"
        raise DataError(
            f"{where}: feature column {col} has a non-finite value {X.data[k]} at "
            f"{_row(row0, i)}; features must be finite numbers"
        )
    return X


def _row(row0: int | None, i: int) -> str:
    return f"row {i} of the block" if row0 is None else f"row {row0 + i}"
