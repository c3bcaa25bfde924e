"""Epoch orders: a full row shuffle, or shuffled blocks of contiguous rows.

``shuffle="rows"`` draws a permutation of all N rows every epoch:
every order is equally likely, and a shuffled epoch reads X in random order,
one cache miss per row. ``shuffle="blocks"`` cuts X into contiguous blocks of
about ``BLOCK_BYTES`` (``block_rows``), shuffles the order of the blocks and
the rows inside each block: the compiled engine then reads each block in
address order one block ahead (``lookahead``), near streaming speed.

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

from typing import Any

import numpy as np
from numpy.typing import NDArray

MODES = (True, False, "rows", "blocks")
BLOCK_BYTES = 1 << 16  # 64 KiB: a block stays in L2 until its rows are read
PREFETCH_ROWS = 4  # "rows": the row fetched this many rows ahead
ROWS_MAX_BYTES = 32 << 20  # shuffle=True: a row shuffle up to this size of X

Order = NDArray[np.intp]


def check_mode(shuffle: Any) -> Any:
    """``shuffle`` if it is one of True, False, "rows", "blocks"; else ValueError."""
    if not any(shuffle is m or (isinstance(m, str) and shuffle == m) for m in MODES):
        raise ValueError(
            f"shuffle must be True, False, 'rows' or 'blocks'; got {shuffle!r}."
        )
    return shuffle


def resolve(shuffle: Any, N: int, row_bytes: int) -> Any:
    """The mode ``shuffle`` means for N rows of ``row_bytes``: True is "rows" for
    an X of at most ROWS_MAX_BYTES, "blocks" for a larger one; others as given."""
    if shuffle is True:
        return "blocks" if N * row_bytes > ROWS_MAX_BYTES else "rows"
    return shuffle


def block_rows(row_bytes: int) -> int:
    """Rows per block: about BLOCK_BYTES of X, at least one row."""
    return max(BLOCK_BYTES // max(row_bytes, 1), 1)


def epoch_order(
    rng: np.random.Generator, N: int, shuffle: Any, row_bytes: int
) -> Order | None:
    """The epoch's row order (None: data order)."""
    shuffle = resolve(shuffle, N, row_bytes)
    if shuffle is False:
        return None
    if shuffle != "blocks":
        return rng.permutation(N)
    L = block_rows(row_bytes)
    full = N // L  # blocks of L rows, then a last one of N - full·L rows
    rows = rng.permuted(np.arange(full * L).reshape(full, L), axis=1)  # within
    blocks = list(rows[rng.permutation(full)])  # the blocks in a random order
    if N > full * L:
        tail = full * L + rng.permutation(N - full * L)
        blocks.insert(int(rng.integers(full + 1)), tail)
    return np.concatenate(blocks) if blocks else np.arange(N)


def lookahead(order: Order, shuffle: Any, row_bytes: int) -> Order:
    """The row to prefetch at each position of ``order`` (the compiled engine).

    "rows": the row PREFETCH_ROWS positions ahead. "blocks": one block ahead,
    in address order, so memory is read sequentially.
    """
    N = len(order)
    if resolve(shuffle, N, row_bytes) != "blocks":
        ahead = np.r_[order[PREFETCH_ROWS:], order[-1:].repeat(min(PREFETCH_ROWS, N))]
        return np.asarray(ahead, dtype=np.intp)
    L = block_rows(row_bytes)
    block = order // L  # the block of each position; blocks are runs of positions
    first = np.r_[True, block[1:] != block[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(N), 0))
    ascending = block * L + (np.arange(N) - run_start)  # each block in address order
    return np.asarray(np.r_[ascending[L:], ascending[-1:].repeat(min(L, N))], np.intp)
