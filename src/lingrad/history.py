"""``History``: what training did, step by step and epoch by epoch, as arrays.

Per step: the batch loss J (before its update), the learning rate, the batch
size and, for classifiers, the number of correct predictions; every k steps
(when asked) the parameters and the gradient norm. Per epoch: the mean loss,
the accuracy and the validation loss. Everything is a NumPy array that grows
by doubling, exportable with ``to_dict`` / ``save_npz`` / ``load_npz``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lingrad.nodes import Array


class _Buffer:
    """A growable array: rows appended along axis 0, capacity doubling."""

    def __init__(self, tail: tuple[int, ...] = (), dtype: Any = np.float64) -> None:
        self._a: NDArray[Any] = np.empty((16, *tail), dtype=dtype)
        self.n = 0

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        if need > len(self._a):
            grown = np.empty(
                (max(need, 2 * len(self._a)), *self._a.shape[1:]), self._a.dtype
            )
            grown[: self.n] = self._a[: self.n]
            self._a = grown

    def extend(self, rows: Any) -> None:
        rows = np.asarray(rows)
        self._reserve(len(rows))
        self._a[self.n : self.n + len(rows)] = rows
        self.n += len(rows)

    def append(self, row: Any) -> None:
        self._reserve(1)
        self._a[self.n] = row
        self.n += 1

    @property
    def data(self) -> NDArray[Any]:
        return self._a[: self.n]


class History:
    """Per-step and per-epoch record of training.

    Parameters
    ----------
    snapshot_every : int or None
        Copy the parameters (before the update) at steps 0, k, 2k, ...;
        None keeps no snapshots. M = ⌈S / k⌉ snapshots for S steps.
    grad_norm_every : int or None
        Stride of the recorded gradient norms; None uses ``snapshot_every``.

    Attributes
    ----------
    step_loss, step_lr : ndarray of shape (S,)
        Loss J of each step's batch (before its update) and the rate used.
    grad_norm : ndarray of shape (S,)
        Global gradient 2-norm ``sqrt(Σ ‖dJ_dp‖²)``, NaN where not recorded.
    snapshot_step : ndarray of shape (M,)
        Global step index of each snapshot.
    params : dict of ndarray of shape (M, *param.shape)
        Parameter snapshots by ``chain.params`` name.
    final_params : dict of ndarray
        Parameters after the last update.
    epoch_loss : ndarray of shape (E,)
        Mean per-example loss over each epoch's steps (weighted by batch size).
    epoch_accuracy : ndarray of shape (E,)
        Share of correct predictions made during the epoch (NaN without
        ``n_correct``), each made before that step's update.
    accumulated_accuracy : ndarray of shape (S,)
        The lectures' running share ``n_correct / n_seen`` after each step.
    """

    def __init__(
        self, snapshot_every: int | None = None, grad_norm_every: int | None = None
    ) -> None:
        for name, k in (
            ("snapshot_every", snapshot_every),
            ("grad_norm_every", grad_norm_every),
        ):
            if k is not None and k < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {k!r}.")
        self.snapshot_every = snapshot_every
        self.grad_norm_every = (
            snapshot_every if grad_norm_every is None else grad_norm_every
        )
        self._step_loss = _Buffer()
        self._step_lr = _Buffer()
        self._grad_norm = _Buffer()
        self._step_batch_size = _Buffer(dtype=np.int64)
        self._step_n_correct = _Buffer()  # float: NaN where not tracked
        self._snapshot_step = _Buffer(dtype=np.int64)
        self._params: dict[str, _Buffer] = {}
        self._epoch_loss = _Buffer()
        self._epoch_accuracy = _Buffer()
        self._epoch_val_loss = _Buffer()
        self._epoch_end_step = _Buffer(dtype=np.int64)
        self.final_params: dict[str, Array] = {}

    # -- recording (called by the trainer) -----------------------------------
    def add_steps(
        self,
        loss: Any,
        lr: Any,
        batch_size: Any,
        n_correct: Any = None,
        grad_norm: Any = None,
    ) -> None:
        """Append a run of steps (one epoch's arrays, all of the same length)."""
        S = len(loss)
        self._step_loss.extend(loss)
        self._step_lr.extend(lr)
        self._step_batch_size.extend(batch_size)
        self._step_n_correct.extend(
            np.full(S, np.nan) if n_correct is None else n_correct
        )
        self._grad_norm.extend(np.full(S, np.nan) if grad_norm is None else grad_norm)

    def add_snapshot(self, t: int, params: dict[str, Array]) -> None:
        """Copy the parameters as they are before the update of step t."""
        self._snapshot_step.append(t)
        for key, p in params.items():
            if key not in self._params:
                self._params[key] = _Buffer(p.shape, p.dtype)
            self._params[key].append(p)

    def add_epoch(
        self, loss: float, accuracy: float = np.nan, val_loss: float = np.nan
    ) -> None:
        """Close an epoch: its mean loss, accuracy and validation loss."""
        self._epoch_loss.append(loss)
        self._epoch_accuracy.append(accuracy)
        self._epoch_val_loss.append(val_loss)
        self._epoch_end_step.append(self._step_loss.n)

    def set_final(self, params: dict[str, Array]) -> None:
        self.final_params = {key: p.copy() for key, p in params.items()}

    # -- reading --------------------------------------------------------------
    step_loss = property(lambda self: self._step_loss.data, doc="(S,) batch loss J.")
    step_lr = property(lambda self: self._step_lr.data, doc="(S,) learning rate.")
    grad_norm = property(lambda self: self._grad_norm.data, doc="(S,) ‖dJ/dθ‖₂.")
    step_batch_size = property(lambda self: self._step_batch_size.data, doc="(S,) m.")
    step_n_correct = property(lambda self: self._step_n_correct.data, doc="(S,) hits.")
    snapshot_step = property(lambda self: self._snapshot_step.data, doc="(M,) steps.")
    epoch_loss = property(lambda self: self._epoch_loss.data, doc="(E,) mean loss.")
    epoch_accuracy = property(lambda self: self._epoch_accuracy.data, doc="(E,) acc.")
    epoch_val_loss = property(lambda self: self._epoch_val_loss.data, doc="(E,) val J.")
    epoch_end_step = property(lambda self: self._epoch_end_step.data, doc="(E,) steps.")

    @property
    def params(self) -> dict[str, NDArray[Any]]:
        return {key: buf.data for key, buf in self._params.items()}

    @property
    def accumulated_accuracy(self) -> NDArray[np.float64]:
        """Running share of correct predictions ``Σ n_correct / Σ n_seen``."""
        hits = self.step_n_correct
        acc: NDArray[np.float64] = np.cumsum(np.nan_to_num(hits)) / np.cumsum(
            self.step_batch_size
        )
        acc[np.isnan(hits)] = np.nan
        return acc

    @property
    def n_steps(self) -> int:
        return self._step_loss.n

    @property
    def n_epochs(self) -> int:
        return self._epoch_loss.n

    # -- export ---------------------------------------------------------------
    _ARRAYS = (
        "step_loss", "step_lr", "grad_norm", "step_batch_size", "step_n_correct",
        "snapshot_step", "epoch_loss", "epoch_accuracy", "epoch_val_loss",
        "epoch_end_step",
    )  # fmt: skip

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Flat dict of arrays; parameters as ``params/<name>``, ``final/<name>``."""
        out: dict[str, NDArray[Any]] = {
            key: getattr(self, key).copy() for key in self._ARRAYS
        }
        out["accumulated_accuracy"] = self.accumulated_accuracy
        for key, value in self.params.items():
            out[f"params/{key}"] = value.copy()
        for key, value in self.final_params.items():
            out[f"final/{key}"] = value.copy()
        out["snapshot_every"] = np.array(self.snapshot_every or 0)
        out["grad_norm_every"] = np.array(self.grad_norm_every or 0)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Rebuild a History from ``to_dict()`` output."""
        h = cls(int(d["snapshot_every"]) or None, int(d["grad_norm_every"]) or None)
        for key in cls._ARRAYS:
            getattr(h, f"_{key}").extend(np.asarray(d[key]))
        for key, value in d.items():
            if key.startswith("params/"):
                value = np.asarray(value)
                buf = h._params[key[7:]] = _Buffer(value.shape[1:], value.dtype)
                buf.extend(value)
            elif key.startswith("final/"):
                h.final_params[key[6:]] = np.asarray(value)
        return h

    def save_npz(self, path: str | os.PathLike[str]) -> None:
        """Write every array to one ``.npz`` file (no pickles)."""
        np.savez(path, **self.to_dict())  # type: ignore[arg-type]

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str]) -> History:
        with np.load(path, allow_pickle=False) as data:
            return cls.from_dict({key: data[key] for key in data.files})

    def __repr__(self) -> str:
        return (
            f"History(steps={self.n_steps}, epochs={self.n_epochs}, "
            f"snapshots={self._snapshot_step.n}, snapshot_every={self.snapshot_every})"
        )
