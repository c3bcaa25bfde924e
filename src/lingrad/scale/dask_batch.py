"""Full-batch gradient descent on Dask blocks: one reduction of all N rows per step.

``solver="batch"`` is the lectures' batch gradient descent, ``θ := θ - lr ·
dJ/dθ`` with ``J = (1/N) Σ_i s_i J0_i + penalty`` over every row. On Dask each
step is one tree reduction of the blocks' ``Σ s J0`` and ``Σ s dJ0/dθ`` (the
chain's forward and backward passes with a summing loss, as L-BFGS reduces
them), divided by N; the estimator's own Trainer then adds the penalty, takes
the update (the L1 part by its proximal step) and advances the schedule, the
stopping rule and the History exactly as its in-memory full-batch epoch does.
The iterates are the in-memory ones, to rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.scale.dask_rows import DaskRows
from lingrad.solvers.rows import Chunk
from lingrad.solvers.sums import set_params, sum_loss
from lingrad.training.epoch import NCorrect, NodeEngine
from lingrad.training.step import Step

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator


def batch_sums(
    chunk: Chunk,
    chain: Chain,
    loss: Loss,
    params: dict[str, Array],
    n_correct: NCorrect,
) -> tuple[float, dict[str, Array], float]:
    """``Σ s J0``, ``Σ s dJ0/dθ`` and the correct predictions over the chunk at θ
    (zeros for a chunk of no rows)."""
    if not chunk.X.shape[0]:
        return 0.0, {key: np.zeros(p.shape) for key, p in params.items()}, 0.0
    set_params(chain, params)
    out = chain.forward(chunk.X)
    J = loss.forward(out, chunk.Y, chunk.s)
    chain.backward_params(loss.backward())
    grads: dict[str, Array] = {
        key: np.array(g, dtype=np.float64) for key, g in chain.grads.items()
    }
    hits = 0.0 if n_correct is None else float(n_correct(out, chunk.Y))
    return float(J), grads, hits


def _reduced_hits(hits: Array, _: Array) -> int:
    """The engine's ``n_correct(pred, y)``: the step's "pred" is the reduced count
    (a sum of whole counts, exact in float64)."""
    return int(hits)


class ReducedEngine(NodeEngine):
    """The node engine whose step takes J and the gradient from a reduction over
    ``rows`` (all N rows: one step per epoch); the penalty and the update are
    the Step's, the epochs, stopping and History the Trainer's."""

    def __init__(self, step: Step, rows: DaskRows, count: NCorrect) -> None:
        super().__init__(step, None if count is None else _reduced_hits)
        self.rows, self.count = rows, count
        self.sums_loss = sum_loss(step.loss)

    def one_step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float, keep: bool
    ) -> tuple[float, Array]:
        rows, step = self.rows, self.step
        J_sum, sums, hits = rows.reduce(
            batch_sums, step.chain, self.sums_loss, step.params, self.count
        )
        for key, g in step.grads.items():  # dJ/dθ over all N rows
            np.copyto(g, sums[key] / rows.n_samples)
        J = step.update(J_sum / rows.n_samples, lr, self.last, keep)
        return J, np.asarray(hits, dtype=np.float64)


def fit_batch(est: GradientEstimator, rows: DaskRows) -> None:
    """Train ``est`` (``solver="batch"``) on ``rows``: the in-memory fit's steps."""
    if est.early_stopping:
        raise ValueError(
            "early_stopping=True is not available for Dask inputs (it would hold "
            "out rows of every block); use tol and n_iter_no_change."
        )
    N, D, K = rows.n_samples, rows.n_features, rows.n_outputs
    problem = est.training_problem(shape=(D, K), dtype=rows.dtype)
    assert problem.trainer is not None  # solver="batch"
    trainer, count = problem.trainer, problem.n_correct
    engine = trainer.engine
    trainer.engine = ReducedEngine(
        Step(trainer.chain, trainer.loss, trainer.penalty, trainer.optimizer),
        rows,
        count,
    )
    try:
        nothing = np.empty((N, 0))  # the rows stay on the workers: N, no columns
        result = trainer.fit(
            nothing, nothing, max_iter=est.max_iter, tol=est.tol,
            n_iter_no_change=est.n_iter_no_change, n_correct=count,
        )  # fmt: skip
    finally:
        trainer.engine = engine  # a later partial_fit runs in memory
    est.adopt_trainer(trainer, (D, K), result.n_iter)
