"""Engines: what runs a run of training steps, behind one narrow interface.

An engine is handed the data (``prepare`` once per fit), the rows of the run
(:class:`Rows`: an epoch's order, a start position and the batch size m), the
rate and global step of each step, and a :class:`Steps` record to fill; it
runs the steps, stops after the first whose J is not finite, and returns how
many it ran, keeping in ``last`` the parameters from before the run's final
step. It never sees the Trainer: the Trainer owns epochs, stopping,
divergence and rollback (``lingrad.training.train``).

:class:`NodeEngine` runs the chain node by node, one
:class:`~lingrad.training.step.Step` per batch (the specification);
``lingrad.training.compiled.engine`` the fused kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.training.history import History
from lingrad.training.optim import Batch
from lingrad.training.shuffle import Shuffle, row_bytes
from lingrad.training.step import Step

ENGINES = ("nodes", "auto", "compiled")
Data = tuple[Array, Array, Array | None]
NCorrect = Callable[[Array, Array], int] | None  # the History's counter (CountCorrect)
Rollback = tuple["Engine", dict[str, Array]]  # a run's engine and its start


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
class Rows:
    """The rows of a run: batches of ``m`` rows of ``order`` (None: data order)
    from position ``start`` on; the epoch's last batch stops at row N."""

    order: NDArray[np.intp] | None
    start: int
    m: int

    def sizes(self, N: int, n: int) -> NDArray[np.int64]:
        """The sizes of the next n batches."""
        return np.minimum(self.m, N - self.start - self.m * np.arange(n)).astype(
            np.int64
        )


class Steps:
    """The per-step records of a run (preallocated; the first S are filled).

    ``m`` (n,) the batch sizes, ``J``, ``lr``, ``hits`` (correct predictions,
    when counted), ``norms`` (‖dJ/dθ‖ every ``norm_every`` steps) and the
    parameter snapshots (every ``snap_every`` steps, before the update).
    """

    def __init__(
        self,
        m: NDArray[np.int64],
        hits: bool,
        norm_every: int | None,
        snap_every: int | None,
    ) -> None:
        n = len(m)
        self.m = np.asarray(m, dtype=np.int64)
        self.J, self.lr = np.empty(n), np.empty(n)
        self.hits = np.empty(n) if hits else None
        self.norms = np.full(n, np.nan) if norm_every is not None else None
        self.norm_every, self.snap_every = norm_every, snap_every
        self.snapshots: list[
            tuple[NDArray[np.int64], dict[str, Array]]
        ] = []  # (steps, arrays)
        self.S = 0

    def save(self, history: History) -> None:
        """Append the S steps run (and their snapshots) to ``history``; the
        snapshots move there (an epoch's records would hold them all)."""
        S = self.S
        for steps, arrays in self.snapshots:
            history.add_snapshots(steps, arrays)
        self.snapshots.clear()
        history.add_steps(
            self.J[:S],
            self.lr[:S],
            self.m[:S],
            None if self.hits is None else self.hits[:S],
            None if self.norms is None else self.norms[:S],
        )

    def sums(self) -> tuple[float, int, float]:
        """(Σ J_s m_s, Σ m_s, Σ hits_s) over the steps run."""
        S = self.S
        hits = 0.0 if self.hits is None else float(self.hits[:S].sum())
        m = self.m[:S]
        return float(np.dot(self.J[:S], m.astype(np.float64))), int(m.sum()), hits


class Engine(Protocol):
    """Runs steps; see the module docstring."""

    last: dict[str, Array]  # the parameters from before the run's final step

    def prepare(self, X: Array, Y: Array, sw: Array | None) -> Data: ...

    def run(
        self, data: Data, rows: Rows, lrs: NDArray[np.float64], t0: int, rec: Steps
    ) -> int: ...


def batches(
    data: Data, rows: Rows, sizes: NDArray[np.int64], chunk_bytes: int
) -> Iterator[Batch]:
    """The batches of ``sizes`` rows from ``rows.start`` on, in the epoch's order.

    Shuffled rows are gathered ``X[order[chunk]]`` about ``chunk_bytes`` at a
    time (whole batches), and batches are views into the gathered copy (a
    sparse X: CSR row slices of the gathered CSR rows).
    """
    X, Y, sw = data
    pos, order = rows.start, rows.order
    if order is None:
        for m in sizes:
            sb = None if sw is None else sw[pos : pos + m]
            yield X[pos : pos + m], Y[pos : pos + m], sb
            pos += m
        return
    per_chunk = max(chunk_bytes // row_bytes(X) // max(rows.m, 1), 1)
    for c in range(0, len(sizes), per_chunk):
        ms = sizes[c : c + per_chunk]
        idx = order[pos : pos + int(ms.sum())]
        Xc = X[idx] if sp.issparse(X) else np.take(X, idx, axis=0)  # copies
        Yc = np.take(Y, idx, axis=0)
        sc = None if sw is None else np.take(sw, idx)
        i = 0
        for m in ms:
            yield Xc[i : i + m], Yc[i : i + m], None if sc is None else sc[i : i + m]
            i += m
        pos += int(ms.sum())


class NodeEngine:
    """The node path: one :class:`Step` per batch (forward, loss, backward,
    penalty, update), recorded into the run's :class:`Steps`."""

    def __init__(
        self,
        step: Step,
        n_correct: Callable[[Array, Array], int] | None = None,
        chunk_bytes: int = 1 << 21,
    ) -> None:
        self.step, self.n_correct, self.chunk_bytes = step, n_correct, chunk_bytes
        self.last = {key: np.empty_like(p) for key, p in step.params.items()}

    def prepare(self, X: Array, Y: Array, sw: Array | None) -> Data:
        return X, Y, sw

    def one_step(
        self, Xb: Array, yb: Array, sb: Array | None, lr: float, keep: bool
    ) -> tuple[float, Array]:
        """One step (``Step``); ``keep``: save the parameters before its update."""
        return self.step(Xb, yb, sb, lr, self.last, keep)

    def run(
        self, data: Data, rows: Rows, lrs: NDArray[np.float64], t0: int, rec: Steps
    ) -> int:
        params, grads = self.step.params, self.step.grads
        k_snap, k_norm = rec.snap_every, rec.norm_every
        final, count = len(lrs) - 1, self.n_correct
        for i, (Xb, yb, sb) in enumerate(batches(data, rows, rec.m, self.chunk_bytes)):
            t, lr = t0 + i, float(lrs[i])
            if k_snap is not None and t % k_snap == 0:
                snap = {key: p[None].copy() for key, p in params.items()}
                rec.snapshots.append((np.array([t]), snap))
            J, pred = self.one_step(Xb, yb, sb, lr, i == final)
            rec.J[i], rec.lr[i], rec.S = J, lr, i + 1
            if rec.hits is not None:
                rec.hits[i] = count(pred, yb) if count is not None else np.nan
            if rec.norms is not None and k_norm is not None and t % k_norm == 0:
                rec.norms[i] = math.sqrt(sum(np.vdot(g, g) for g in grads.values()))
            if not math.isfinite(J):
                break
        return rec.S


def make_engine(
    engine: str | Engine,
    step: Step,
    n_correct: NCorrect,
    shuffle: Shuffle,
    python_only: str,
) -> tuple[Engine, str]:
    """(engine, its name) for a Trainer's ``engine`` setting: an Engine object
    as is; the kernels for "compiled" (ValueError without one) or "auto" where
    ``lingrad.training.compiled.plan`` has one and ``python_only`` (a reason
    the steps must run in Python) is empty; else the nodes."""
    if not isinstance(engine, str):
        return engine, type(engine).__name__
    plan = None
    if engine != "nodes":
        from lingrad.training.compiled.plan import plan_for

        args = (step.chain, step.loss, step.penalty, step.optimizer, n_correct)
        plan, why = plan_for(*args)
        if python_only:
            plan, why = None, python_only
        if plan is None and engine == "compiled":
            raise ValueError(f"engine='compiled': {why}; use engine='auto' or 'nodes'.")
    if plan is None:
        return NodeEngine(step, n_correct), "nodes"
    if engine == "auto":  # the kernels, or the nodes while they compile
        from lingrad.training.compiled.handover import auto_engine

        return auto_engine(plan, step.params, shuffle, NodeEngine(step, n_correct))
    from lingrad.training.compiled.engine import CompiledEngine

    return CompiledEngine(plan, step.params, shuffle), "compiled"
