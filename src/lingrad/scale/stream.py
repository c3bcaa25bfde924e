"""Out-of-core training from table files, without Dask: memory bounded by a batch.

- :func:`shuffled_batches`: one epoch's training rows, decoded once, in a
  seeded random order of the pieces (Parquet row groups, CSV files) mixed by a
  bounded shuffle buffer, so batches mix rows from across the table;
- :class:`FileRows`: the table as the exact solvers'
  :class:`~lingrad.solvers.rows.Rows`: the closed form is one streaming
  pass accumulating the Gram statistics (a second, QR pass only for
  ill-conditioned data), L-BFGS / Newton one pass per evaluation.

Held-out rows (``test_size``) are chosen by :func:`~lingrad.scale.tablefiles.held_out`
from each row's place in its file, so every pass sees the same split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from lingrad.scale.tablefiles import Piece, held_out, read_piece
from lingrad.solvers.rows import Chunk, add

Encode = Callable[[Any], tuple[np.ndarray, np.ndarray | None]]  # y -> (Y, s)


class Table:
    """The training (or held-out) rows of a table's pieces, read batch by batch."""

    def __init__(
        self,
        pieces: Sequence[Piece],
        target: str | None,
        features: Sequence[str],
        *,
        batch_rows: int = 10_000,
        test_size: float | None = None,
        seed: int = 0,
    ) -> None:
        self.pieces, self.target, self.features = list(pieces), target, list(features)
        self.batch_rows, self.test_size, self.seed = batch_rows, test_size, seed
        self.passes = 0  # decodes of the whole table so far

    def batches(
        self, part: str = "train", order: Sequence[int] | None = None
    ) -> Iterator[tuple[np.ndarray, Any, int, Piece]]:
        """``(X, y, row0, piece)`` of the rows of ``part`` ("train", "test", "all")."""
        self.passes += 1
        for i in range(len(self.pieces)) if order is None else order:
            piece = self.pieces[i]
            for X, y, row0 in read_piece(
                piece, self.target, self.features, self.batch_rows
            ):
                if part == "all" or not self.test_size:
                    if part != "test":
                        yield X, y, row0, piece
                    continue
                test = held_out(self.seed, piece.path, row0, len(X), self.test_size)
                keep = test if part == "test" else ~test
                if keep.any():
                    yield X[keep], y[keep], row0, piece


def shuffled_batches(
    table: Table, epoch: int, batch_rows: int, buffer_rows: int
) -> Iterator[tuple[np.ndarray, Any]]:
    """One epoch's training rows as shuffled ``(X, y)`` batches of ``batch_rows``.

    The pieces come in a random order seeded by (seed, epoch); rows gather in
    a buffer of at most ``buffer_rows`` (plus one record batch); whenever it
    is full it is shuffled and all but half of it leaves in batches, so a
    batch mixes rows of several record batches and pieces.
    """
    rng = np.random.default_rng([table.seed, epoch, 1])
    order = rng.permutation(len(table.pieces))
    Xs: list[np.ndarray] = []
    ys: list[Any] = []
    held = 0

    def release(keep: int) -> Iterator[tuple[np.ndarray, Any]]:
        nonlocal Xs, ys, held
        X, y = np.concatenate(Xs), np.concatenate(ys)
        perm = rng.permutation(len(X))
        X, y = X[perm], y[perm]
        cut = len(X) - keep
        for i in range(0, cut, batch_rows):
            yield X[i : min(i + batch_rows, cut)], y[i : min(i + batch_rows, cut)]
        Xs, ys, held = [X[cut:]], [y[cut:]], keep

    for X, y, _, _ in table.batches("train", order.tolist()):
        Xs.append(X)
        ys.append(y)
        held += len(X)
        if held >= buffer_rows:
            yield from release(buffer_rows // 2)
    if held:
        yield from release(0)


class FileRows:
    """A table's training rows as :class:`~lingrad.solvers.rows.Rows` (streamed).

    ``encode(y) -> (Y, s)`` makes a batch's targets (and weights) as the
    in-memory fit does; every :meth:`reduce` decodes the table once.
    """

    fused = True  # a pass decodes the whole table: J, g and H together

    def __init__(
        self,
        table: Table,
        encode: Encode,
        n_samples: int,
        n_outputs: int,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        cols: list[int] | None = None,
    ) -> None:
        self.table, self.encode, self.transform = table, encode, transform
        self.n_samples, self.n_outputs = n_samples, n_outputs
        self.n_features = len(table.features)
        self.feature_names = table.features
        self.dtype = np.dtype(np.float64)
        self.cols = cols

    def reduce(
        self,
        fn: Callable[..., Any],
        *args: Any,
        combine: Callable[[Any, Any], Any] = add,
    ) -> Any:
        total = None
        for X, y, row0, piece in self.table.batches("train"):
            Y, s = self.encode(y)
            if self.cols is not None:
                Y = Y[:, self.cols]
            if self.transform is not None:
                X = self.transform(X)
            part = fn(Chunk(X, Y, s, row0, str(piece.path)), *args)
            total = part if total is None else combine(total, part)
        return total

    def column(self, k: int) -> FileRows:
        return FileRows(self.table, self.encode, self.n_samples, 1, self.transform, [k])
