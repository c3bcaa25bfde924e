"""What the Trainer's calls return, and the bookkeeping of their epochs.

:class:`TrainResult` (``fit`` / ``partial_fit``) and :class:`StepsResult`
(``run_steps``); :class:`Cursor`, where ``run_steps`` stands in its epoch (the
row order drawn at the epoch's start, the next row, the sums behind the
epoch's mean loss and accuracy), so that calls of any sizes add up to the
same steps as whole epochs; :class:`Stopping`, ``fit``'s stopping rule; and
:func:`hold_out`, the validation split of early stopping; :func:`as_arrays`, the
inputs as the engines take them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from lingrad.core.nodes import Array
from lingrad.training.epoch import Data, Rows, Steps
from lingrad.training.history import History
from lingrad.training.schedules import Adaptive, Schedule
from lingrad.training.shuffle import n_rows


@dataclass
class TrainResult:
    """What one ``fit`` / ``partial_fit`` call did."""

    n_iter: int  # epochs run by this call
    t: int  # global step count afterwards
    converged: bool
    stop_reason: str  # tol, early_stopping, adaptive, callback, max_iter, epoch
    best_loss: float  # best epoch loss (validation loss with early stopping)
    history: History


@dataclass
class StepsResult:
    """What one ``run_steps`` call did (the History holds the same, appended)."""

    n_steps: int  # steps run
    t: int  # global step count afterwards
    epoch: int  # epochs completed afterwards
    epoch_loss: list[float]  # mean loss of each epoch that ended during the call
    J: NDArray[np.float64]  # (n_steps,) loss of each step's batch, before its update
    lr: NDArray[np.float64]  # (n_steps,) rate of each step
    batch_size: NDArray[np.int64]  # (n_steps,)
    n_correct: NDArray[np.float64] | None  # (n_steps,) when counted

    @classmethod
    def of(
        cls, run: list[Steps], t: int, epoch: int, ended: list[float], counted: bool
    ) -> StepsResult:
        """The result of the steps recorded in ``run``."""

        def joined(name: str) -> NDArray[np.float64]:
            parts = [getattr(r, name)[: r.S] for r in run]
            return np.concatenate(parts or [np.empty(0)])

        n = sum(r.S for r in run)
        hits = joined("hits") if counted else None
        return cls(
            n,
            t,
            epoch,
            ended,
            joined("J"),
            joined("lr"),
            np.asarray(joined("m"), dtype=np.int64),
            hits,
        )


class Cursor:
    """The current epoch of ``run_steps``: its data, rows and running sums."""

    def __init__(self, key: tuple[object, ...], order: NDArray[np.intp] | None) -> None:
        self.key, self.rows = key, Rows(order, 0, 1)
        self.J_sum, self.m_sum, self.hits = 0.0, 0, 0.0

    def add(self, run: list[Steps]) -> None:
        for rec in run:
            J, m, hits = rec.sums()
            self.J_sum, self.m_sum, self.hits = (
                self.J_sum + J,
                self.m_sum + m,
                self.hits + hits,
            )

    def means(self, counted: bool) -> tuple[float, float]:
        """(mean loss, accuracy) of the epoch so far."""
        acc = self.hits / self.m_sum if counted else np.nan
        return self.J_sum / self.m_sum, acc


class Stopping:
    """``fit``'s rule: ``bad`` epochs in a row not ``tol`` below the best score;
    ``rising``: epochs in a row the score went up (``slow`` says how, once that
    reached ``patience`` epochs and 10 times the best: a slow divergence)."""

    def __init__(self, tol: float | None, patience: int) -> None:
        self.tol, self.patience = tol, patience
        self.best = self.previous = math.inf
        self.bad = self.rising = 0
        self.slow = ""

    def update(self, score: float) -> str:
        """Count an epoch's score; returns ``slow`` (empty: not diverging)."""
        tol, best = self.tol, self.best
        self.bad = self.bad + 1 if tol is not None and score > best - tol else 0
        self.rising = self.rising + 1 if score > self.previous else 0
        if self.rising >= self.patience and score > 10 * best:
            how = f"from {best:.3g} to {score:.3g}"
            self.slow = f"the loss rose {self.rising} epochs in a row, {how}"
        self.best, self.previous = min(best, score), score
        return self.slow

    def reason(self, stopped: bool, schedule: Schedule, early_stopping: bool) -> str:
        """Why to stop after this epoch ("max_iter": go on)."""
        if stopped:
            return "callback"
        if isinstance(schedule, Adaptive):
            return "adaptive" if schedule.exhausted else "max_iter"
        if self.bad >= self.patience:
            return "early_stopping" if early_stopping else "tol"
        return "max_iter"

    def unconverged(self, max_iter: int) -> str:
        return (
            f"Maximum number of epochs (max_iter={max_iter}) reached before the "
            f"loss converged (tol={self.tol:g}); increase max_iter or the learning "
            "rate."
        )


def as_arrays(X: Any, y: ArrayLike, sample_weight: ArrayLike | None) -> Data:
    """X, y and the weights as arrays (a sparse X as CSR, never densified);
    refuses no examples (X: array-like or scipy sparse, untyped)."""
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)
    y = np.asarray(y)
    if n_rows(X) == 0:
        raise ValueError("cannot train on 0 examples.")
    return X, y, None if sample_weight is None else np.asarray(sample_weight)


def hold_out(
    rng: np.random.Generator, X: Array, y: Array, sw: Array | None, fraction: float
) -> tuple[Array, Array, Array | None, tuple[Array, Array, Array | None]]:
    """Hold out ⌈fraction·N⌉ examples (seeded) for early stopping."""
    N = n_rows(X)  # an array or a CSR matrix
    n_val = math.ceil(fraction * N)
    if not 0 < fraction < 1 or n_val >= N:
        raise ValueError(
            f"validation_fraction={fraction!r} leaves no training or no validation "
            f"examples out of {N}."
        )
    perm = rng.permutation(N)
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
    if sw is None:
        return X[tr], y[tr], None, (X[va], y[va], None)
    return X[tr], y[tr], sw[tr], (X[va], y[va], sw[va])
