"""The compiled engine's driver: one epoch of a Trainer through ``run_batches``.

The Trainer decides the engine (``Trainer._plan``) and hands each epoch here
with the same row order, rates and preallocated records the node path uses;
the optimizer's state (velocities, Adam's moments and step count, the L1
shrink totals) lives in the same optimizer objects, so the two engines can
take turns on one model. Divergence is reported by the Trainer's own
``_diverge``, with the last finite parameters the kernel kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad.core.nodes import Array
from lingrad.training.compiled.plan import (
    I_HAS_ORDER,
    I_HAS_S,
    I_LAST_BATCH,
    I_M,
    I_NORM_EVERY,
    I_OPT,
    I_SNAP_EVERY,
    O_ADAM,
    O_GD,
    Plan,
)
from lingrad.training.shuffle import lookahead

if TYPE_CHECKING:
    from lingrad.training.epoch import EpochLoop, _Steps
    from lingrad.training.progress import TrainingProgress

SNAPSHOT_BYTES = 1 << 26  # snapshots held per kernel call, at most (64 MiB)


def kernel_data(
    chain: Any, X: Array, y: Array, sw: Array | None
) -> tuple[Array, Array, Array | None]:
    """X C-contiguous, y as (N, K) and weights as (N,), all in W's dtype.

    All three are read-only views, so that writeable and read-only inputs
    (memory maps) share one compiled signature.
    """
    W = chain.nodes[0].W
    X = _read_only(np.ascontiguousarray(X, dtype=W.dtype))
    Y = np.asarray(y).reshape(len(X), W.shape[1])
    Y = _read_only(np.ascontiguousarray(Y, dtype=W.dtype))
    if sw is not None:
        sw = _read_only(np.ascontiguousarray(sw, dtype=W.dtype))
    return X, Y, sw


def _read_only(a: Array) -> Array:
    view = a.view()
    view.flags.writeable = False
    return view


def _state(trainer: EpochLoop, plan: Plan, keys: list[str]) -> tuple[Any, ...]:
    """The optimizer's state arrays for W and b (created as the node path would)."""
    params = trainer._params
    W = params[keys[0]]
    empty2, empty1 = np.empty((0, 0), W.dtype), np.empty(0, W.dtype)
    opt, kind = plan.inner, plan.icfg[I_OPT]
    out = []
    for key, empty in zip(keys, (empty2, empty1), strict=False):
        p = params[key]
        if kind == O_GD:
            V = M = empty
        elif kind == O_ADAM:
            V = opt._v.setdefault(key, np.zeros_like(p))
            M = opt._m.setdefault(key, np.zeros_like(p))
        else:
            V, M = opt._v.setdefault(key, np.zeros_like(p)), empty
        out.append((V, M))
    if len(keys) == 1:
        out.append((empty1, empty1))
    Q = empty2
    if plan.prox is not None:
        Q = plan.prox._q.setdefault(keys[0], np.zeros_like(W))
    last = trainer._last
    lastb = last[keys[1]] if len(keys) == 2 else np.empty(0, W.dtype)
    (VW, MW), (Vb, Mb) = out
    return VW, Vb, MW, Mb, Q, last[keys[0]], lastb


def run_epoch(
    trainer: EpochLoop,
    plan: Plan,
    X: Array,
    Y: Array,
    sw: Array | None,
    rec: _Steps,
    lrs: Any,
    progress: TrainingProgress,
) -> None:
    """Run one epoch of ``trainer`` with the kernel, filling ``rec`` and the History."""
    from lingrad.training.compiled._loop import run_batches

    keys = list(trainer._params)  # ["affine.W"] or ["affine.W", "affine.b"]
    W = trainer._params[keys[0]]
    b = trainer._params[keys[1]] if len(keys) == 2 else np.zeros(W.shape[1], W.dtype)
    N, n = len(X), len(rec.m)
    row_bytes = X[:1].nbytes
    order = trainer.batcher.order(N, row_bytes)
    icfg = plan.icfg.copy()
    icfg[I_M] = trainer.batcher.size(N)
    icfg[I_HAS_S], icfg[I_HAS_ORDER] = sw is not None, order is not None
    icfg[I_LAST_BATCH] = n - 1
    history = trainer.history
    k_snap, k_norm = history.snapshot_every or 0, history.grad_norm_every or 0
    icfg[I_SNAP_EVERY], icfg[I_NORM_EVERY] = k_snap, k_norm
    data = (
        X,
        Y,
        _read_only(np.empty(0, W.dtype)) if sw is None else sw,
        np.empty(0, np.int64) if order is None else order.astype(np.int64, copy=False),
        np.empty(0, np.int64)
        if order is None
        else lookahead(order, trainer.batcher.shuffle, row_bytes).astype(np.int64),
    )
    state = _state(trainer, plan, keys)
    prox, inner = plan.prox, plan.inner
    fstate = np.array(
        [0.0 if prox is None else prox._u, float(getattr(inner, "_t", 0))]
    )
    hits = rec.hits if rec.hits is not None else np.empty(n)
    norms = rec.norms if rec.norms is not None else np.empty(n)
    chunk = n
    if k_snap:  # bound the snapshots held at once
        chunk = max(SNAPSHOT_BYTES // (W.nbytes + b.nbytes) * k_snap, 1)
    if progress.step_every:
        chunk = min(chunk, progress.step_every)
    j0 = 0
    while j0 < n:
        j1 = min(j0 + chunk, n)
        t0 = trainer.t
        n_snap = -(-(t0 + j1 - j0) // k_snap) - -(-t0 // k_snap) if k_snap else 0
        snapW = np.empty((n_snap, *W.shape), W.dtype)
        snapb = np.empty((n_snap, *b.shape), W.dtype)
        snap_t = np.empty(n_snap, np.int64)
        out = (rec.J[j0:j1], hits[j0:j1], norms[j0:j1], snapW, snapb, snap_t)
        done, n_snap = run_batches(
            data, (W, b), state, fstate, icfg, plan.fcfg, lrs[j0:j1], t0, j0, out
        )
        rec.lr[j0 : j0 + done] = lrs[j0 : j0 + done]
        rec.S = j0 + done
        trainer.t = t0 + done
        if prox is not None:
            prox._u = float(fstate[0])
        if hasattr(inner, "_t"):
            inner._t = int(fstate[1])
        snaps = {keys[0]: snapW[:n_snap]}
        if len(keys) == 2:
            snaps[keys[1]] = snapb[:n_snap]
        history.add_snapshots(snap_t[:n_snap], snaps)
        if done < j1 - j0:
            trainer._diverge(rec, f"the loss became {float(rec.J[rec.S - 1])}")
        if progress.step_every:
            progress.step(j1)
        j0 = j1
