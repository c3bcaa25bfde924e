"""``engine="auto"``: the kernels when they start at once, else the node path
until a background compile has cached them, then the kernels.

Both engines give the same steps (``tests/test_engine_identity.py``: 1e-12)
and keep the optimizer's state in the optimizer objects, so they may take
turns within a run: :class:`HandoverEngine` runs the node path a slice of
batches at a time (about ``SLICE_ROWS`` rows), asks after each slice whether
the background compile (:mod:`lingrad.training.compiled.warm`) has finished,
and hands the rest of the run to the kernels once it has. A fit shorter than
the compile never waits for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike, NDArray

from lingrad.core.nodes import Array
from lingrad.training.compiled import warm
from lingrad.training.compiled.engine import CompiledEngine
from lingrad.training.compiled.plan import I_ACT, I_LOSS, Plan

if TYPE_CHECKING:
    from lingrad.training.epoch import Data, Engine, NodeEngine, Rows, Steps
    from lingrad.training.shuffle import Shuffle

SLICE_ROWS = 1 << 13  # rows the node path runs between two looks at the compile


def auto_engine(
    plan: Plan, params: dict[str, Array], shuffle: Shuffle, nodes: NodeEngine
) -> tuple[Engine, str]:
    """(engine, name) for ``engine="auto"`` where a kernel exists: the kernels if
    they are ready (:func:`warm.ready`) or no background compile can start (they
    compile here), else the node path until that compile has finished."""
    compiled = CompiledEngine(plan, params, shuffle)
    dtype = next(iter(params.values())).dtype
    form = (int(plan.icfg[I_LOSS]), int(plan.icfg[I_ACT]))  # the kernel's constants
    if warm.ready(dtype, form) or not warm.start(dtype, form):
        return compiled, "compiled"
    return HandoverEngine(nodes, compiled, dtype, form), "nodes, then compiled"


class HandoverEngine:
    """The node path, then the kernels from the first slice after they are ready."""

    def __init__(
        self,
        nodes: NodeEngine,
        compiled: CompiledEngine,
        dtype: DTypeLike,
        form: warm.Form,
    ) -> None:
        self.nodes, self.compiled, self.dtype, self.form = nodes, compiled, dtype, form
        self.current: Engine = nodes  # the engine that ran the latest step
        self.last = nodes.last  # that engine's: the parameters before its final step
        self._inputs: tuple[Array, Array, Array | None] | None = None
        self._kernel_data: Data | None = None

    def prepare(self, X: Array, Y: Array, sw: Array | None) -> Data:
        self._inputs, self._kernel_data = (X, Y, sw), None
        return self.nodes.prepare(X, Y, sw)

    def run(
        self, data: Data, rows: Rows, lrs: NDArray[np.float64], t0: int, rec: Steps
    ) -> int:
        """The steps of ``lrs``: node slices while the compile runs, then kernels."""
        n, a = len(lrs), 0
        per_slice = max(SLICE_ROWS // max(rows.m, 1), 1)
        while (
            a < n
            and self.current is self.nodes
            and not warm.finished(self.dtype, self.form)
        ):
            b = min(a + per_slice, n)
            if self._slice(self.nodes, data, rows, lrs, t0, rec, a, b) < b - a:
                return rec.S  # a non-finite loss: the Trainer rolls back
            a = b
        if a < n:
            if self._kernel_data is None:
                assert self._inputs is not None, "prepare() comes before run()"
                self._kernel_data = self.compiled.prepare(*self._inputs)
            self._slice(self.compiled, self._kernel_data, rows, lrs, t0, rec, a, n)
        return rec.S

    def _slice(
        self,
        eng: Engine,
        data: Data,
        rows: Rows,
        lrs: NDArray[np.float64],
        t0: int,
        rec: Steps,
        a: int,
        b: int,
    ) -> int:
        """Steps a .. b-1 of the run through ``eng``, recorded into ``rec``."""
        self.current, self.last = eng, eng.last
        if a == 0 and b == len(lrs):
            return eng.run(data, rows, lrs, t0, rec)
        Steps, Rows = type(rec), type(rows)  # noqa: N806 (epoch's; no import cycle)
        sub = Steps(rec.m[a:b], rec.hits is not None, rec.norm_every, rec.snap_every)
        start = rows.start + int(rec.m[:a].sum())
        done = eng.run(data, Rows(rows.order, start, rows.m), lrs[a:b], t0 + a, sub)
        rec.J[a : a + done], rec.lr[a : a + done] = sub.J[:done], sub.lr[:done]
        if rec.hits is not None and sub.hits is not None:
            rec.hits[a : a + done] = sub.hits[:done]
        if rec.norms is not None and sub.norms is not None:
            rec.norms[a : a + done] = sub.norms[:done]
        rec.snapshots.extend(sub.snapshots)
        rec.S = a + done
        return done
