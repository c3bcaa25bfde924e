"""A Dask collection's blocks as :class:`~lingrad.solvers.rows.Rows`: tree-reduced sums.

Each block is one :class:`~lingrad.solvers.rows.Chunk` (X, Y, s as NumPy on
a worker); :meth:`DaskRows.reduce` runs the solver's per-chunk function on
every block where the block lives and combines the results pairwise on the
workers (a tree), so only the small sums (a Gram matrix, a gradient, a
Hessian) ever travel. With a ``distributed`` client the blocks' tasks are
futures, watched as they complete (the progress hook); without one,
``dask.compute`` runs the same graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import scipy.sparse as sp
from dask.base import compute
from dask.delayed import Delayed, delayed

from lingrad.core.nodes import Array, SparseRows
from lingrad.solvers.rows import Chunk, add, cache_rows, contiguous, tree_combine

if TYPE_CHECKING:
    from distributed import Client, Future

R = TypeVar("R")  # one chunk's result (a sum: numbers, arrays, tuples of them)
T = TypeVar("T")

Progress = Callable[[int], None]  # called with the number of blocks just done


@dataclass
class Block:
    """One block: delayed X (m, D; NumPy or CSR), Y (m, K), s (m,) or None, and its
    place."""

    X: Delayed
    Y: Delayed
    s: Delayed | None
    row0: int | None
    where: str


def client_or_none() -> Client | None:
    """The current ``distributed`` client, or None (then ``dask.compute``)."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def fits_in_cluster(client: Client, nbytes: float) -> bool:
    """Whether ``nbytes`` fit in half the workers' memory (then they persist it)."""
    workers = client.scheduler_info().get("workers", {}).values()
    memory = sum(float(w.get("memory_limit") or 0) for w in workers)
    return not memory or nbytes <= 0.5 * memory


class Args:
    """A solver's arguments as one object in the graph (not read as a task)."""

    def __init__(self, values: tuple[object, ...]) -> None:
        self.values = values


def _apply(
    fn: Callable[..., R], X: Array | SparseRows, Y: Array, s: Array | None,
    row0: int | None, where: str, cols: list[int] | None, args: Args,
    combine: Callable[[R, R], R],
) -> R:  # fmt: skip
    """``fn(chunk, *args)`` over one block (on a worker), in cache-sized chunks
    combined as in memory (a forward and a backward pass read X once)."""
    if cols is not None:
        Y = Y[:, cols]
    if not sp.issparse(X):
        X = contiguous(X)  # moved blocks can be misaligned
    block = Chunk(X, Y, s, row0, where)
    parts = [fn(c, *args.values) for c in block.split(cache_rows(X.shape[1], X))]
    return tree_combine(parts, combine)


FAN_IN = 8  # results combined per task: few levels, so little latency


def combine_group(combine: Callable[[R, R], R], *parts: R) -> R:
    """``combine`` over a few results, pairwise (one task on a worker)."""
    return tree_combine(parts, combine)


def _levels(parts: list[T], submit: Callable[[list[T]], T]) -> T:
    while len(parts) > 1:
        parts = [submit(parts[i : i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
    return parts[0]


def lazy_tree(parts: Sequence[Delayed], combine: Callable[[R, R], R]) -> Delayed:
    """A delayed ``combine`` of the parts, :data:`FAN_IN` at a time per level."""
    group = delayed(combine_group, pure=False)
    return _levels(list(parts), lambda some: group(combine, *some))


def compute_tree(
    parts: Sequence[Delayed],
    combine: Callable[[R, R], R],
    progress: Progress | None = None,
) -> R:
    """``combine`` over the parts' results, a few at a time on the workers."""
    client = client_or_none()
    if client is None:
        result: R
        (result,) = compute(lazy_tree(parts, combine))
        if progress is not None:
            progress(len(parts))
        return result
    from distributed import as_completed

    futures: list[Future[R]] = client.compute(list(parts))
    root = _levels(
        list(futures),
        lambda some: client.submit(combine_group, combine, *some, pure=False),
    )
    if progress is not None:
        for _ in as_completed(futures):
            progress(1)
    return root.result()


class DaskRows:
    """The exact solvers' view of Dask blocks (see :class:`~lingrad.solvers.rows.Rows`).

    ``fused``: Newton evaluates J, g and H in one pass per iteration (each
    pass over a cluster's data costs more than a Hessian).
    """

    fused = True

    def __init__(
        self,
        blocks: list[Block],
        n_samples: int,
        n_features: int,
        n_outputs: int,
        dtype: np.dtype[np.floating],
        feature_names: Sequence[str] | None = None,
        cols: list[int] | None = None,
        progress: Progress | None = None,
        sizes: list[int] | None = None,
    ) -> None:
        self.blocks, self.sizes = blocks, sizes  # sizes: rows per block
        self.n_samples, self.n_features, self.n_outputs = (
            n_samples,
            n_features,
            n_outputs,
        )
        self.dtype, self.feature_names = dtype, feature_names
        self.cols, self.progress = cols, progress
        self.passes = 0  # reductions run so far (one read of every block each)

    def reduce(
        self,
        fn: Callable[..., R],
        *args: object,
        combine: Callable[[R, R], R] = add,
    ) -> R:
        shared = delayed(Args(args), pure=False)  # in the graph once
        apply = delayed(_apply, pure=False)
        parts = [
            apply(fn, b.X, b.Y, b.s, b.row0, b.where, self.cols, shared, combine)
            for b in self.blocks
        ]
        self.passes += 1
        return compute_tree(parts, combine, self.progress)

    def column(self, k: int) -> DaskRows:
        rows = DaskRows(
            self.blocks, self.n_samples, self.n_features, 1, self.dtype,
            self.feature_names, [k], self.progress, self.sizes,
        )  # fmt: skip
        return rows
