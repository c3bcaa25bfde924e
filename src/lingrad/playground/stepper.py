"""Training n steps at a time with lingrad's Trainer, the epoch order continuing.

The playground's Play, Step and Step ×10 all come here: :class:`Stepper` runs the
trainer's own step (``Trainer.step``: forward, loss, backpropagation, update) over
the batches of :class:`RecordingBatcher`, which cuts each epoch exactly as
``lingrad.optim.Batcher`` does and remembers the rows of the batch it gave last,
so that the step panel can trace that example. A changed batch size applies from
the next batch. The History is bounded (``History(max_steps=...)``: evenly
decimated steps, exact per-epoch summaries), so a session's memory does not grow
while it plays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingrad.nodes import Array
from lingrad.optim import Batch, Batcher
from lingrad.penalties import penalized
from lingrad.train import DivergenceError, Trainer

MAX_STEPS = 5000  # per-step records a session's History keeps (then decimates)


class RecordingBatcher(Batcher):
    """``Batcher``'s epochs (the same rows, in the same order, for the same seed)
    that records ``rows`` (indices into X) of the batch yielded last."""

    rows: Any = np.zeros(0, dtype=np.intp)  # (m,) integer row indices
    epoch_done = False  # the batch yielded last closes its epoch

    def __call__(
        self, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Iterator[Batch]:
        N = len(X)
        order = None
        if self.shuffle and self.size(N) < N:
            order = self.rng.permutation(N)  # as Batcher draws it
        i = 0
        while i < N:
            m = self.size(N)  # read anew: a changed batch size applies at once
            stop = min(i + m, N)
            rows = np.arange(i, stop) if order is None else order[i:stop]
            self.rows, self.epoch_done = rows, stop >= N
            sb = None if sample_weight is None else sample_weight[rows]
            if order is None:
                yield X[i:stop], y[i:stop], sb
            else:
                yield X[rows], y[rows], sb
            i = stop


@dataclass
class LastStep:
    """What the step panel traces: step t on rows, from params ``before``."""

    t: int
    rows: Any  # (m,) integer row indices
    lr: float
    before: dict[str, Array]
    grads: dict[str, Array]  # dJ_dp the update used (penalty included)
    J: float  # the batch's J before the update


class Stepper:
    """Steps of ``trainer`` over (X, Y), n per call; epochs close as they end."""

    def __init__(
        self,
        trainer: Trainer,
        X: Array,
        Y: Array,
        n_correct: Callable[[Array, Array], int] | None,
    ) -> None:
        old = trainer.batcher
        trainer.batcher = RecordingBatcher(old.batch_size, old.shuffle, old.rng)
        self.trainer, self.X, self.Y, self.n_correct = trainer, X, Y, n_correct
        self.last: LastStep | None = None
        self._batches: Iterator[Batch] | None = None
        self._sums = np.zeros(3)  # Σ J m, Σ m, Σ hits over the epoch so far
        self._in_epoch = 0  # steps into the current epoch
        self._pending: list[tuple[float, float, int, float]] = []  # (J, lr, m, hits)

    @property
    def batcher(self) -> RecordingBatcher:
        return self.trainer.batcher  # type: ignore[return-value]

    def run(self, n: int) -> None:
        """Run n steps; DivergenceError (parameters restored) if J or a p explodes."""
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for _ in range(n):
                    self._step()
        finally:
            self._flush()
            self.trainer.history.set_final(self.trainer.chain.params)

    def _flush(self) -> None:
        """Record the pending steps in the History, in one call."""
        if self._pending:
            J, lr, m, hits = zip(*self._pending, strict=True)
            hits_or_none = None if self.n_correct is None else hits
            self.trainer.history.add_steps(J, lr, m, hits_or_none)
            self._pending = []

    def _step(self) -> None:
        tr = self.trainer
        if self._batches is None:
            tr._params = tr.chain.params
            tr._penalized = (
                [k for k in tr._params if penalized(k)] if tr.penalty else []
            )
            self._batches = self.batcher(self.X, self.Y)
            self._sums[:] = 0.0
            self._in_epoch = 0
        Xb, yb, sb = next(self._batches)
        params, history, t = tr._params, tr.history, tr.t
        lr = float(tr.schedule(t))
        k = history.snapshot_every
        if k is not None and t % k == 0:
            history.add_snapshot(t, params)
        before = {key: p.copy() for key, p in params.items()}
        J, pred = tr.step(Xb, yb, sb, lr)
        tr.t = t + 1
        self._in_epoch += 1
        m = len(Xb)
        hits = np.nan if self.n_correct is None else float(self.n_correct(pred, yb))
        self._pending.append((J, lr, m, hits))
        self._sums += (J * m, m, 0.0 if self.n_correct is None else hits)
        grads = {key: np.array(g, copy=True) for key, g in tr._grads.items()}
        self.last = LastStep(t, self.batcher.rows.copy(), lr, before, grads, J)
        finite = math.isfinite(J) and all(np.isfinite(p).all() for p in params.values())
        if not finite:
            for key, p in params.items():
                np.copyto(p, before[key])
            what = f"the loss became {J}" if not math.isfinite(J) else "W overflowed"
            self._batches = None
            raise DivergenceError(tr.epoch + 1, self._in_epoch, t, lr, what)
        if self.batcher.epoch_done:
            self._close_epoch()

    def _close_epoch(self) -> None:
        tr, (Jm, m, hits) = self.trainer, self._sums
        J_epoch = float(Jm / m)
        acc = float(hits / m) if self.n_correct is not None else np.nan
        self._flush()  # the epoch's steps first: it ends at the step count
        tr.history.add_epoch(J_epoch, acc)
        tr.schedule.epoch_end(J_epoch)
        tr.epoch += 1
        self._batches = None
