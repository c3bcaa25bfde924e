"""Stochastic solvers over Dask blocks: ``partial_fit`` block after block.

Per epoch the blocks are visited in a seeded random order
(:func:`block_order`; the data's order with ``shuffle=False``), and each
visit is one in-memory ``partial_fit`` of that block on the worker that holds
it (which shuffles the block's rows, as every epoch does in memory): the
model travels from block to block, the data stay. The step counter, the
learning-rate schedule and the History continue across blocks exactly as
successive ``partial_fit`` calls do in memory. An epoch's loss is the
rows-weighted mean of its blocks' losses; ``tol`` / ``n_iter_no_change`` stop
on it as the in-memory engine does.

What travels is the model and its Trainer (parameters, optimizer state,
generator, schedule: kilobytes), not the History, which grows with the steps
(:func:`travelling`): the History stays on the client, and each epoch's new
records come back once and are appended to it
(:mod:`lingrad.scale.dask_records`), as the in-memory calls would have
appended them. Consecutive visits of blocks
held by the same worker are one task (:func:`runs`): on one machine's
cluster an epoch is one task.
"""

from __future__ import annotations

import copy
import math
import operator
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from dask.base import compute
from dask.delayed import delayed
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from lingrad.core.nodes import Array, SparseRows
from lingrad.scale.dask_records import Records, append_records, records_of
from lingrad.scale.dask_rows import DaskRows, client_or_none
from lingrad.training.history import History

if TYPE_CHECKING:
    from distributed import Client, Future

    from lingrad.models._base import GradientEstimator

Block: TypeAlias = "Array | SparseRows"  # a block's X on its worker
Held: TypeAlias = "tuple[Future[Block], Future[Array], Future[Array] | None]"  # X, Y, s
Visits: TypeAlias = "tuple[GradientEstimator, list[Records | None]]"


def block_order(
    seed: int, epoch: int, n_blocks: int, shuffle: bool = True
) -> NDArray[np.int64]:
    """The blocks' order in ``epoch``: a permutation seeded by (seed, epoch)."""
    if not shuffle:
        return np.arange(n_blocks)
    return np.random.default_rng([seed, epoch]).permutation(n_blocks)


def order_seed(random_state: int | np.random.RandomState | None) -> int:
    """The seed of the block orders, drawn from the estimator's random_state."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def partial_block(
    est: GradientEstimator, X: Block, Y: Array, s: Array | None
) -> tuple[GradientEstimator, Records | None]:
    """One ``partial_fit`` epoch of ``est`` on this block (on its worker): the
    model, recording into a new History (:func:`travelling`), and the records
    of this visit (None for an empty block)."""
    if not X.shape[0]:
        return est, None
    shape = (X.shape[1], Y.shape[1])
    problem = est.training_problem(shape=shape, dtype=X.dtype, start="continue")
    trainer = problem.iterative()
    trainer.partial_fit(X, Y, sample_weight=s, n_correct=problem.n_correct)
    est.adopt_trainer(trainer, shape, getattr(est, "n_iter_", 0) + 1)
    light, history = travelling(est, shape)
    return light, records_of(history)


def travelling(
    est: GradientEstimator, shape: tuple[int, int]
) -> tuple[GradientEstimator, History]:
    """A shallow copy of the fitted ``est`` (X, Y widths ``shape``) whose Trainer
    records into a new, empty, unbounded History: what travels between
    workers; and ``est``'s own History, which stays (as does ``est``)."""
    history: History = est.history_
    fresh = History(history.snapshot_every, history.grad_norm_every,
                    max_steps=None, max_snapshots=None)  # fmt: skip
    problem = est.training_problem(shape=shape, dtype=None, start="continue")
    trainer = copy.copy(problem.iterative())  # est keeps its own Trainer object
    trainer.history = fresh
    light = copy.copy(est)
    light.adopt_trainer(trainer, shape, est.n_iter_)
    return light, history


def rejoin(
    light: GradientEstimator,
    history: History,
    new: list[Records | None],
    shape: tuple[int, int],
) -> GradientEstimator:
    """``light`` back from its visits, recording into ``history`` again, with the
    visits' records ``new`` appended to it in order."""
    for records in new:
        if records is not None:
            append_records(history, records)
    problem = light.training_problem(shape=shape, dtype=None, start="continue")
    trainer = problem.iterative()
    trainer.history = history
    light.adopt_trainer(trainer, shape, light.n_iter_)
    return light


def partial_blocks(est: GradientEstimator, *blocks: Block | None) -> Visits:
    """:func:`partial_block` over consecutive blocks held by one worker
    (``blocks``: their X, Y, s in turn): the model and each visit's records."""
    records = []
    for k in range(0, len(blocks), 3):
        X, Y, s = blocks[k : k + 3]
        assert X is not None and Y is not None  # only s may be None
        est, new = partial_block(est, X, Y, s)
        records.append(new)
    return est, records


def runs(order: NDArray[np.int64], where: list[str | None]) -> list[list[int]]:
    """``order`` cut into runs of consecutive blocks held by the same worker
    (``where[i]``; None: not held, a run of its own): one task per run."""
    out: list[list[int]] = []
    for i in order:
        if out and where[i] is not None and where[out[-1][-1]] == where[i]:
            out[-1].append(int(i))
        else:
            out.append([int(i)])
    return out


def _epoch(
    est: GradientEstimator, rows: DaskRows, order: NDArray[np.int64],
    held: tuple[list[Held | None], list[str | None]], shape: tuple[int, int],
) -> GradientEstimator:  # fmt: skip
    """``est`` after one visit of every block in ``order`` (``held``: from
    :func:`held_blocks`). The model goes from task to task (one per run of
    blocks on one worker); each task's records come to the client on their own."""
    light, history = travelling(est, shape)
    client = client_or_none()
    progress = rows.progress
    if client is None:
        new: list[Records | None] = []
        for i in order:
            b = rows.blocks[i]
            ((light, records),) = compute(delayed(partial_block)(light, b.X, b.Y, b.s))
            new.append(records)
            if progress is not None:
                progress(1)
        return rejoin(light, history, new, shape)
    data, where = held
    future: Future[GradientEstimator] = client.scatter(light)
    pending: list[Future[list[Records | None]]] = []
    for run in runs(order, where):
        parts = [v for i in run for v in _block(client, rows, data, i)]
        both = client.submit(partial_blocks, future, *parts, pure=False)
        future = client.submit(operator.getitem, both, 0, pure=False)
        pending.append(client.submit(operator.getitem, both, 1, pure=False))
        if progress is not None:
            future.add_done_callback(_counter(progress, len(run)))
    del both
    light = future.result()
    gathered: list[list[Records | None]] = client.gather(pending)
    return rejoin(light, history, [r for rs in gathered for r in rs], shape)


def _counter(progress: Callable[[int], object], n: int) -> Callable[[object], object]:
    """A future's done-callback that reports ``n`` blocks done."""
    return lambda _: progress(n)


def _block(client: Client, rows: DaskRows, data: list[Held | None], i: int) -> Held:
    """Block i's (X, Y, s): its futures when held, else computed for this visit."""
    held = data[i]
    if held is not None:
        return held
    b = rows.blocks[i]
    X, Y, *s = client.compute([b.X, b.Y] if b.s is None else [b.X, b.Y, b.s])
    return X, Y, s[0] if s else None


def held_blocks(rows: DaskRows) -> tuple[list[Held | None], list[str | None]]:
    """Per block: the futures of its (X, Y, s) when the workers hold (persist)
    it, and the worker holding its X; (None, None) for a block recomputed on
    every visit (or without a cluster)."""
    n = len(rows.blocks)
    data: list[Held | None] = [None] * n
    where: list[str | None] = [None] * n
    client = client_or_none()
    if client is None:
        return data, where
    from distributed import futures_of, wait

    for i, b in enumerate(rows.blocks):
        if futures_of(b.X):  # persisted: these futures are its held values
            X, Y, *s = client.compute([b.X, b.Y] if b.s is None else [b.X, b.Y, b.s])
            data[i] = (X, Y, s[0] if s else None)
    xs = [d[0] for d in data if d is not None]
    wait(xs)  # where they are once computed
    who = client.who_has(xs) if xs else {}
    for i, d in enumerate(data):
        holders = sorted(who.get(d[0].key, ())) if d is not None else []
        where[i] = holders[0] if holders else None
    return data, where


def fit_stochastic(est: GradientEstimator, rows: DaskRows) -> None:
    """Train ``est`` by epochs of ``partial_fit`` over ``rows``' blocks."""
    if est.early_stopping:
        raise ValueError(
            "early_stopping=True is not available for Dask inputs (it would hold "
            "out rows of every block); use tol and n_iter_no_change, or an exact "
            "solver."
        )
    shape = (rows.n_features, rows.n_outputs)  # a new trainer with the current
    problem = est.training_problem(shape=shape, dtype=rows.dtype)  # parameters
    est.adopt_trainer(problem.iterative(), shape, 0)  # warm (fitted) or fresh
    seed = order_seed(est.random_state)
    held = held_blocks(rows)
    sizes = np.asarray(rows.sizes, dtype=np.float64)
    best, bad, n_iter, converged = math.inf, 0, 0, False
    for epoch in range(est.max_iter):
        order = block_order(seed, epoch, len(rows.blocks), est.shuffle)
        est = _adopt(est, _epoch(est, rows, order, held, shape))
        n_iter += 1
        visited = sizes[order][sizes[order] > 0]  # empty blocks are skipped
        losses = np.asarray(est.history_.epoch_loss)[-len(visited) :]
        J = float(losses @ visited / visited.sum())
        if est.tol is not None:
            bad = bad + 1 if J > best - est.tol else 0
            best = min(best, J)
            if bad >= est.n_iter_no_change:
                converged = True
                break
    est.n_iter_ = n_iter
    if not converged and est.tol is not None:
        warnings.warn(
            f"Maximum number of epochs (max_iter={est.max_iter}) reached before the "
            f"loss converged (tol={est.tol:g}); increase max_iter or the learning "
            "rate.",
            ConvergenceWarning,
            stacklevel=3,
        )


def _adopt(est: GradientEstimator, trained: GradientEstimator) -> GradientEstimator:
    """Copy the trained state back onto the caller's estimator object."""
    if trained is not est:
        est.__dict__.update(trained.__dict__)
    return est
