"""``Trainer.run_steps``: training driven a few steps at a time (the playground).

A ``_Cursor`` remembers where the current epoch stands: its row order (drawn
by the Batcher at the epoch's start, as ``partial_fit`` draws it), the next
row, and the sums behind the epoch's mean loss and accuracy. Each call runs
the node path's steps from there, records them in the History and closes the
epoch when its last row is done, so that calls of any sizes add up to the
same steps as whole epochs (with the batch size and rate unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.training.epoch import DivergenceError, _Steps
from lingrad.training.optim import Batch
from lingrad.training.progress import TrainingProgress

if TYPE_CHECKING:
    from lingrad.training.train import Trainer


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


class _Cursor:
    """The current epoch of ``run_steps``: its data, row order and running sums."""

    def __init__(self, key: tuple[Any, ...], order: NDArray[np.intp] | None) -> None:
        self.key, self.order, self.pos = key, order, 0
        self.J_sum, self.m_sum, self.hits = 0.0, 0, 0.0


def _batches(
    X: Array, y: Array, sw: Array | None, cur: _Cursor, sizes: NDArray[np.int64]
) -> Iterator[Batch]:
    """The batches of ``sizes`` rows from the cursor on, in the epoch's order."""
    pos = cur.pos
    for m in sizes:
        if cur.order is None:
            rows: Any = slice(pos, pos + m)
            yield X[rows], y[rows], None if sw is None else sw[rows]
        else:
            idx = cur.order[pos : pos + m]
            yield X[idx], y[idx], None if sw is None else sw[idx]
        pos += m


def run_steps(
    trainer: Trainer,
    X: Array,
    y: Array,
    n_steps: int,
    sample_weight: Array | None = None,
    n_correct: Callable[[Array, Array], int] | None = None,
) -> StepsResult:
    """``Trainer.run_steps``: see its docstring."""
    X, y = np.asarray(X), np.asarray(y)
    sw = None if sample_weight is None else np.asarray(sample_weight)
    N = len(X)
    if N == 0:
        raise ValueError("cannot train on 0 examples.")
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps!r}.")
    key = (id(X), id(y), id(sw), N)
    cur = trainer._cursor
    if cur is None or cur.key != key:
        cur = None
    history = trainer.history
    trainer._bind()
    trainer._start = {k: p.copy() for k, p in trainer._params.items()}
    records, ended = [], []
    done = 0
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while done < n_steps:
                if cur is None:  # an epoch starts: draw its order
                    order = trainer.batcher.order(N, X[:1].nbytes)
                    cur = trainer._cursor = _Cursor(key, order)
                m = trainer.batcher.size(N)
                k = min(n_steps - done, -(-(N - cur.pos) // m))
                sizes = np.minimum(m, N - cur.pos - m * np.arange(k))
                norms = history.grad_norm_every is not None
                rec = _Steps(sizes, n_correct is not None, norms)
                lrs = trainer.schedule.rates(trainer.t, k)
                batches = _batches(X, y, sw, cur, sizes)
                silent = TrainingProgress(0, 1, 0)
                trainer._run(batches, lrs, rec, n_correct, [], silent)
                for key_p, p in trainer._params.items():
                    if not np.isfinite(p).all():
                        trainer._diverge(rec, f"{key_p} became non-finite")
                rec.save(history)
                records.append(rec)
                cur.pos += int(sizes.sum())
                cur.J_sum += float(rec.J @ rec.m)
                cur.m_sum += int(sizes.sum())
                cur.hits += 0.0 if rec.hits is None else float(rec.hits.sum())
                done += k
                if cur.pos == N:  # the epoch's last batch is done
                    J_epoch = cur.J_sum / cur.m_sum
                    acc = np.nan if n_correct is None else cur.hits / cur.m_sum
                    history.add_epoch(J_epoch, acc)
                    trainer.schedule.epoch_end(J_epoch)
                    trainer.epoch += 1
                    ended.append(J_epoch)
                    cur = trainer._cursor = None
    except DivergenceError:
        trainer._cursor = None  # the next call starts a fresh epoch
        raise
    history.set_final(trainer.chain.params)

    def joined(name: str, dtype: Any = np.float64) -> Any:
        parts = [getattr(r, name) for r in records]
        return np.concatenate(parts or [np.empty(0, dtype)])

    return StepsResult(
        done,
        trainer.t,
        trainer.epoch,
        ended,
        joined("J"),
        joined("lr"),
        joined("m", np.int64),
        None if n_correct is None else joined("hits"),
    )
