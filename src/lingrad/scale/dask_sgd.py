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
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from dask.base import compute
from dask.delayed import delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from lingrad.scale.dask_rows import DaskRows, client_or_none


def block_order(seed: int, epoch: int, n_blocks: int, shuffle: bool = True) -> Any:
    """The blocks' order in ``epoch``: a permutation seeded by (seed, epoch)."""
    if not shuffle:
        return np.arange(n_blocks)
    return np.random.default_rng([seed, epoch]).permutation(n_blocks)


def order_seed(random_state: Any) -> int:
    """The seed of the block orders, drawn from the estimator's random_state."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def partial_block(est: Any, X: Any, Y: Any, s: Any) -> Any:
    """One ``partial_fit`` epoch of ``est`` on this block (on its worker)."""
    if len(X):
        shape = (X.shape[1], Y.shape[1])
        problem = est.training_problem(shape=shape, dtype=X.dtype, start="continue")
        trainer = problem.trainer
        trainer.partial_fit(X, Y, sample_weight=s, n_correct=problem.n_correct)
        est.adopt_trainer(trainer, shape, getattr(est, "n_iter_", 0) + 1)
    return est


def _epoch(est: Any, rows: DaskRows, order: Any) -> Any:
    """``est`` after one visit of every block in ``order``."""
    client = client_or_none()
    if client is None:
        for i in order:
            b = rows.blocks[i]
            (est,) = compute(delayed(partial_block)(est, b.X, b.Y, b.s))
            if rows.progress is not None:
                rows.progress(1)
        return est
    future = client.scatter(est)
    for i in order:
        b = rows.blocks[i]
        X, Y, s = client.compute([b.X, b.Y, b.s]) if b.s is not None else (
            *client.compute([b.X, b.Y]), None)  # fmt: skip
        future = client.submit(partial_block, future, X, Y, s, pure=False)
        if rows.progress is not None:
            future.add_done_callback(lambda _: rows.progress(1))
    return future.result()


def fit_stochastic(est: Any, rows: DaskRows) -> None:
    """Train ``est`` by epochs of ``partial_fit`` over ``rows``' blocks."""
    if est.early_stopping:
        raise ValueError(
            "early_stopping=True is not available for Dask inputs (it would hold "
            "out rows of every block); use tol and n_iter_no_change, or an exact "
            "solver."
        )
    shape = (rows.n_features, rows.n_outputs)  # a new trainer with the current
    problem = est.training_problem(shape=shape, dtype=rows.dtype)  # parameters
    est.adopt_trainer(problem.trainer, shape, 0)  # warm (fitted) or fresh
    seed = order_seed(est.random_state)
    sizes = np.asarray(rows.sizes, dtype=np.float64)
    best, bad, n_iter, converged = math.inf, 0, 0, False
    for epoch in range(est.max_iter):
        order = block_order(seed, epoch, len(rows.blocks), est.shuffle)
        est = _adopt(est, _epoch(est, rows, order))
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


def _adopt(est: Any, trained: Any) -> Any:
    """Copy the trained state back onto the caller's estimator object."""
    if trained is not est:
        est.__dict__.update(trained.__dict__)
    return est
