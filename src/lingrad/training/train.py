"""The training loop: forward, loss, local Jacobians, backpropagation, update.

``Trainer`` owns the loop: the step count, epochs (their row order, rates,
closing), stopping on a tolerance, on early stopping, on a callback or at
``max_iter`` (with a ``ConvergenceWarning``), and divergence: when the loss
or a parameter stops being finite it restores the last finite parameters and
raises ``DivergenceError``. The steps themselves run in an engine
(``lingrad.training.epoch``: the node path's :class:`~lingrad.training.step.Step`
per batch, or the compiled kernels), which only runs the steps it is given.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty
from lingrad.training.callbacks import Callback, EpochFn, _as_callback, _overrides
from lingrad.training.epoch import (
    ENGINES,
    Data,
    DivergenceError,
    Engine,
    NCorrect,
    Rollback,
    Rows,
    Steps,
    make_engine,
)
from lingrad.training.history import History
from lingrad.training.optim import Batcher, Optimizer, Seed, make_optimizer
from lingrad.training.progress import TrainingProgress
from lingrad.training.schedules import Adaptive, Schedule, make_schedule
from lingrad.training.shuffle import n_rows, row_bytes
from lingrad.training.step import Step, objective
from lingrad.training.stepping import (
    Cursor,
    StepsResult,
    Stopping,
    TrainResult,
    as_arrays,
    hold_out,
)

__all__ = [
    "Callback", "DivergenceError", "StepsResult", "TrainResult", "Trainer",
]  # fmt: skip

SNAPSHOT_BYTES = 1 << 26  # parameter snapshots an engine holds per run, at most


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
    engine : {"nodes", "auto", "compiled"} or Engine
        "nodes": the chain node by node (the specification); "compiled": the
        numba kernels of ``lingrad.training.compiled`` (single-layer chains; a
        ValueError says why a chain has none); "auto": the kernel where one
        exists and no per-step callback needs Python (the same numbers:
        ``tests/test_engine_identity.py``); an ``Engine`` object runs every step.
    history : History or None
        Record into this History (e.g. ``History(max_steps=...)``); it brings
        its own strides, so ``snapshot_every``/``grad_norm_every`` are unused.
    """

    def __init__(
        self,
        chain: Chain,
        loss: Loss,
        penalty: Penalty | None = None,
        optimizer: str | Optimizer = "gd",
        lr: float = 0.01,
        schedule: str | Schedule | Callable[[int], float] = "constant",
        batch_size: int | None = 1,
        shuffle: bool = True,
        random_state: Seed = None,
        snapshot_every: int | None = None,
        verbose: int = 0,
        *,
        grad_norm_every: int | None = None,
        t0: int = 0,
        schedule_kw: dict[str, float] | None = None,
        optimizer_kw: dict[str, float] | None = None,
        history: History | None = None,
        engine: str | Engine = "nodes",
    ) -> None:
        if isinstance(engine, str) and engine not in ENGINES:
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
        self.last_engine = ""  # what ran the last call: "nodes", "compiled", ...
        self._cursor: Cursor | None = None  # where run_steps stands in its epoch
        self._epoch_steps = 0  # steps run in the current epoch

    def step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float
    ) -> tuple[float, Array]:
        """One step of the lectures' loop; returns J and pred from before the update."""
        return Step(self.chain, self.loss, self.penalty, self.optimizer)(Xb, yb, sb, lr)

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
        X, y, sw = as_arrays(X, y, sample_weight)
        N = n_rows(X)
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, got {n_steps!r}.")
        key = (id(X), id(y), id(sw), N)
        cur = self._cursor if self._cursor and self._cursor.key == key else None
        eng = self._engine(n_correct, [], nodes_only=True)
        run: list[Steps] = []
        ended: list[float] = []
        silent = TrainingProgress(0, 1, 0)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                while sum(r.S for r in run) < n_steps:
                    if cur is None:  # an epoch starts: draw its order
                        order = self.batcher.order(N, row_bytes(X))
                        cur = self._cursor = Cursor(key, order)
                    rows = cur.rows
                    rows.m = self.batcher.size(N)  # may change between calls
                    left = n_steps - sum(r.S for r in run)
                    k = min(left, -(-(N - rows.start) // rows.m))
                    steps = self._run(eng, (X, y, sw), rows, k, n_correct, [], silent)
                    cur.add(steps)
                    run += steps
                    if rows.start == N:  # the epoch's last batch is done
                        J_epoch, acc = cur.means(n_correct is not None)
                        self._end_epoch(J_epoch, acc)
                        ended.append(J_epoch)
                        cur = self._cursor = None
        except DivergenceError:
            self._cursor = None  # the next call starts a fresh epoch
            raise
        self.history.set_final(self.chain.params)
        return StepsResult.of(run, self.t, self.epoch, ended, n_correct is not None)

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
        callbacks: Sequence[Callback | EpochFn] = (),
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
        X, y, sw = as_arrays(X, y, sample_weight)
        val = None
        if early_stopping:
            X, y, sw, val = hold_out(self.batcher.rng, X, y, sw, validation_fraction)
        if self._schedule_by_name and isinstance(self.schedule, Adaptive):
            self.schedule.tol = -math.inf if tol is None else tol
            self.schedule.patience = n_iter_no_change
        hooks = [_as_callback(c) for c in callbacks]
        eng = self._engine(n_correct, hooks)
        data = eng.prepare(X, y, sw)
        rule, reason = Stopping(tol, n_iter_no_change), "max_iter"
        self.stop_training = False
        progress = TrainingProgress(
            self.verbose, max_iter, self.batcher.n_batches(n_rows(X))
        )
        n_iter = 0
        with progress, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while n_iter < max_iter:
                J_epoch, acc = self._epoch(eng, data, n_correct, hooks, progress)
                n_iter += 1
                J_val = objective(self.chain, self.loss, None, *val) if val else np.nan
                lr, score = self.schedule(self.t), J_epoch if val is None else J_val
                self._end_epoch(J_epoch, acc, J_val, score)
                progress.epoch_end(self.epoch, J_epoch, lr, J_val)
                if rule.update(score):  # finite, but rising epoch after epoch
                    self._diverge(rule.slow, float(self.schedule(self.t - 1)))
                ends = [h for h in hooks if _overrides(h, "on_epoch_end")]
                stop = [bool(h.on_epoch_end(self, self.epoch, J_epoch)) for h in ends]
                stopped = any(stop) or self.stop_training
                reason = rule.reason(stopped, self.schedule, early_stopping)
                if reason != "max_iter":
                    break
        self.history.set_final(self.chain.params)
        if reason == "max_iter" and tol is not None:
            warnings.warn(rule.unconverged(max_iter), ConvergenceWarning, stacklevel=2)
        converged = reason in ("tol", "early_stopping", "adaptive")
        return TrainResult(n_iter, self.t, converged, reason, rule.best, self.history)

    def partial_fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        n_correct: Callable[[Array, Array], int] | None = None,
    ) -> TrainResult:
        """One epoch over (X, y); the step counter and schedule continue."""
        X, y, sw = as_arrays(X, y, sample_weight)
        progress = TrainingProgress(0, 1, 0)
        eng = self._engine(n_correct, [])
        data = eng.prepare(X, y, sw)
        self.stop_training = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            J_epoch, acc = self._epoch(eng, data, n_correct, [], progress)
        self._end_epoch(J_epoch, acc)
        self.history.set_final(self.chain.params)
        return TrainResult(1, self.t, False, "epoch", J_epoch, self.history)

    # ---- the loop --------------------------------------------------------
    def _engine(
        self, n_correct: NCorrect, hooks: Sequence[Callback], nodes_only: bool = False
    ) -> Engine:
        """The engine of this call: the Trainer's own, the kernels or the nodes."""
        on_step = any(_overrides(h, "on_step_end") for h in hooks)
        eng, self.last_engine = make_engine(
            self.engine if not nodes_only else "nodes",
            Step(self.chain, self.loss, self.penalty, self.optimizer),
            n_correct,
            self.batcher.shuffle,
            "per-step callbacks (on_step_end) run in Python" if on_step else "",
        )
        return eng

    def _epoch(
        self,
        eng: Engine,
        data: Data,
        n_correct: NCorrect,
        hooks: Sequence[Callback],
        progress: TrainingProgress,
    ) -> tuple[float, float]:
        """One pass over the data in a fresh order; returns (mean loss, accuracy)."""
        X, self._cursor = data[0], None  # fit and partial_fit start a fresh order
        N = n_rows(X)
        m, n = self.batcher.size(N), self.batcher.n_batches(N)
        rows = Rows(self.batcher.order(N, row_bytes(X)), 0, m)
        steps = [h for h in hooks if _overrides(h, "on_step_end")]
        epoch = Cursor((), None)
        epoch.add(self._run(eng, data, rows, n, n_correct, steps, progress))
        return epoch.means(n_correct is not None)

    def _run(
        self,
        eng: Engine,
        data: Data,
        rows: Rows,
        n: int,
        n_correct: NCorrect,
        step_hooks: list[Callback],
        progress: TrainingProgress,
    ) -> list[Steps]:
        """n steps from ``rows`` (moved on past them) through the engine: the
        History records them; a non-finite loss or parameter rolls back and raises.
        """
        params, history = self.chain.params, self.history
        start = {key: p.copy() for key, p in params.items()}  # the rollback point
        k_snap, k_norm = history.snapshot_every, history.grad_norm_every
        per_call = 1 if step_hooks else n
        if progress.step_every:
            per_call = min(per_call, progress.step_every)
        if k_snap:  # bound the snapshots an engine holds at once
            nbytes = sum(p.nbytes for p in params.values())
            per_call = min(per_call, max(SNAPSHOT_BYTES // nbytes * k_snap, 1))
        N, run, j, lr = n_rows(data[0]), [], 0, np.nan
        if rows.start == 0:
            self._epoch_steps = 0
        while j < n:
            k = min(per_call, n - j)
            sizes = rows.sizes(N, k)
            rec = Steps(sizes, n_correct is not None, k_norm, k_snap)
            lrs = self.schedule.rates(self.t, k)
            done = eng.run(data, rows, lrs, self.t, rec)
            self.t += done
            self._epoch_steps += done
            rec.save(history)
            run.append(rec)
            rows.start += int(sizes[:done].sum())
            j += done
            J, lr = float(rec.J[done - 1]), float(rec.lr[done - 1])
            if done < k:
                self._diverge(f"the loss became {J}", lr, (eng, start))
            if progress.step_every:
                progress.step(j)
            if any([bool(h.on_step_end(self, self.t - 1, J)) for h in step_hooks]):
                self.stop_training = True
            if step_hooks and self.stop_training:
                break
        for key, p in params.items():
            if not np.isfinite(p).all():
                self._diverge(f"{key} became non-finite", lr, (eng, start))
        return run

    def _end_epoch(
        self, J: float, acc: float, J_val: float = np.nan, score: float | None = None
    ) -> None:
        """Close an epoch: its record, the schedule's epoch hook, the count."""
        self.history.add_epoch(J, acc, J_val)
        self.schedule.epoch_end(J if score is None else score)
        self.epoch += 1

    def _diverge(self, what: str, lr: float, run: Rollback | None = None) -> NoReturn:
        """Roll back to the last finite parameters (``run``'s engine's ``last``, else
        its ``start``) and raise; without ``run``, after the epoch closed."""
        params = self.chain.params
        if run is not None and not all(np.isfinite(p).all() for p in params.values()):
            eng, start = run
            last_ok = all(np.isfinite(p).all() for p in eng.last.values())
            back = eng.last if last_ok else start
            for key, p in params.items():
                np.copyto(p, back[key])
        self.history.set_final(params)
        epoch = self.epoch + (run is not None)
        raise DivergenceError(epoch, self._epoch_steps, self.t - 1, lr, what)
