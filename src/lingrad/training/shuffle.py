"""Epoch orders: a full row shuffle, or shuffled blocks of contiguous rows.

``shuffle="rows"`` draws a permutation of all N rows every epoch:
every order is equally likely, and a shuffled epoch reads X in random order,
one cache miss per row. ``shuffle="blocks"`` cuts X into contiguous blocks of
about ``BLOCK_BYTES`` (``block_rows``) and shuffles the order of the blocks,
each block read forward from a random row of it (wrapping round): the compiled
engine prefetches each block while it works on the one before (``lookahead``),
near streaming speed.

The trade-off: with blocks, rows stay near their neighbours in the data
(within one block of ``block_rows`` rows), so a data set *sorted* by its
target or a feature gives batches that are less mixed than a row shuffle's.
On rows in no particular order (i.i.d. data) both reach the same objective
(``bench/bench_engine.py`` prints it for each mode); sort-ordered data wants
"rows".

``shuffle=True`` (the default) chooses by size (:func:`resolve`): "rows" while
X is at most ``ROWS_MAX_BYTES`` (it sits in cache, so a random order costs
nothing), "blocks" beyond, where a row shuffle reads memory at random and
per-sample SGD runs at a third of the speed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array, SparseRows

MODES = (True, False, "rows", "blocks")
Shuffle = bool | Literal["rows", "blocks"]  # one of MODES
BLOCK_BYTES = 1 << 16  # 64 KiB: a block stays in L2 until its rows are read
PREFETCH_ROWS = 4  # "rows": the row fetched this many rows ahead
ROWS_MAX_BYTES = 32 << 20  # shuffle=True: a row shuffle up to this size of X

Order = NDArray[np.intp]


def n_rows(X: Array | SparseRows) -> int:
    """The number of rows of X: an array, or a sparse matrix (no ``len``)."""
    return int(X.shape[0])


def row_bytes(X: Array | SparseRows) -> int:
    """The bytes of one row of X, at least 1: a dense row's, or for sparse rows
    (CSR: ``data`` and ``indices``) the mean nonzeros' values and indices."""
    N = max(n_rows(X), 1)
    if not isinstance(X, np.ndarray):  # CSR rows: what reading a row reads
        entry = X.data.dtype.itemsize + X.indices.dtype.itemsize
        return max(int(-(-len(X.indices) * entry // N)), 1)
    return max(int(X.dtype.itemsize) * (int(X.size) // N), 1)


def check_mode(shuffle: object) -> Shuffle:
    """``shuffle`` if it is one of True, False, "rows", "blocks"; else ValueError."""
    if isinstance(shuffle, bool):
        return shuffle
    if shuffle == "rows" or shuffle == "blocks":
        return "rows" if shuffle == "rows" else "blocks"
    raise ValueError(
        f"shuffle must be True, False, 'rows' or 'blocks'; got {shuffle!r}."
    )


def resolve(shuffle: Shuffle, N: int, row_bytes: int) -> Shuffle:
    """The mode ``shuffle`` means for N rows of ``row_bytes``: True is "rows" for
    an X of at most ROWS_MAX_BYTES, "blocks" for a larger one; others as given."""
    if shuffle is True:
        return "blocks" if N * row_bytes > ROWS_MAX_BYTES else "rows"
    return shuffle


def block_rows(row_bytes: int) -> int:
    """Rows per block: about BLOCK_BYTES of X, at least one row."""
    return max(BLOCK_BYTES // max(row_bytes, 1), 1)


def epoch_order(
    rng: np.random.Generator, N: int, shuffle: Shuffle, row_bytes: int
) -> Order | None:
    """The epoch's row order (None: data order).

    "blocks": the blocks (of ``block_rows`` rows; the last may be shorter) in a
    random order, each block's rows in address order from a random row of the
    block, wrapping round (so memory is read forward: a random order inside a
    block costs a third more time and mixes nothing a block does not mix).
    """
    shuffle = resolve(shuffle, N, row_bytes)
    if shuffle is False:
        return None
    if shuffle != "blocks":
        return rng.permutation(N)
    L = block_rows(row_bytes)
    full = N // L  # blocks of L rows, then a short one of N - full·L rows
    blocks = rng.permutation(-(-N // L))  # block k starts at row k·L
    first = rng.integers(L, size=len(blocks))  # each block's first row
    whole = blocks < full
    rel = np.arange(L) + first[whole, None]  # (blocks, L): rows from ``first``,
    rel[rel >= L] -= L  # wrapping round
    order = (blocks[whole, None] * L + rel).ravel()
    if len(blocks) > full:  # the short block, where the permutation put it
        T = N - full * L
        at = int(np.flatnonzero(~whole)[0]) * L
        tail = full * L + (np.arange(T) + int(first[~whole][0]) % T) % T
        order = np.concatenate([order[:at], tail, order[at:]])
    return np.asarray(order, dtype=np.intp)


def lookahead(order: Order, shuffle: Shuffle, row_bytes: int) -> Order:
    """The row to prefetch at each position of ``order`` (the compiled engine).

    "rows": the row PREFETCH_ROWS positions ahead. "blocks": the row one block
    (``block_rows``) ahead, so the next block is in cache when its turn comes.
    """
    N = len(order)
    mode = resolve(shuffle, N, row_bytes)
    k = min(PREFETCH_ROWS if mode != "blocks" else block_rows(row_bytes), N)
    return np.asarray(np.r_[order[k:], order[-1:].repeat(k)], dtype=np.intp)
