"""Out-of-core training from table files, without Dask: memory bounded by a batch.

- :func:`shuffled_batches`: one epoch's training rows, decoded once, in a
  seeded random order of the pieces (Parquet row groups, CSV files) mixed by a
  bounded shuffle buffer, so batches mix rows from across the table;
- :class:`FileRows`: the table as the exact solvers'
  :class:`~lingrad.solvers.rows.Rows`: the closed form is one streaming
  pass accumulating the Gram statistics (a second, QR pass only for
  ill-conditioned data), L-BFGS / Newton one pass per evaluation.

Held-out rows (``test_size``) are chosen by :func:`~lingrad.data.split.held_out_at`
from each row's place in its file, so every pass sees the same split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.data.mixed import MixedRows, empty_rows, model_input, put_rows
from lingrad.data.split import held_out_at
from lingrad.scale.tablefiles import Piece, read_frames, read_piece
from lingrad.solvers.rows import Chunk, add

if TYPE_CHECKING:
    import pyarrow as pa

    from lingrad.data.frame import Form, Layout

Encode = Callable[[Array], tuple[Array, Array | None]]  # y -> (Y, s)
Rows = NDArray[np.int64]  # data rows of a piece's file (0-based)
Mask = NDArray[np.bool_]  # True: a held-out row
Cells: TypeAlias = "Array | MixedRows"  # a batch's X: raw cells, or MixedRows
Ids: TypeAlias = "pa.Array | None"  # a batch's ID column (pyarrow), None without one
R = TypeVar("R")  # one chunk's result (a sum)


class Table:
    """The training (or held-out) rows of a table's pieces, read batch by batch.

    ``layout`` (a :class:`~lingrad.data.frame.Layout`): read the pieces as
    ``read_frame`` reads a file (text features, the ID column, missing cells:
    ``missing``), X raw; None: numeric features only (the fast reader).
    """

    def __init__(
        self,
        pieces: Sequence[Piece],
        target: str | None,
        features: Sequence[str],
        *,
        batch_rows: int = 10_000,
        test_size: float | None = None,
        seed: int = 0,
        layout: Layout | None = None,
        missing: str = "error",
    ) -> None:
        self.pieces, self.target, self.features = list(pieces), target, list(features)
        self.batch_rows, self.test_size, self.seed = batch_rows, test_size, seed
        self.layout, self.missing = layout, missing
        self.passes = 0  # decodes of the whole table so far

    @overload
    def frames(
        self, order: Sequence[int] | None = ..., *, mixed: Literal[False] = ...
    ) -> Iterator[tuple[Array, Array, Ids, Rows, Mask, Piece]]: ...
    @overload
    def frames(
        self, order: Sequence[int] | None = ..., *, mixed: bool
    ) -> Iterator[tuple[Cells, Array, Ids, Rows, Mask, Piece]]: ...

    def frames(
        self, order: Sequence[int] | None = None, *, mixed: bool = False
    ) -> Iterator[tuple[Cells, Array, Ids, Rows, Mask, Piece]]:
        """``(X, y, ids, rows, test, piece)`` of every row: ``rows`` the data rows
        in the piece's file, ``test`` marks the held-out rows
        (:func:`~lingrad.data.split.held_out_at`), ``ids`` the ID column's values
        (a pyarrow Array; None without one). ``mixed``: X with text columns as
        :class:`~lingrad.data.mixed.MixedRows`, else raw cells (object)."""
        self.passes += 1
        for i in range(len(self.pieces)) if order is None else order:
            piece = self.pieces[i]
            for X, y, rows, ids in self._read(piece, mixed):
                test = held_out_at(self.seed, piece.path.name, rows, self.test_size)
                yield X, y, ids, rows, test, piece

    def _read(
        self, piece: Piece, mixed: bool
    ) -> Iterator[tuple[Cells, Array, Rows, Ids]]:
        if self.layout is None:
            for X, y, row0 in read_piece(
                piece, self.target, self.features, self.batch_rows
            ):
                assert y is not None  # a Table is read with its target
                rows = np.arange(row0, row0 + len(y), dtype=np.int64)
                yield X, y, rows, None
            return
        import dataclasses

        layout = dataclasses.replace(
            self.layout, features=tuple(self.features), target=self.target
        )
        form: Form = "mixed" if mixed else "cells"
        for f in read_frames(piece, layout, self.batch_rows, self.missing, form):
            assert f.y is not None  # a Table is read with its target
            yield f.X, f.y, f.rows, f.ids

    @overload
    def batches(
        self,
        part: str = ...,
        order: Sequence[int] | None = ...,
        *,
        mixed: Literal[False] = ...,
    ) -> Iterator[tuple[Array, Array, int, Piece]]: ...
    @overload
    def batches(
        self, part: str = ..., order: Sequence[int] | None = ..., *, mixed: bool
    ) -> Iterator[tuple[Cells, Array, int, Piece]]: ...

    def batches(
        self,
        part: str = "train",
        order: Sequence[int] | None = None,
        *,
        mixed: bool = False,
    ) -> Iterator[tuple[Cells, Array, int, Piece]]:
        """``(X, y, row0, piece)`` of the rows of ``part`` ("train", "test", "all");
        ``mixed`` as in :meth:`frames`."""
        for X, y, _, rows, test, piece in self.frames(order, mixed=mixed):
            row0 = int(rows[0]) if len(rows) else 0  # the batch's first data row
            if part == "all":
                yield X, y, row0, piece
                continue
            keep = test if part == "test" else ~test
            if keep.any():
                yield X[keep], y[keep], row0, piece


def shuffled_batches(
    table: Table, epoch: int, batch_rows: int, buffer_rows: int
) -> Iterator[tuple[Cells, Array]]:
    """One epoch's training rows as shuffled ``(X, y)`` batches.

    The pieces come in a random order seeded by (seed, epoch), and a shuffle
    buffer of ``buffer_rows`` rows mixes them: once it is full, each incoming
    record batch of m rows swaps with m rows drawn at random from the buffer,
    and those leave as the next batch (each row is copied twice, in and out);
    at the end the buffer leaves in a random order. So a batch mixes rows of
    the whole buffer's span of the table, and memory stays one buffer.
    """
    rng = np.random.default_rng([table.seed, epoch, 1])
    order = rng.permutation(len(table.pieces)).tolist()
    buf_X: Cells | None = None
    buf_y: Array | None = None
    held = 0
    for X, y, _, _ in table.batches("train", order, mixed=True):
        if buf_X is None or buf_y is None:
            buf_X = empty_rows(X, buffer_rows)
            buf_y = np.empty(buffer_rows, dtype=y.dtype)
        if buf_y.dtype != y.dtype and buf_y.dtype.kind != "O":  # e.g. longer labels
            buf_y = buf_y.astype(np.result_type(buf_y.dtype, y.dtype))
        take = min(buffer_rows - held, len(X))  # filling up: no output yet
        put_rows(buf_X, slice(held, held + take), X[:take])
        buf_y[held : held + take] = y[:take]
        held += take
        X, y = X[take:], y[take:]
        if len(X):  # full: swap the rest in for random rows, which leave
            slots = rng.choice(buffer_rows, size=len(X), replace=False)
            out_X, out_y = buf_X[slots], buf_y[slots]
            put_rows(buf_X, slots, X)
            buf_y[slots] = y
            yield from _batches(out_X, out_y, batch_rows)
    if held:
        assert buf_X is not None and buf_y is not None
        perm = rng.permutation(held)
        yield from _batches(buf_X[perm], buf_y[perm], batch_rows)


def _batches(X: Cells, y: Array, rows: int) -> Iterator[tuple[Cells, Array]]:
    for i in range(0, len(X), rows):
        yield X[i : i + rows], y[i : i + rows]


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
        transform: Callable[[Array], Array] | None = None,
        cols: list[int] | None = None,
        n_features: int | None = None,
    ) -> None:
        self.table, self.encode, self.transform = table, encode, transform
        self.n_samples, self.n_outputs = n_samples, n_outputs
        self.n_features = len(table.features) if n_features is None else n_features
        same = self.n_features == len(table.features)  # else one-hot columns
        self.feature_names: Sequence[str] | None = table.features if same else None
        self.dtype = np.dtype(np.float64)
        self.cols = cols

    def reduce(
        self,
        fn: Callable[..., R],
        *args: object,
        combine: Callable[[R, R], R] = add,
    ) -> R:
        total: R | None = None
        mixed = self.transform is not None
        for X, y, row0, piece in self.table.batches("train", mixed=mixed):
            Y, s = self.encode(y)
            if self.cols is not None:
                Y = Y[:, self.cols]
            if self.transform is not None:
                X = self.transform(model_input(X))
            part = fn(Chunk(X, Y, s, row0, str(piece.path)), *args)
            total = part if total is None else combine(total, part)
        if total is None:  # the workflows refuse a table of no training rows first
            raise ValueError("the table has no training rows to sum over")
        return total

    def column(self, k: int) -> FileRows:
        return FileRows(self.table, self.encode, self.n_samples, 1, self.transform,
                        [k], self.n_features)  # fmt: skip
