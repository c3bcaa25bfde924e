"""One epoch of steps: the engine's choice, the node path's loop, divergence.

``EpochLoop`` is the part of ``lingrad.training.train.Trainer`` that runs steps:
``_epoch`` takes the epoch's order and rates, then either runs the compiled
kernels (``lingrad.training.compiled``) or ``_run``, the node path's loop of ``_step``
(forward, loss, backward, penalty, update), records the steps in a
``_Steps`` and hands them to the History. ``_diverge`` restores the last
finite parameters and raises ``DivergenceError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, cast

import numpy as np
from numpy.typing import NDArray

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty, penalized
from lingrad.training.callbacks import Callback, _overrides
from lingrad.training.history import History
from lingrad.training.optim import Batch, Batcher, Optimizer
from lingrad.training.progress import TrainingProgress
from lingrad.training.schedules import Schedule

if TYPE_CHECKING:
    from lingrad.training.train import Trainer

ENGINES = ("nodes", "auto", "compiled")


class DivergenceError(FloatingPointError):
    """The loss or a parameter became non-finite; names epoch, step and lr."""

    def __init__(self, epoch: int, step: int, t: int, lr: float, what: str) -> None:
        self.epoch, self.step, self.t, self.lr = epoch, step, t, lr
        super().__init__(
            f"training diverged at epoch {epoch}, step {step} (lr={lr:g}): {what}. "
            "Lower the learning rate (lr) or scale the inputs (e.g. StandardScaler). "
            "The parameters hold their last finite values."
        )


class EpochLoop:
    """The step loop of ``Trainer`` (its attributes are the Trainer's)."""

    chain: Chain
    loss: Loss
    penalty: Penalty | None
    optimizer: Optimizer
    schedule: Schedule
    batcher: Batcher
    history: History
    engine: str
    t: int
    epoch: int
    stop_training: bool
    _cursor: Any
    _last: dict[str, Array]
    _keep_last: bool
    _run_plan: Any

    def _bind(self) -> None:
        """Look up the live parameter and gradient arrays once (not per step)."""
        self._params = params = self.chain.params
        self._grads = self.chain.grads  # filled in place by every backward
        self._penalized = [k for k in params if penalized(k)] if self.penalty else []
        if self._last.keys() != params.keys() or any(
            self._last[k].shape != p.shape or self._last[k].dtype != p.dtype
            for k, p in params.items()
        ):
            self._last = {key: np.empty_like(p) for key, p in params.items()}

    def _step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float
    ) -> tuple[float, Array]:
        pred = self.chain.forward(Xb)  # forward propagation
        J = self.loss.forward(pred, yb, sample_weight=sb)  # loss
        self.chain.backward_params(self.loss.backward())  # backpropagation
        params, grads = self._params, self._grads  # dJ_dW, dJ_db, ...
        for key in self._penalized:  # J += alpha·C(W); dJ_dW += alpha·dC_dW
            W = params[key]
            J += self.penalty.value(W)  # type: ignore[union-attr]
            grads[key] += self.penalty.grad(W)  # type: ignore[union-attr]
        if self._keep_last or not math.isfinite(J):  # kept for _diverge
            for key, p in params.items():
                np.copyto(self._last[key], p)
        self.optimizer.step(params, grads, lr)  # update: p := p - lr·dJ_dp
        return J, pred

    def _plan(self, n_correct: Any, hooks: Sequence[Callback]) -> Any:
        """The compiled engine's plan for this run, or None for the node path."""
        if self.engine == "nodes":
            return None
        from lingrad.training.compiled.plan import plan_for

        plan, why = plan_for(
            self.chain, self.loss, self.penalty, self.optimizer, n_correct
        )
        if any(_overrides(h, "on_step_end") for h in hooks):
            plan, why = None, "per-step callbacks (on_step_end) run in Python"
        if plan is None and self.engine == "compiled":
            raise ValueError(f"engine='compiled': {why}; use engine='auto' or 'nodes'.")
        return plan

    def _for_engine(
        self, X: Array, y: Array, sw: Array | None, n_correct: Any, hooks: Any
    ) -> tuple[Array, Array, Array | None]:
        """Choose the engine for this call; the kernels' data layout, made once."""
        self._cursor = None  # fit and partial_fit start a fresh epoch order
        self._run_plan = self._plan(n_correct, hooks)
        if self._run_plan is None:
            return X, y, sw
        from lingrad.training.compiled.engine import kernel_data

        return kernel_data(self.chain, X, y, sw)

    def _epoch(
        self,
        X: Array,
        y: Array,
        sw: Array | None,
        n_correct: Callable[[Array, Array], int] | None,
        hooks: list[Callback],
        progress: TrainingProgress,
    ) -> tuple[float, float]:
        """One pass over the data; records its steps, returns (mean loss, accuracy)."""
        N = len(X)
        if N == 0:
            raise ValueError("cannot train on 0 examples.")
        self._bind()
        params = self._params
        self._start = {key: p.copy() for key, p in params.items()}  # epoch checkpoint
        m = self.batcher.size(N)
        rec = _Steps(
            np.minimum(m, N - m * np.arange(self.batcher.n_batches(N))),
            n_correct is not None,
            self.history.grad_norm_every is not None,
        )
        lrs = self.schedule.rates(self.t, len(rec.m))
        if self._run_plan is not None:
            from lingrad.training.compiled.engine import run_epoch

            run_epoch(self, self._run_plan, X, y, sw, rec, lrs, progress)
        else:
            step_hooks = [h for h in hooks if _overrides(h, "on_step_end")]
            batches = self.batcher(X, y, sw)
            self._run(batches, lrs, rec, n_correct, step_hooks, progress)
        for key, p in params.items():
            if not np.isfinite(p).all():
                self._diverge(rec, f"{key} became non-finite")
        rec.save(self.history)
        self._epoch_steps = rec.S
        self.epoch += 1
        return rec.epoch_loss(), rec.accuracy()

    def _run(
        self,
        batches: Iterable[Batch],
        lrs: NDArray[np.float64],
        rec: _Steps,
        n_correct: Callable[[Array, Array], int] | None,
        step_hooks: list[Callback],
        progress: TrainingProgress,
    ) -> None:
        """The node path: one ``_step`` per batch, recorded into ``rec``."""
        history, params = self.history, self._params
        k_snap, k_norm = history.snapshot_every, history.grad_norm_every
        last = len(lrs) - 1
        for i, (Xb, yb, sb) in enumerate(batches):
            t = self.t
            lr = float(lrs[i])
            if k_snap is not None and t % k_snap == 0:
                history.add_snapshot(t, params)
            self._keep_last = bool(step_hooks) or i == last
            J, pred = self._step(Xb, yb, sb, lr)
            rec.J[i], rec.lr[i], rec.S = J, lr, i + 1
            self.t = t + 1
            if not math.isfinite(J):
                self._diverge(rec, f"the loss became {J}")
            if rec.hits is not None:
                rec.hits[i] = n_correct(pred, yb)  # type: ignore[misc]
            if rec.norms is not None and t % k_norm == 0:  # type: ignore[operator]
                rec.norms[i] = math.sqrt(
                    sum(np.vdot(g, g) for g in self._grads.values())
                )
            if progress.step_every and i % progress.step_every == 0:
                progress.step(i)
            me = cast("Trainer", self)
            if any([bool(h.on_step_end(me, t, J)) for h in step_hooks]):
                self.stop_training = True
            if self.stop_training:
                break

    def _diverge(self, rec: _Steps, what: str) -> NoReturn:
        """Restore the last finite parameters, record the steps run, and raise."""
        if not all(np.isfinite(p).all() for p in self._params.values()):
            last_ok = all(np.isfinite(p).all() for p in self._last.values())
            back = self._last if last_ok else self._start
            for key, p in self._params.items():
                np.copyto(p, back[key])
        rec.save(self.history)
        self.history.set_final(self._params)
        lr = float(rec.lr[rec.S - 1])
        raise DivergenceError(self.epoch + 1, rec.S, self.t - 1, lr, what)


class _Steps:
    """A run of steps' per-step arrays, preallocated; the first S entries are filled.

    ``m`` (n,) holds the batch sizes of the steps to come (the last may be short).
    """

    def __init__(self, m: NDArray[np.int64], hits: bool, norms: bool) -> None:
        n = len(m)
        self.m = np.asarray(m, dtype=np.int64)
        self.J, self.lr = np.empty(n), np.empty(n)
        self.hits = np.empty(n) if hits else None
        self.norms = np.full(n, np.nan) if norms else None
        self.S = 0

    def save(self, history: History) -> None:
        S = self.S
        history.add_steps(
            self.J[:S],
            self.lr[:S],
            self.m[:S],
            None if self.hits is None else self.hits[:S],
            None if self.norms is None else self.norms[:S],
        )

    def epoch_loss(self) -> float:
        """Mean per-example loss: Σ J_s m_s / Σ m_s."""
        S = self.S
        return float(self.J[:S] @ self.m[:S] / self.m[:S].sum())

    def accuracy(self) -> float:
        if self.hits is None:
            return np.nan
        return float(self.hits[: self.S].sum() / self.m[: self.S].sum())
