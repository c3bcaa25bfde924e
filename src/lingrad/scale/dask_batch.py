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

import math
from typing import Any

import numpy as np

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.scale.dask_rows import DaskRows
from lingrad.solvers.rows import Chunk
from lingrad.solvers.sums import set_params, sum_loss
from lingrad.training.train import Trainer


def batch_sums(
    chunk: Chunk, chain: Chain, loss: Loss, params: dict[str, Array], n_correct: Any
) -> tuple[float, dict[str, Array], float]:
    """``Σ s J0``, ``Σ s dJ0/dθ`` and the correct predictions over the chunk at θ."""
    set_params(chain, params)
    out = chain.forward(chunk.X)
    J = loss.forward(out, chunk.Y, chunk.s)
    chain.backward_params(loss.backward())
    grads: dict[str, Array] = {
        key: np.array(g, dtype=np.float64) for key, g in chain.grads.items()
    }
    hits = 0.0 if n_correct is None else float(n_correct(out, chunk.Y))
    return float(J), grads, hits


def _reduced_hits(hits: Any, _: Any) -> Any:
    """The Trainer's ``n_correct(pred, y)``: the step's "pred" is the reduced count."""
    return hits


class ReducedTrainer(Trainer):
    """A Trainer whose one step per epoch takes its J and gradient from a reduction
    over ``rows``; everything after (penalty, update, History) is the Trainer's."""

    _rows: DaskRows
    _sums_loss: Loss
    _count: Any

    def _for_engine(
        self, X: Array, y: Array, sw: Array | None, n_correct: Any, hooks: Any
    ) -> tuple[Array, Array, Array | None]:
        self._cursor, self._run_plan = None, None  # the chain runs on the workers
        return X, y, sw

    def _step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float
    ) -> tuple[float, Array]:
        rows = self._rows
        J_sum, sums, hits = rows.reduce(
            batch_sums, self.chain, self._sums_loss, self._params, self._count
        )
        J = J_sum / rows.n_samples  # J and dJ/dθ over all N rows, before the update
        params, grads = self._params, self._grads
        for key, g in grads.items():
            np.copyto(g, sums[key] / rows.n_samples)
        for key in self._penalized:  # J += alpha·C(W); dJ_dW += alpha·dC_dW
            W = params[key]
            J += self.penalty.value(W)  # type: ignore[union-attr]
            grads[key] += self.penalty.grad(W)  # type: ignore[union-attr]
        if self._keep_last or not math.isfinite(J):  # kept for _diverge
            for key, p in params.items():
                np.copyto(self._last[key], p)
        self.optimizer.step(params, grads, lr)  # update: p := p - lr·dJ_dp
        return J, np.asarray(hits, dtype=np.float64)  # the "pred" of _reduced_hits


def fit_batch(est: Any, rows: DaskRows) -> None:
    """Train ``est`` (``solver="batch"``) on ``rows``: the in-memory fit's steps."""
    if est.early_stopping:
        raise ValueError(
            "early_stopping=True is not available for Dask inputs (it would hold "
            "out rows of every block); use tol and n_iter_no_change."
        )
    N, D, K = rows.n_samples, rows.n_features, rows.n_outputs
    trainer = est._start(D, K, rows.dtype, bool(est.warm_start), False)
    count = est._n_correct()
    extra = {"_rows": rows, "_sums_loss": sum_loss(trainer.loss), "_count": count}
    reduced = ReducedTrainer.__new__(ReducedTrainer)
    reduced.__dict__ = trainer.__dict__  # one state: the steps update the trainer
    vars(trainer).update(extra)
    try:
        nothing = np.empty((N, 0))  # the rows stay on the workers: N, no columns
        result = reduced.fit(
            nothing, nothing, max_iter=est.max_iter, tol=est.tol,
            n_iter_no_change=est.n_iter_no_change,
            n_correct=None if count is None else _reduced_hits,
        )  # fmt: skip
    finally:
        for key in extra:
            vars(trainer).pop(key, None)
    history, t = trainer.history, trainer.t
    est._finish(trainer.chain, (D, K), result.n_iter, history, t, trainer)
