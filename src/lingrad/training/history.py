"""``History``: what training did, step by step and epoch by epoch, as arrays.

Per step: the batch loss J (before its update), the learning rate, the batch
size and, for classifiers, the number of correct predictions; every k steps
(when asked) the parameters and the gradient norm. Per epoch: the mean loss,
the accuracy and the validation loss. Everything is a NumPy array that grows
by doubling, exportable with ``to_dict`` / ``save_npz`` / ``load_npz``.

Per-step records are bounded: beyond ``max_steps`` kept steps the History
keeps every 2nd, then every 4th, ... step (evenly, by global step index, see
``step_index``); snapshots likewise beyond ``max_snapshots`` or
``MAX_SNAPSHOT_BYTES`` (a wide model keeps fewer). Per-epoch
summaries and the running totals behind ``accumulated_accuracy`` are exact.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from lingrad.core.nodes import Array
from lingrad.notebook.display import HistoryDisplay

MAX_SNAPSHOT_BYTES = 1 << 27  # kept parameter snapshots, at most (at least 2 kept)


class _Buffer:
    """A growable array: rows appended along axis 0, capacity doubling (none
    reserved before the first row: a snapshot row can be as large as a model)."""

    def __init__(
        self, tail: tuple[int, ...] = (), dtype: DTypeLike = np.float64
    ) -> None:
        self._a: NDArray[np.number] = np.empty((0, *tail), dtype=dtype)
        self.n = 0

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        if need > len(self._a):
            grown = np.empty(
                (max(need, 2 * len(self._a)), *self._a.shape[1:]), self._a.dtype
            )
            grown[: self.n] = self._a[: self.n]
            self._a = grown

    def extend(self, rows: ArrayLike) -> None:
        rows = np.asarray(rows)
        self._reserve(len(rows))
        self._a[self.n : self.n + len(rows)] = rows
        self.n += len(rows)

    def adopt(self, rows: ArrayLike) -> None:
        """Hold ``rows`` itself (no copy) as the first rows: a loader's fresh array."""
        a = np.asarray(rows, dtype=self._a.dtype)
        if self.n or a.shape[1:] != self._a.shape[1:]:
            self.extend(a)
        else:
            self._a, self.n = a, len(a)

    def append(self, row: ArrayLike) -> None:
        self._reserve(1)
        self._a[self.n] = row
        self.n += 1

    def halve(self) -> None:
        """Keep rows 0, 2, 4, ... (decimation by two), in place."""
        kept = self._a[: self.n : 2].copy()
        self.n = len(kept)
        self._a[: self.n] = kept

    @property
    def data(self) -> NDArray[np.number]:
        return self._a[: self.n]


_STEP_KEYS = (
    "step_loss", "step_lr", "grad_norm", "step_batch_size", "step_n_correct",
    "step_index", "step_cum_correct", "step_cum_seen",
)  # fmt: skip
_INT_KEYS = ("step_batch_size", "step_index", "snapshot_step", "epoch_end_step")


def _step(key: str, doc: str) -> property:
    """A read-only property: the kept per-step records ``key``."""
    return property(lambda self: self._steps[key].data, doc=doc)


class History(HistoryDisplay):
    """Per-step and per-epoch record of training.

    Parameters
    ----------
    snapshot_every : int or None
        Copy the parameters (before the update) at steps 0, k, 2k, ...;
        None keeps no snapshots. M = ⌈S / k⌉ snapshots for S steps (until
        ``max_snapshots``).
    grad_norm_every : int or None
        Stride of the recorded gradient norms; None uses ``snapshot_every``.
    max_steps : int or None, default=1_000_000
        Most per-step records kept. Past it, the stride of the kept steps
        doubles (every 2nd step, then every 4th, ...), so between
        ``max_steps / 2`` and ``max_steps`` records stay, evenly spread;
        ``step_index`` gives the global step of each. None: keep all.
    max_snapshots : int or None, default=10_000
        The same bound for the parameter snapshots (``snapshot_step`` gives
        the step of each kept one); they also stay within
        ``MAX_SNAPSHOT_BYTES`` (128 MiB: 16 snapshots of a million weights).

    Attributes
    ----------
    step_loss, step_lr : ndarray of shape (S,)
        Loss J of each kept step's batch (before its update) and the rate used.
    step_index : ndarray of shape (S,)
        Global step of each kept record (0, 1, 2, ... until decimation).
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
    epoch_end_step : ndarray of shape (E,)
        Steps taken when each epoch ended (a global step count).
    accumulated_accuracy : ndarray of shape (S,)
        The lectures' running share ``n_correct / n_seen`` after each kept step
        (over all steps, kept or not).
    n_steps : int
        Steps recorded in all (kept or not).
    """

    def __init__(
        self,
        snapshot_every: int | None = None,
        grad_norm_every: int | None = None,
        *,
        max_steps: int | None = 1_000_000,
        max_snapshots: int | None = 10_000,
    ) -> None:
        for name, k in (
            ("snapshot_every", snapshot_every),
            ("grad_norm_every", grad_norm_every),
            ("max_steps", max_steps),
            ("max_snapshots", max_snapshots),
        ):
            if k is not None and k < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {k!r}.")
        self.snapshot_every = snapshot_every
        self.grad_norm_every = (
            snapshot_every if grad_norm_every is None else grad_norm_every
        )
        self.max_steps, self.max_snapshots = max_steps, max_snapshots
        self._steps = {
            key: _Buffer(dtype=np.int64 if key in _INT_KEYS else np.float64)
            for key in _STEP_KEYS
        }
        self.step_stride = 1  # kept steps: global index % step_stride == 0
        self.snapshot_stride = 1  # kept snapshots: every snapshot_stride-th offered
        self._n_seen = 0  # steps recorded, kept or not
        self._n_snapshots_seen = 0
        self._correct_total = 0.0  # Σ n_correct and Σ m over all steps
        self._seen_total = 0
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
        loss: ArrayLike,
        lr: ArrayLike,
        batch_size: ArrayLike,
        n_correct: ArrayLike | None = None,
        grad_norm: ArrayLike | None = None,
    ) -> None:
        """Append a run of consecutive steps (arrays of the same length)."""
        loss = np.asarray(loss, dtype=np.float64)
        S = len(loss)
        m = np.asarray(batch_size, dtype=np.int64)
        hits = np.full(S, np.nan) if n_correct is None else np.asarray(n_correct)
        index = self._n_seen + np.arange(S)
        cum_correct = self._correct_total + np.cumsum(np.nan_to_num(hits))
        cum_seen = self._seen_total + np.cumsum(m)
        rows: dict[str, ArrayLike] = {
            "step_loss": loss,
            "step_lr": lr,
            "grad_norm": np.full(S, np.nan) if grad_norm is None else grad_norm,
            "step_batch_size": m,
            "step_n_correct": hits,
            "step_index": index,
            "step_cum_correct": cum_correct,
            "step_cum_seen": cum_seen,
        }
        if S:
            self._correct_total = float(cum_correct[-1])
            self._seen_total = int(cum_seen[-1])
        keep: slice | NDArray[np.bool_] = slice(None)
        if self.step_stride > 1:
            keep = index % self.step_stride == 0
        for key, buf in self._steps.items():
            buf.extend(np.asarray(rows[key])[keep])
        self._n_seen += S
        while (
            self.max_steps is not None and self._steps["step_loss"].n > self.max_steps
        ):
            self.step_stride *= 2  # kept indices are multiples of the old stride
            for buf in self._steps.values():
                buf.halve()

    def add_snapshot(self, t: int, params: dict[str, Array]) -> None:
        """Copy the parameters as they are before the update of step t."""
        j = self._n_snapshots_seen
        self._n_snapshots_seen += 1
        if j % self.snapshot_stride:
            return
        self._snapshot_step.append(t)
        for key, p in params.items():
            if key not in self._params:
                self._params[key] = _Buffer(p.shape, p.dtype)
            self._params[key].append(p)
        self._bound_snapshots()

    def add_snapshots(self, steps: ArrayLike, params: Mapping[str, Array]) -> None:
        """Snapshots before the updates of ``steps`` (M,): ``params`` (M, *shape)."""
        steps = np.asarray(steps, dtype=np.int64)
        ordinal = self._n_snapshots_seen + np.arange(len(steps))
        self._n_snapshots_seen += len(steps)
        keep = ordinal % self.snapshot_stride == 0
        self._snapshot_step.extend(steps[keep])
        for key, p in params.items():
            if key not in self._params:
                self._params[key] = _Buffer(p.shape[1:], p.dtype)
            self._params[key].extend(np.asarray(p)[keep])
        self._bound_snapshots()

    def _bound_snapshots(self) -> None:
        row = sum(buf.data[:1].nbytes for buf in self._params.values())
        cap = max(2, MAX_SNAPSHOT_BYTES // row) if row else self._snapshot_step.n
        if self.max_snapshots is not None:
            cap = min(cap, self.max_snapshots)
        while self._snapshot_step.n > cap:
            self.snapshot_stride *= 2  # kept ordinals are multiples of the old one
            for buf in (self._snapshot_step, *self._params.values()):
                buf.halve()

    def add_epoch(
        self, loss: float, accuracy: float = np.nan, val_loss: float = np.nan
    ) -> None:
        """Close an epoch: its mean loss, accuracy and validation loss."""
        self._epoch_loss.append(loss)
        self._epoch_accuracy.append(accuracy)
        self._epoch_val_loss.append(val_loss)
        self._epoch_end_step.append(self._n_seen)

    def set_final(self, params: dict[str, Array]) -> None:
        self.final_params = {key: p.copy() for key, p in params.items()}

    # -- reading --------------------------------------------------------------
    step_loss = _step("step_loss", "(S,) batch loss J.")
    step_lr = _step("step_lr", "(S,) learning rate.")
    grad_norm = _step("grad_norm", "(S,) ‖dJ/dθ‖₂.")
    step_batch_size = _step("step_batch_size", "(S,) m.")
    step_n_correct = _step("step_n_correct", "(S,) hits.")
    step_index = _step("step_index", "(S,) global step of each kept record.")
    snapshot_step = property(lambda self: self._snapshot_step.data, doc="(M,) steps.")
    epoch_loss = property(lambda self: self._epoch_loss.data, doc="(E,) mean loss.")
    epoch_accuracy = property(lambda self: self._epoch_accuracy.data, doc="(E,) acc.")
    epoch_val_loss = property(lambda self: self._epoch_val_loss.data, doc="(E,) val J.")
    epoch_end_step = property(lambda self: self._epoch_end_step.data, doc="(E,) steps.")

    @property
    def params(self) -> dict[str, NDArray[np.number]]:
        return {key: buf.data for key, buf in self._params.items()}

    @property
    def accumulated_accuracy(self) -> NDArray[np.float64]:
        """Running share of correct predictions ``Σ n_correct / Σ n_seen``."""
        correct, seen = self._steps["step_cum_correct"], self._steps["step_cum_seen"]
        acc = np.asarray(correct.data / seen.data, dtype=np.float64)
        acc[np.isnan(self.step_n_correct)] = np.nan
        return acc

    @property
    def n_steps(self) -> int:
        return self._n_seen

    @property
    def n_epochs(self) -> int:
        return self._epoch_loss.n

    # -- export ---------------------------------------------------------------
    _ARRAYS = (*_STEP_KEYS, "snapshot_step", "epoch_loss", "epoch_accuracy",
               "epoch_val_loss", "epoch_end_step")  # fmt: skip
    _COUNTS = ("step_stride", "snapshot_stride", "_n_seen", "_n_snapshots_seen",
               "_correct_total", "_seen_total")  # fmt: skip

    def to_dict(self) -> dict[str, NDArray[np.number]]:
        """Flat dict of arrays; parameters as ``params/<name>``, ``final/<name>``."""
        out: dict[str, NDArray[np.number]] = {}
        for key in self._ARRAYS:
            buf = self._steps.get(key) or getattr(self, f"_{key}")
            out[key] = buf.data.copy()
        out["accumulated_accuracy"] = self.accumulated_accuracy
        for key, value in self.params.items():
            out[f"params/{key}"] = value.copy()
        for key, value in self.final_params.items():
            out[f"final/{key}"] = value.copy()
        for key in ("snapshot_every", "grad_norm_every", "max_steps", "max_snapshots"):
            out[key] = np.array(getattr(self, key) or 0)
        for key in self._COUNTS:
            out[f"count/{key.lstrip('_')}"] = np.array(getattr(self, key))
        return out

    @classmethod
    def from_dict(
        cls, d: Mapping[str, NDArray[np.number]], *, copy: bool = True
    ) -> History:
        """Rebuild a History from ``to_dict()`` output (older files too);
        ``copy=False``: the History holds the arrays of ``d`` themselves (a model
        file's loader, whose arrays nothing else holds: read once, never copied)."""

        def setting(key: str, default: int | None) -> int | None:
            return int(d[key]) or None if key in d else default

        h = cls(
            setting("snapshot_every", None),
            setting("grad_norm_every", None),
            max_steps=setting("max_steps", 1_000_000),
            max_snapshots=setting("max_snapshots", 10_000),
        )
        if "step_index" not in d:  # written before decimation existed
            hits, m = np.asarray(d["step_n_correct"]), np.asarray(d["step_batch_size"])
            d = {
                **d,
                "step_index": np.arange(len(m)),
                "step_cum_correct": np.cumsum(np.nan_to_num(hits)),
                "step_cum_seen": np.cumsum(m),
                "count/n_seen": np.asarray(len(m)),
                "count/n_snapshots_seen": np.asarray(len(d["snapshot_step"])),
                "count/correct_total": np.asarray(np.nansum(hits)),
                "count/seen_total": np.asarray(m.sum()),
            }
        for key in cls._ARRAYS:
            buf = h._steps.get(key) or getattr(h, f"_{key}")
            (buf.extend if copy else buf.adopt)(d[key])
        for key in cls._COUNTS:
            value = d.get(f"count/{key.lstrip('_')}", getattr(h, key))
            setattr(h, key, type(getattr(h, key))(value))
        for key, value in d.items():
            if key.startswith("params/"):
                value = np.asarray(value)
                buf = h._params[key[7:]] = _Buffer(value.shape[1:], value.dtype)
                (buf.extend if copy else buf.adopt)(value)
            elif key.startswith("final/"):
                h.final_params[key[6:]] = np.asarray(value)
        return h

    def save_npz(self, path: str | os.PathLike[str]) -> None:
        """Write every array to one ``.npz`` file (no pickles)."""
        np.savez(path, **self.to_dict())  # type: ignore[arg-type]  # numpy's stub: **kw

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str]) -> History:
        with np.load(path, allow_pickle=False) as data:
            return cls.from_dict({key: data[key] for key in data.files})

    def __repr__(self) -> str:
        return (
            f"History(steps={self.n_steps}, epochs={self.n_epochs}, "
            f"snapshots={self._snapshot_step.n}, snapshot_every={self.snapshot_every})"
        )
