"""Training rows as chunks: the exact solvers' sums ``Σ_chunks fn(chunk)``.

Every exact solver reads the data only through :meth:`Rows.reduce`: a function
of one :class:`Chunk` (its X, Y, s) whose results are combined pairwise. In
memory (:class:`ArrayRows`) the chunks are row slices of one array; on a Dask
cluster (``lingrad.scale``) they are the collection's blocks, the same
functions run on the workers and the combine is a tree reduction. The
per-chunk functions are module-level (picklable) and take only the chunk and
small arguments, so both paths compute the same sums.

X may be a ``scipy.sparse`` CSR matrix (or array): a chunk is then a row
slice that shares the CSR's arrays (no copy), sized by its nonzeros
(:func:`sparse_cache_rows`), and the per-chunk functions use sparse products.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast, overload

import numpy as np
import scipy.sparse as sp

from lingrad.core.nodes import Array, SparseRows

R = TypeVar("R")  # one chunk's result (a number, an array, tuples or dicts of them)


@dataclass
class Chunk:
    """Rows ``X`` (m, D), targets ``Y`` (m, K), weights ``s`` (m,) or None.

    ``row0`` is the index of the first row in the whole data (None: unknown,
    e.g. a Dask DataFrame partition of unknown length); ``where`` names the
    chunk in messages ("partition 3", a file name).
    """

    X: Array | SparseRows
    Y: Array
    s: Array | None = None
    row0: int | None = 0
    where: str = ""
    offset: int = 0  # rows before this chunk in its block (row0 unknown)

    def row_name(self, i: int) -> str:
        """``row 17 (0-based)`` (of the whole data) or ``row 4 of partition 3``."""
        if self.row0 is not None:
            text = f"row {self.row0 + i} (0-based)"
            return f"{text} ({self.where})" if self.where else text
        return f"row {self.offset + i} of {self.where or 'its chunk'}"

    def split(self, rows: int) -> list[Chunk]:
        """The chunk as consecutive chunks of at most ``rows`` rows."""
        m = n_rows(self.X)
        if m <= rows:
            return [self]
        return [
            Chunk(
                row_slice(self.X, i, i + rows),
                self.Y[i : i + rows],
                None if self.s is None else self.s[i : i + rows],
                None if self.row0 is None else self.row0 + i,
                self.where,
                self.offset + i,
            )
            for i in range(0, m, rows)
        ]


def n_rows(X: Array | SparseRows) -> int:
    """The number of rows of a dense or sparse X (``len`` refuses a sparse one)."""
    return int(X.shape[0])


class _SharedTranspose:
    """A CSR row slice whose ``.T`` is a CSC on the same arrays: scipy's own
    copies the arrays of a view much smaller than its base (its ``prune``),
    a copy of the chunk at every backward pass (``Xᵀ dJ_dz``)."""

    shape: tuple[int, int]
    dtype: np.dtype[np.floating]
    indptr: Array
    indices: Array
    data: Array

    def transpose(self, axes: object = None, copy: bool = False) -> SparseRows:
        if axes is not None or copy:
            base = sp.csr_array if isinstance(self, sp.sparray) else sp.csr_matrix
            return base.transpose(self, axes, copy)
        m, n = self.shape
        csc = sp.csc_array if isinstance(self, sp.sparray) else sp.csc_matrix
        out = csc((n, m), dtype=self.dtype)
        out.indptr, out.indices, out.data = self.indptr, self.indices, self.data
        return out


class _CSRMatrixSlice(_SharedTranspose, sp.csr_matrix):  # type: ignore[misc]
    """Rows of a ``csr_matrix`` sharing its arrays."""


class _CSRArraySlice(_SharedTranspose, sp.csr_array):  # type: ignore[misc]
    """Rows of a ``csr_array`` sharing its arrays."""


def row_slice(X: Array | SparseRows, start: int, stop: int) -> Array | SparseRows:
    """Rows ``start:stop`` of X: a view; of a CSR, one sharing its arrays."""
    if not sp.issparse(X):
        return X[start:stop]
    return _csr_rows(X, start, stop)


def _csr_rows(X: SparseRows, start: int, stop: int) -> SparseRows:
    stop = min(stop, X.shape[0])
    a, b = int(X.indptr[start]), int(X.indptr[stop])
    kind = _CSRArraySlice if isinstance(X, sp.sparray) else _CSRMatrixSlice
    out = kind((stop - start, X.shape[1]), dtype=X.dtype)  # empty, then views
    out.indptr = X.indptr[start : stop + 1] - a  # (the constructor would copy a
    out.indices, out.data = X.indices[a:b], X.data[a:b]  # small view of a big one)
    out.has_sorted_indices = X.has_sorted_indices
    return out


@overload
def as_rows_matrix(X: Array) -> Array: ...
@overload
def as_rows_matrix(X: SparseRows) -> SparseRows: ...
def as_rows_matrix(X: Array | SparseRows) -> Array | SparseRows:
    """X itself when dense or CSR; another sparse format as CSR (one conversion)."""
    return _as_csr(X) if sp.issparse(X) else X


def _as_csr(X: SparseRows) -> SparseRows:
    return X if X.format == "csr" else X.tocsr()


def kept_rows(chunk: Chunk, stride: int) -> Chunk:
    """The chunk's rows whose index in the whole data is a multiple of ``stride``
    (views; of a CSR, a copy of those rows only): the same rows however the
    data are cut into chunks."""
    if stride == 1:
        return chunk
    row0 = chunk.offset if chunk.row0 is None else chunk.row0
    i = -row0 % stride  # the chunk's first kept row
    s = None if chunk.s is None else chunk.s[i::stride]
    return Chunk(chunk.X[i::stride], chunk.Y[i::stride], s, row0 + i, chunk.where)


def add(a: R, b: R) -> R:
    """Element-wise sum of two results: numbers, arrays, tuples or dicts of them."""
    return cast(R, _sum(a, b))  # the same structure as a and b


def _sum(a: object, b: object) -> object:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return tuple(_sum(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: _sum(a[key], b[key]) for key in a}
    return operator.add(a, b)  # numbers and arrays


def tree_combine(parts: Sequence[R], combine: Callable[[R, R], R]) -> R:
    """``combine`` applied pairwise, level by level (a balanced tree)."""
    parts = list(parts)
    while len(parts) > 1:
        pairs = [combine(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def stream_combine(parts: Iterable[R], combine: Callable[[R, R], R]) -> R:
    """:func:`tree_combine`'s very tree, holding at most log2(n) partial results.

    A binary counter: two complete subtrees of equal size merge as soon as
    both exist, and what remains merges right to left at the end, which is
    exactly the level-by-level pairing (the same sums, digit for digit),
    without every chunk's result in memory at once (a Gram each).
    """
    stack: list[tuple[int, R]] = []
    for value in parts:
        size = 1
        while stack and stack[-1][0] == size:
            value = combine(stack.pop()[1], value)
            size *= 2
        stack.append((size, value))
    _, value = stack.pop()
    while stack:
        value = combine(stack.pop()[1], value)
    return value


class Rows(Protocol):
    """What an exact solver needs of its data: shapes and chunked sums."""

    n_samples: int
    n_features: int
    n_outputs: int
    feature_names: Sequence[str] | None

    @property
    def dtype(self) -> np.dtype[np.floating]:
        """The rows' float dtype (float64 or float32; read only)."""
        ...

    fused: bool  # passes are costly (a cluster): fewer passes, e.g. J, g, H at once

    def reduce(
        self,
        fn: Callable[..., R],
        *args: object,
        combine: Callable[[R, R], R] = add,
    ) -> R:
        """``combine`` over every chunk of ``fn(chunk, *args)``."""
        ...

    def column(self, k: int) -> Rows:
        """The same rows with target column ``k`` only (one-vs-rest)."""
        ...


def contiguous(a: Array) -> Array:
    """``a`` C-contiguous and aligned, copied only if it is not.

    A block that crossed the network can arrive misaligned (its bytes at an
    odd offset of the message), and a DataFrame's values are often Fortran-
    ordered; NumPy's matmul then copies through small buffers on every call,
    ten times the cost of the product. One copy here, once per block.
    """
    return np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])


SPARSE_CHUNK_NNZ = 1 << 22  # nonzeros in one in-memory chunk of a sparse X


def cache_rows(n_features: int, X: Array | SparseRows | None = None) -> int:
    """Rows per in-memory chunk: about 2 MB of float64 X, at least 256.

    A chunk that stays in cache is read from memory once by a forward and a
    backward pass together (one pass of L-BFGS or Newton reads X once). A
    sparse ``X``: :func:`sparse_cache_rows` (its nonzeros, not D, size a row).
    """
    if sp.issparse(X):
        return sparse_cache_rows(X)
    return max(256, (1 << 21) // (8 * max(n_features, 1)))


def sparse_cache_rows(X: SparseRows) -> int:
    """Rows per in-memory chunk of a CSR X, by its nonzeros (not by D): about
    ``SPARSE_CHUNK_NNZ`` of them, and at least 16 D, at least 256 rows.

    Large chunks: a sparse row's reads are scattered over W anyway (little
    to gain from cache blocking), while each chunk costs O(D) (its dense
    gradient, its sum).
    """
    per_row = max(X.nnz / max(n_rows(X), 1), 1.0)
    return max(256, int(max(SPARSE_CHUNK_NNZ, 16 * X.shape[1]) // per_row))


class ArrayRows:
    """In-memory rows: X (N, D), Y (N, K), s (N,) or None, in chunks of rows.

    ``chunk_rows=None`` makes the whole array one chunk: the per-chunk
    functions then block it themselves into small reused buffers where they
    need scratch space, so nothing of the size of X is ever copied. The
    estimators use :func:`cache_rows` (for a sparse X, by its nonzeros). A
    sparse X is held as CSR (``sparse`` is True), its chunks sharing its arrays.
    """

    fused = False

    def __init__(
        self,
        X: Array | SparseRows,
        Y: Array,
        s: Array | None = None,
        *,
        chunk_rows: int | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> None:
        X = as_rows_matrix(X)
        self.sparse = sp.issparse(X)
        self.X, self.Y = X, np.asarray(Y).reshape(n_rows(X), -1)
        self.s = None if s is None else np.asarray(s)
        self.chunk_rows = chunk_rows
        self.n_samples, self.n_features = X.shape
        self.n_outputs = self.Y.shape[1]
        self.dtype = X.dtype
        self.feature_names = feature_names

    def chunks(self) -> list[Chunk]:
        whole = Chunk(self.X, self.Y, self.s, 0)
        return whole.split(self.chunk_rows or max(self.n_samples, 1))

    def reduce(
        self,
        fn: Callable[..., R],
        *args: object,
        combine: Callable[[R, R], R] = add,
    ) -> R:
        return stream_combine((fn(chunk, *args) for chunk in self.chunks()), combine)

    def column(self, k: int) -> ArrayRows:
        return ArrayRows(
            self.X,
            self.Y[:, [k]],
            self.s,
            chunk_rows=self.chunk_rows,
            feature_names=self.feature_names,
        )


def column_name(names: Sequence[str] | None, j: int, n_features: int) -> str:
    """``feature 'price'`` / ``feature 3`` (0-based) / ``the target``."""
    if j >= n_features:
        return "the target" if j == n_features else f"target column {j - n_features}"
    if names is not None and j < len(names):
        return f"feature {str(names[j])!r}"
    return f"feature {j} (0-based column index)"
