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

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty
from lingrad.training.callbacks import Callback, _as_callback, _overrides
from lingrad.training.epoch import ENGINES, DivergenceError, EpochLoop
from lingrad.training.history import History
from lingrad.training.optim import Batcher, make_optimizer
from lingrad.training.progress import TrainingProgress
from lingrad.training.schedules import Adaptive, make_schedule
from lingrad.training.stepping import StepsResult, run_steps

__all__ = [
    "Callback", "DivergenceError", "StepsResult", "TrainResult", "Trainer",
]  # fmt: skip


@dataclass
class TrainResult:
    """What one ``fit`` / ``partial_fit`` call did."""

    n_iter: int  # epochs run by this call
    t: int  # global step count afterwards
    converged: bool
    stop_reason: str  # tol, early_stopping, adaptive, callback, max_iter, epoch
    best_loss: float  # best epoch loss (validation loss with early stopping)
    history: History


class Trainer(EpochLoop):
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
    engine : {"nodes", "auto", "compiled"}
        "nodes" runs the chain node by node (the specification); "compiled"
        runs the fused numba kernels of ``lingrad.training.compiled`` (single-layer
        chains; a ValueError says why a chain has none); "auto" takes the
        kernel where one exists and no per-step callback needs Python. Both
        give the same numbers (``tests/test_engine_identity.py``).
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
        engine: str = "nodes",
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}.")
        self.engine = engine
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
        self._cursor: Any = None  # where run_steps stands in its epoch
        self._last: dict[str, Array] = {}

    def step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float
    ) -> tuple[float, Array]:
        """One step of the lectures' loop; returns J and pred from before the update."""
        self._bind()
        self._keep_last = False
        return self._step(Xb, yb, sb, lr)

    @property
    def batch_size(self) -> int | None:
        """Examples per step (None: all); may change between ``run_steps`` calls."""
        return self.batcher.batch_size

    @batch_size.setter
    def batch_size(self, m: int | None) -> None:
        if m is not None and m < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {m!r}.")
        self.batcher.batch_size = m

    @property
    def lr(self) -> float:
        """The rate of the next step; setting it sets the schedule's lr₀."""
        return self.schedule(self.t)

    @lr.setter
    def lr(self, value: float) -> None:
        self.schedule.set_lr(value)

    def run_steps(
        self,
        X: Array,
        y: Array,
        n_steps: int,
        sample_weight: Array | None = None,
        n_correct: Callable[[Array, Array], int] | None = None,
    ) -> StepsResult:
        """Run ``n_steps`` steps on (X, y), continuing the epoch order across calls.

        For driving training step by step (``lingrad playground``): the node
        path runs each step, the History records it, an epoch closes (its
        mean loss, ``schedule.epoch_end``) when its last batch is done, and
        the next call goes on where this one stopped, in the same shuffled
        order. ``lr`` and ``batch_size`` may change between calls. New data
        (another X, y or a different length) starts a new epoch, as do
        ``fit`` and ``partial_fit``. Raises ``DivergenceError`` as ``fit``.
        """
        return run_steps(self, X, y, n_steps, sample_weight, n_correct)

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
        X, y, sw = self._for_engine(X, y, sw, n_correct, hooks)
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
        X, y, sw = self._for_engine(X, y, sw, n_correct, [])
        self.stop_training = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            J_epoch, acc = self._epoch(X, y, sw, n_correct, [], progress)
        self.history.add_epoch(J_epoch, acc)
        self.schedule.epoch_end(J_epoch)
        self.history.set_final(self.chain.params)
        return TrainResult(1, self.t, False, "epoch", J_epoch, self.history)

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
