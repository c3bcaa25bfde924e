"""A History's records as plain, compact arrays: what a block visit sends back.

A stochastic fit on Dask keeps its History on the client; each visit of a
block records into a new History on its worker and sends its records back as
:class:`Records` (plain arrays; an array of one repeated value, such as the
batch sizes of per-sample SGD or a constant learning rate, as that value and
a length). :func:`append_records` appends them to the client's History through
its own ``add_steps`` / ``add_snapshots`` / ``add_epoch``, so the kept steps,
their global indices, the running totals and the decimation are those of the
same steps recorded there directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingrad.training.history import History

STEP_FIELDS = ("step_loss", "step_lr", "step_batch_size", "step_n_correct", "grad_norm")
EPOCH_FIELDS = ("epoch_loss", "epoch_accuracy", "epoch_val_loss", "epoch_end_step")


@dataclass(frozen=True)
class Repeat:
    """``n`` copies of ``value`` (of ``dtype``): a constant array, unexpanded."""

    value: float  # a number of the History's (int or bool alike)
    n: int
    dtype: np.dtype[np.generic]

    def array(self) -> np.ndarray:
        return np.full(self.n, self.value, dtype=self.dtype)


def pack(a: np.ndarray) -> np.ndarray | Repeat:
    """``a`` as a :class:`Repeat` when every entry equals the first (NaN alike)."""
    if len(a) > 1:
        first = a[:1]
        same = np.isnan(a).all() if np.isnan(first).all() else (a == first).all()
        if same:
            return Repeat(a[0].item(), len(a), a.dtype)
    return np.array(a)  # its own copy: not a view of the History's buffer


def unpack(a: np.ndarray | Repeat) -> np.ndarray:
    return a.array() if isinstance(a, Repeat) else a


@dataclass
class Records:
    """Steps, snapshots and epochs recorded by one visit, and its final parameters."""

    steps: dict[str, np.ndarray | Repeat]
    n_steps: int
    snapshot_step: np.ndarray
    params: dict[str, np.ndarray]
    epochs: dict[str, np.ndarray]
    final_params: dict[str, np.ndarray]


def records_of(history: History) -> Records:
    """``history``'s records (recorded unbounded: every step, every snapshot)."""
    return Records(
        {key: pack(getattr(history, key)) for key in STEP_FIELDS},
        history.n_steps,
        np.array(history.snapshot_step),
        {key: np.array(p) for key, p in history.params.items()},
        {key: np.array(getattr(history, key)) for key in EPOCH_FIELDS},
        history.final_params,
    )


def append_records(history: History, new: Records) -> None:
    """Append ``new`` to ``history`` as if its steps had been recorded there: the
    same strides, step indices and running totals (steps and epochs in turn)."""
    if len(new.snapshot_step):
        history.add_snapshots(new.snapshot_step, new.params)
    steps = {key: unpack(a) for key, a in new.steps.items()}
    epochs = new.epochs
    done, n_epochs = 0, len(epochs["epoch_loss"])
    for e, end in enumerate([*epochs["epoch_end_step"].tolist(), new.n_steps]):
        if end > done:
            part = slice(done, end)
            history.add_steps(*(steps[key][part] for key in STEP_FIELDS))
            done = end
        if e < n_epochs:
            history.add_epoch(*(epochs[key][e] for key in EPOCH_FIELDS[:3]))
    if new.final_params:
        history.final_params = new.final_params
