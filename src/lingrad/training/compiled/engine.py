"""The compiled engine: single-layer chains' steps through the fused kernels.

:class:`CompiledEngine` implements the engines' interface
(``lingrad.training.epoch.Engine``): the Trainer hands it runs of steps (rows,
rates, a record) and it runs them in one ``run_batches`` call, with the same
row order, rates and records the node path uses; a step whose J is not
finite ends the run, the parameters from before it kept in ``last``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from lingrad.core.nodes import Array, SparseRows
from lingrad.training.compiled._jit import Constant, Ints
from lingrad.training.compiled.plan import (
    I_ACT,
    I_HAS_ORDER,
    I_HAS_S,
    I_LAST_BATCH,
    I_LOSS,
    I_M,
    I_NORM_EVERY,
    I_OPT,
    I_SNAP_EVERY,
    O_GD,
    Plan,
)
from lingrad.training.optim import Adam, Momentum
from lingrad.training.shuffle import Order, Shuffle, lookahead

if TYPE_CHECKING:
    from lingrad.training.compiled._loop import State
    from lingrad.training.epoch import Data, Rows, Steps


S = TypeVar("S", bound=np.generic)


def kernel_data(W: Array, X: Array, y: Array, sw: Array | None) -> Data:
    """X C-contiguous, y as (N, K) and weights as (N,), all in W's dtype.

    All three are read-only views, so that writeable and read-only inputs
    (memory maps) share one compiled signature.
    """
    X = _read_only(np.ascontiguousarray(X, dtype=W.dtype))
    return X, *targets(W, len(X), y, sw)


def targets(W: Array, N: int, y: Array, sw: Array | None) -> tuple[Array, Array | None]:
    """y as (N, K) and the weights as (N,), read-only in W's dtype."""
    Y = np.asarray(y).reshape(N, W.shape[1])
    Y = _read_only(np.ascontiguousarray(Y, dtype=W.dtype))
    if sw is not None:
        sw = _read_only(np.ascontiguousarray(sw, dtype=W.dtype))
    return Y, sw


@dataclass(frozen=True)
class CSRRows:
    """A CSR X as the CSR kernel reads it (read-only): the values in W's dtype,
    int32 column indices (int64 past 2³¹ - 1 features) and int64 row pointers,
    so that every X of one W dtype shares one compiled signature."""

    data: Array
    indices: Ints
    indptr: Ints
    shape: tuple[int, int]


def csr_rows(W: Array, X: SparseRows) -> CSRRows:
    """X (a CSR matrix or array) as :class:`CSRRows`; repeated entries of a row
    are summed (in a copy: X is left as it is)."""
    from lingrad.training.compiled._loop_csr import has_repeats

    if not X.has_canonical_format and has_repeats(X.indptr, X.indices, X.shape[1]):
        X = X.copy()
        X.sum_duplicates()
    wide = X.shape[1] > np.iinfo(np.int32).max
    return CSRRows(
        _read_only(np.ascontiguousarray(X.data, dtype=W.dtype)),
        _read_only(np.ascontiguousarray(X.indices, np.int64 if wide else np.int32)),
        _read_only(np.ascontiguousarray(X.indptr, dtype=np.int64)),
        (int(X.shape[0]), int(X.shape[1])),
    )


def _read_only(a: NDArray[S]) -> NDArray[S]:
    view = a.view()
    view.flags.writeable = False
    return view


class CompiledEngine:
    """The fused kernels as an engine (``lingrad.training.epoch.Engine``).

    The optimizer's state (velocities, Adam's moments and step count, the L1
    shrink totals) is the optimizer objects' own public state, updated in
    place, so the two engines can take turns on one model.
    """

    def __init__(self, plan: Plan, params: dict[str, Array], shuffle: Shuffle) -> None:
        self.plan, self.params, self.shuffle = plan, params, shuffle
        self.keys = list(params)  # ["affine.W"] or ["affine.W", "affine.b"]
        self.last = {key: np.empty_like(p) for key, p in params.items()}
        self._ahead: tuple[Order | None, Ints] = (None, np.empty(0, np.int64))
        # the loss form and activation: the kernels are compiled for each pair
        self.form = Constant(plan.icfg[I_LOSS]), Constant(plan.icfg[I_ACT])

    def prepare(self, X: Array, Y: Array, sw: Array | None) -> Data:
        """The kernel's data; a sparse X as :class:`CSRRows` (for the CSR kernel)."""
        W = self.params[self.keys[0]]
        if not sp.issparse(X):
            return kernel_data(W, X, Y, sw)
        rows = csr_rows(W, X)
        return rows, *targets(W, rows.shape[0], Y, sw)  # type: ignore[return-value]

    def _state(self) -> State:
        """The optimizer's state arrays for W and b (created as the node path would)."""
        plan, keys, params = self.plan, self.keys, self.params
        W = params[keys[0]]
        empty2, empty1 = np.empty((0, 0), W.dtype), np.empty(0, W.dtype)
        opt, kind = plan.inner, plan.icfg[I_OPT]
        out = []
        for key, empty in zip(keys, (empty2, empty1), strict=False):
            p = params[key]
            if kind == O_GD:
                V = M = empty
            elif isinstance(opt, Adam):  # kind == O_ADAM
                V = opt.v.setdefault(key, np.zeros_like(p))
                M = opt.m.setdefault(key, np.zeros_like(p))
            else:
                assert isinstance(opt, Momentum)  # heavy-ball or Nesterov
                V, M = opt.v.setdefault(key, np.zeros_like(p)), empty
            out.append((V, M))
        if len(keys) == 1:
            out.append((empty1, empty1))
        Q = empty2
        if plan.prox is not None:
            Q = plan.prox.q.setdefault(keys[0], np.zeros_like(W))
        last = self.last
        lastb = last[keys[1]] if len(keys) == 2 else np.empty(0, W.dtype)
        (VW, MW), (Vb, Mb) = out
        return VW, Vb, MW, Mb, Q, last[keys[0]], lastb

    def _lookahead(self, order: Order | None, shuffle: Shuffle, row_bytes: int) -> Ints:
        """The row to prefetch at each position of ``order`` (one per epoch order)."""
        if order is None:
            return np.empty(0, np.int64)
        if self._ahead[0] is not order:  # one lookahead per epoch order
            ahead = lookahead(order, shuffle, row_bytes).astype(np.int64)
            self._ahead = (order, ahead)
        return self._ahead[1]

    def run(
        self, data: Data, rows: Rows, lrs: NDArray[np.float64], t0: int, rec: Steps
    ) -> int:
        """Run the steps with ``run_batches`` (``run_batches_csr`` for CSR rows)
        compiled for the plan's loss and activation, filling ``rec``."""
        X, Y, sw = data
        keys, params, plan = self.keys, self.params, self.plan
        W = params[keys[0]]
        b = params[keys[1]] if len(keys) == 2 else np.zeros(W.shape[1], W.dtype)
        n, m = len(lrs), rows.m
        if rows.start % m:
            raise ValueError("the compiled engine runs whole batches of an epoch")
        b0 = rows.start // m
        order = rows.order
        icfg = plan.icfg.copy()
        icfg[I_M] = m
        icfg[I_HAS_S], icfg[I_HAS_ORDER] = sw is not None, order is not None
        icfg[I_LAST_BATCH] = b0 + n - 1  # keep the parameters before the final step
        k_snap, k_norm = rec.snap_every or 0, rec.norm_every or 0
        icfg[I_SNAP_EVERY], icfg[I_NORM_EVERY] = k_snap, k_norm
        shuffle = self.shuffle
        s = _read_only(np.empty(0, W.dtype)) if sw is None else sw
        order_k = (
            np.empty(0, np.int64)
            if order is None
            else order.astype(np.int64, copy=False)
        )
        prox, inner = plan.prox, plan.inner
        adam = inner if isinstance(inner, Adam) else None
        fstate = np.array(
            [0.0 if prox is None else prox.u, float(adam.t if adam is not None else 0)]
        )
        hits = rec.hits if rec.hits is not None else np.empty(n)
        norms = rec.norms if rec.norms is not None else np.empty(n)
        n_snap = -(-(t0 + n) // k_snap) - -(-t0 // k_snap) if k_snap else 0
        snapW = np.empty((n_snap, *W.shape), W.dtype)
        snapb = np.empty((n_snap, *b.shape), W.dtype)
        snap_t = np.empty(n_snap, np.int64)
        out = (rec.J, hits, norms, snapW, snapb, snap_t)
        args = ((W, b), self._state(), fstate, icfg, plan.fcfg, lrs, t0, b0, out)
        if isinstance(X, CSRRows):  # imported (compiled) by sparse fits only
            from lingrad.training.compiled._loop_csr import run_batches_csr

            csr = (X.data, X.indices, X.indptr, Y, s, order_k)
            done, n_snap = run_batches_csr(csr, *args)
        else:
            from lingrad.training.compiled._loop import run_batches

            ahead = self._lookahead(order, shuffle, X[:1].nbytes)
            done, n_snap = run_batches((X, Y, s, order_k, ahead), *args, *self.form)
        rec.lr[:done] = lrs[:done]
        rec.S = done
        if prox is not None:
            prox.u = float(fstate[0])
        if adam is not None:
            adam.t = int(fstate[1])
        snaps = {keys[0]: snapW[:n_snap]}
        if len(keys) == 2:
            snaps[keys[1]] = snapb[:n_snap]
        if n_snap:
            rec.snapshots.append((snap_t[:n_snap], snaps))
        return int(done)
