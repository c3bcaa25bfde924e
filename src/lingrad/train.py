"""The training loop: forward, loss, local Jacobians, backpropagation, update.

``Trainer`` runs that loop over the batches of each epoch, records a
``History``, stops on a tolerance, on early stopping, on a callback or at
``max_iter`` (with a ``ConvergenceWarning``), and raises ``DivergenceError``
when the loss or a parameter stops being finite, after restoring the last
finite parameters.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from lingrad.callbacks import Callback, _as_callback, _overrides
from lingrad.chain import Chain
from lingrad.history import History
from lingrad.losses import Loss
from lingrad.nodes import Array
from lingrad.optim import Batcher, make_optimizer
from lingrad.penalties import Penalty, penalized
from lingrad.progress import TrainingProgress
from lingrad.schedules import Adaptive, make_schedule


class DivergenceError(FloatingPointError):
    """The loss or a parameter became non-finite; names epoch, step and lr."""

    def __init__(self, epoch: int, step: int, t: int, lr: float, what: str) -> None:
        self.epoch, self.step, self.t, self.lr = epoch, step, t, lr
        super().__init__(
            f"training diverged at epoch {epoch}, step {step} (lr={lr:g}): {what}. "
            "Lower the learning rate (lr) or scale the inputs (e.g. StandardScaler). "
            "The parameters hold their last finite values."
        )


@dataclass
class TrainResult:
    """What one ``fit`` / ``partial_fit`` call did."""

    n_iter: int  # epochs run by this call
    t: int  # global step count afterwards
    converged: bool
    stop_reason: str  # tol, early_stopping, adaptive, callback, max_iter, epoch
    best_loss: float  # best epoch loss (validation loss with early stopping)
    history: History


class Trainer:
    """Train a chain by gradient descent on ``J = loss + penalty(W)``.

    Parameters
    ----------
    chain, loss : Chain, Loss
        The model and its loss (``from_logits`` losses take the chain's z).
    penalty : Penalty or None
        Added to J for every weight (params named ``*.W``), never to biases.
    optimizer : {"gd", "momentum", "nesterov", "adam"} or Optimizer
    lr : float
        Initial learning rate lr₀ (a Schedule object brings its own).
    schedule : {"constant", "inverse_time", "invscaling", "step", "exponential",
        "adaptive"}, Schedule or callable ``t -> lr``
    batch_size : int or None
        1 (per-sample, the lectures' loop), m (minibatch), None (full batch).
    shuffle, random_state
        Seeded reshuffle every epoch; the seed also draws the validation split.
    snapshot_every, grad_norm_every : int or None
        Strides of the History's parameter snapshots and gradient norms.
    verbose : int
        0 silent; 1 progress bar on a terminal; 2 also one line per epoch elsewhere.
    t0 : int
        Initial global step (to continue a schedule after a warm start).
    schedule_kw, optimizer_kw : dict
        Extra arguments for a schedule or optimizer given by name.
    history : History or None
        Record into this History (e.g. ``History(max_steps=...)``); it brings
        its own strides, so ``snapshot_every``/``grad_norm_every`` are unused.
    """

    def __init__(
        self,
        chain: Chain,
        loss: Loss,
        penalty: Penalty | None = None,
        optimizer: Any = "gd",
        lr: float = 0.01,
        schedule: Any = "constant",
        batch_size: int | None = 1,
        shuffle: bool = True,
        random_state: Any = None,
        snapshot_every: int | None = None,
        verbose: int = 0,
        *,
        grad_norm_every: int | None = None,
        t0: int = 0,
        schedule_kw: dict[str, Any] | None = None,
        optimizer_kw: dict[str, Any] | None = None,
        history: History | None = None,
    ) -> None:
        self.chain, self.loss, self.penalty = chain, loss, penalty
        self.batcher = Batcher(batch_size, shuffle, random_state)
        self.schedule = make_schedule(schedule, lr, **(schedule_kw or {}))
        self._schedule_by_name = isinstance(schedule, str)
        self.optimizer = make_optimizer(optimizer, **(optimizer_kw or {}))
        if history is None:
            history = History(snapshot_every, grad_norm_every)
        self.history = history
        self.verbose = verbose
        self.t = t0  # global step counter: continues across fit / partial_fit
        self.epoch = 0  # epochs completed
        self.stop_training = False

    def step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float
    ) -> tuple[float, Array]:
        """One step of the lectures' loop; returns J and pred from before the update."""
        pred = self.chain.forward(Xb)  # forward propagation
        J = self.loss.forward(pred, yb, sample_weight=sb)  # loss
        self.chain.backward_params(self.loss.backward())  # backpropagation
        grads = self.chain.grads  # dJ_dW, dJ_db, ...
        for key in self._penalized:  # J += alpha·C(W); dJ_dW += alpha·dC_dW
            W = self._params[key]
            J += self.penalty.value(W)  # type: ignore[union-attr]
            grads[key] = grads[key] + self.penalty.grad(W)  # type: ignore[union-attr]
        self._grads = grads
        self.optimizer.step(self._params, grads, lr)  # update: p := p - lr·dJ_dp
        return J, pred

    def fit(
        self,
        X: Array,
        y: Array,
        max_iter: int = 100,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        sample_weight: Array | None = None,
        n_correct: Callable[[Array, Array], int] | None = None,
        callbacks: Sequence[Any] = (),
    ) -> TrainResult:
        """Run up to ``max_iter`` epochs; stop when the epoch loss (or, with
        ``early_stopping``, the loss on a held-out ``validation_fraction``) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs in a row.

        The best parameters are not restored on early stopping (as scikit-learn's
        SGD). A schedule named "adaptive" lowers the rate where this test would
        stop, and training stops once its rate is below ``min_lr``.
        ``n_correct(out, yb) -> int`` enables accuracy tracking.
        """
        if max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {max_iter!r}.")
        X, y = np.asarray(X), np.asarray(y)
        sw = None if sample_weight is None else np.asarray(sample_weight)
        val = None
        if early_stopping:
            X, y, sw, val = self._split(X, y, sw, validation_fraction)
        if self._schedule_by_name and isinstance(self.schedule, Adaptive):
            self.schedule.tol = -math.inf if tol is None else tol
            self.schedule.patience = n_iter_no_change
        hooks = [_as_callback(c) for c in callbacks]
        best, bad_epochs, reason = math.inf, 0, "max_iter"
        previous, rising = math.inf, 0  # epochs in a row the loss went up
        self.stop_training = False
        progress = TrainingProgress(
            self.verbose, max_iter, self.batcher.n_batches(len(X))
        )
        n_iter = 0
        with progress, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while n_iter < max_iter:
                J_epoch, acc = self._epoch(X, y, sw, n_correct, hooks, progress)
                n_iter += 1
                J_val = np.nan if val is None else self._val_loss(*val)
                self.history.add_epoch(J_epoch, acc, J_val)
                progress.epoch_end(self.epoch, J_epoch, self.schedule(self.t), J_val)
                score = J_epoch if val is None else J_val
                if tol is not None and score > best - tol:
                    bad_epochs += 1
                else:
                    bad_epochs = 0
                rising = rising + 1 if score > previous else 0
                if rising >= n_iter_no_change and score > 10 * best:
                    self._diverge_slowly(rising, best, score)
                best, previous = min(best, score), score
                self.schedule.epoch_end(score)
                ends = [h for h in hooks if _overrides(h, "on_epoch_end")]
                stop = any(
                    [bool(h.on_epoch_end(self, self.epoch, J_epoch)) for h in ends]
                )
                if stop or self.stop_training:
                    reason = "callback"
                elif isinstance(self.schedule, Adaptive):
                    reason = "adaptive" if self.schedule.exhausted else reason
                elif bad_epochs >= n_iter_no_change:
                    reason = "early_stopping" if early_stopping else "tol"
                if reason != "max_iter":
                    break
        self.history.set_final(self.chain.params)
        if reason == "max_iter" and tol is not None:
            warnings.warn(
                f"Maximum number of epochs (max_iter={max_iter}) reached before the "
                f"loss converged (tol={tol:g}); increase max_iter or the learning "
                "rate.",
                ConvergenceWarning,
                stacklevel=2,
            )
        converged = reason in ("tol", "early_stopping", "adaptive")
        return TrainResult(n_iter, self.t, converged, reason, best, self.history)

    def partial_fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        n_correct: Callable[[Array, Array], int] | None = None,
    ) -> TrainResult:
        """One epoch over (X, y); the step counter and schedule continue."""
        X, y = np.asarray(X), np.asarray(y)
        sw = None if sample_weight is None else np.asarray(sample_weight)
        progress = TrainingProgress(0, 1, 0)
        self.stop_training = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            J_epoch, acc = self._epoch(X, y, sw, n_correct, [], progress)
        self.history.add_epoch(J_epoch, acc)
        self.schedule.epoch_end(J_epoch)
        self.history.set_final(self.chain.params)
        return TrainResult(1, self.t, False, "epoch", J_epoch, self.history)

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
        if len(X) == 0:
            raise ValueError("cannot train on 0 examples.")
        schedule, history = self.schedule, self.history
        self._params = params = self.chain.params
        self._penalized = [k for k in params if penalized(k)] if self.penalty else []
        k_snap, k_norm = history.snapshot_every, history.grad_norm_every
        rec = _Steps(self.batcher, len(X), n_correct is not None, k_norm is not None)
        step_hooks = [h for h in hooks if _overrides(h, "on_step_end")]
        self._start = {key: p.copy() for key, p in params.items()}  # epoch checkpoint
        self._last = {key: p.copy() for key, p in params.items()}  # before the update
        for i, (Xb, yb, sb) in enumerate(self.batcher(X, y, sw)):
            t = self.t
            lr = schedule(t)
            if k_snap is not None and t % k_snap == 0:
                history.add_snapshot(t, params)
            for key, p in params.items():
                np.copyto(self._last[key], p)
            J, pred = self.step(Xb, yb, sb, lr)
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
            if any([bool(h.on_step_end(self, t, J)) for h in step_hooks]):
                self.stop_training = True
            if self.stop_training:
                break
        for key, p in params.items():
            if not np.isfinite(p).all():
                self._diverge(rec, f"{key} became non-finite")
        rec.save(history)
        self._epoch_steps = rec.S
        self.epoch += 1
        return rec.epoch_loss(), rec.accuracy()

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

    def _diverge_slowly(self, rising: int, best: float, score: float) -> NoReturn:
        """The loss stayed finite but rose epoch after epoch: the steps overshoot."""
        self.history.set_final(self._params)
        lr = float(self.schedule(self.t - 1))
        raise DivergenceError(
            self.epoch,
            self._epoch_steps,
            self.t - 1,
            lr,
            f"the loss rose {rising} epochs in a row, from {best:.3g} to {score:.3g}",
        )

    def _split(
        self, X: Array, y: Array, sw: Array | None, fraction: float
    ) -> tuple[Array, Array, Array | None, tuple[Array, Array, Array | None]]:
        """Hold out ⌈fraction·N⌉ examples (seeded) for early stopping."""
        N = len(X)
        n_val = math.ceil(fraction * N)
        if not 0 < fraction < 1 or n_val >= N:
            raise ValueError(
                f"validation_fraction={fraction!r} leaves no training or no validation "
                f"examples out of {N}."
            )
        perm = self.batcher.rng.permutation(N)
        tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
        if sw is None:
            return X[tr], y[tr], None, (X[va], y[va], None)
        return X[tr], y[tr], sw[tr], (X[va], y[va], sw[va])

    def _val_loss(self, X: Array, y: Array, sw: Array | None) -> float:
        """Loss on held-out data (without the penalty)."""
        return float(self.loss.forward(self.chain.forward(X), y, sample_weight=sw))


class _Steps:
    """One epoch's per-step arrays, preallocated; the first S entries are filled."""

    def __init__(self, batcher: Batcher, N: int, hits: bool, norms: bool) -> None:
        n, m = batcher.n_batches(N), batcher.size(N)
        self.J, self.lr = np.empty(n), np.empty(n)
        self.m = np.full(n, m, dtype=np.int64)  # batch sizes; the last may be short
        self.m[-1] = N - m * (n - 1)
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
