"""Training n steps at a time with lingrad's Trainer, the epoch order continuing.

The playground's Play, Step and Step ×10 all come here. :class:`Stepper` calls
``Trainer.run_steps`` (the node path: forward, loss, backpropagation, update;
the History records every step and closes each epoch), and keeps what the step
panel needs of the last step: the parameters before it, the rows of its batch,
its rate, gradient and J. The rows come from the epoch's order, which
:class:`RecordingBatcher` remembers when the trainer draws it, and from the
position in the epoch, which the batch sizes of the steps run tell. The History
is bounded (``History(max_steps=...)``: evenly decimated steps, exact per-epoch
summaries), so a session's memory does not grow while it plays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.training.optim import Batcher
from lingrad.training.stepping import StepsResult
from lingrad.training.train import DivergenceError, Trainer

MAX_STEPS = 5000  # per-step records a session's History keeps (then decimates)


class RecordingBatcher(Batcher):
    """``Batcher`` that remembers the epoch order it drew last (None: data order)."""

    last_order: NDArray[np.intp] | None = None

    def order(self, N: int, row_bytes: int = 8) -> NDArray[np.intp] | None:
        self.last_order = super().order(N, row_bytes)
        return self.last_order


@dataclass
class LastStep:
    """What the step panel traces: step t on rows, from params ``before``."""

    t: int
    rows: NDArray[np.intp]  # (m,) integer row indices of the step's batch
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
        self._pos = 0  # rows of the current epoch already trained on

    def run(self, n: int) -> None:
        """Run n steps; DivergenceError (parameters restored) if J or a p explodes."""
        if n > 1:
            self._steps(n - 1)
        tr = self.trainer
        before = {key: p.copy() for key, p in tr.chain.params.items()}
        start, t = self._pos, tr.t
        result = self._steps(1)
        m = int(result.batch_size[0])
        batcher = tr.batcher  # a RecordingBatcher (``build`` gives the trainer one)
        order = batcher.last_order if isinstance(batcher, RecordingBatcher) else None
        stop = start + m
        rows = np.arange(start, stop) if order is None else order[start:stop]
        grads = {key: np.array(g, copy=True) for key, g in tr.chain.grads.items()}
        J = float(result.J[0])
        self.last = LastStep(t, rows, float(result.lr[0]), before, grads, J)

    def _steps(self, n: int) -> StepsResult:
        """``Trainer.run_steps`` and the position in the epoch after it."""
        try:
            result = self.trainer.run_steps(self.X, self.Y, n, n_correct=self.n_correct)
        except DivergenceError:
            self._pos = 0  # the trainer starts a fresh epoch after a divergence
            raise
        N = len(self.X)
        for m in result.batch_size:  # an epoch closes when its last row is done
            self._pos = (self._pos + int(m)) % N
        return result
