"""A run of training steps on CSR rows in one compiled call (numba).

``run_batches_csr`` is ``run_batches`` (``_loop``) for a sparse X, with the
same skeleton and formulas (``loss1``, ``row_loss``, ``hit``, ``update``,
``penalty_value``, ``shrink_l1``): row i is its nonzeros ``x[p]`` at columns
``idx[p]``, p in ``indptr[i]:indptr[i+1]``, so the forward is
``z = Σ_p x[p]·W[idx[p]] + b`` and ``dJ_dW = Σ xᵀ dJ_dz`` is nonzero only at
the batch's touched features.

Cost of a step. Plain GD with no penalty or with L2 (the lectures' SGD;
scikit-learn's SGDClassifier) costs O(nnz of the batch): only touched
weights are visited, and L2's shrink of every weight,
``w := gd_update(w, alpha·dC_dw(w), lr) = decay·w``, is kept as a scale,
``W = a·V`` (``a := a·decay``; the touched weights updated by the very
formulas, ``V[q] := gd_update(w, g + alpha·dC_dw(w), lr) / a``). ``S = Σ C(V)``
is kept up to date, so the J record's ``alpha·Σ C(w) = alpha·C(a)·S`` and the
gradient norm need no pass over W. V is renormalised (``V := a·V``, a = 1,
O(D)) when a leaves [1e-9, 1e9], and written back as W when the run ends.
Every other optimizer or penalty (momentum, Nesterov, Adam: every velocity
moves every step; L1 and elastic net: the J record's Σ|w| after the lazy
shrinks has no O(nnz) form) runs the dense ``update`` on all D·K weights
after the sparse forward and gradient: O(nnz + D·K) a step.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.core.penalties import l2_C, l2_dC_dw
from lingrad.training.compiled._jit import Ints, jit, jit_fast, jit_inline
from lingrad.training.compiled._rows import hit, loss1, row_loss
from lingrad.training.compiled._update import penalty_value, shrink_l1, update
from lingrad.training.compiled.plan import (
    F_BETA,
    F_BETA1,
    F_BETA2,
    F_EPS,
    F_HIGH,
    F_L1,
    F_LOSS_ARG,
    F_PG_ALPHA,
    F_PG_RATIO,
    F_PV_ALPHA,
    F_PV_RATIO,
    F_THRESHOLD,
    H_NONE,
    I_ACT,
    I_HAS_B,
    I_HAS_ORDER,
    I_HAS_S,
    I_HITS,
    I_INCLUSIVE,
    I_LAST_BATCH,
    I_LOSS,
    I_M,
    I_MEAN,
    I_NORM_EVERY,
    I_OPT,
    I_PEN_GRAD,
    I_PEN_VALUE,
    I_PROX,
    I_ROW_LOSS,
    I_SNAP_EVERY,
    O_ADAM,
    O_GD,
    P_L2,
    P_NONE,
)
from lingrad.training.compiled.prefetch import prefetch_at
from lingrad.training.optim import gd_update

if TYPE_CHECKING:
    from lingrad.training.compiled._loop import Params, Record, State

SCALE_LOW, SCALE_HIGH = 1e-9, 1e9  # the range of the scale a of W = a·V
AHEAD = 4  # a shuffled order: the row whose nonzeros are fetched ahead


@jit_inline
def csr_z(x: Array, idx: Ints, p0: int, p1: int, V: Array, k: int, K: int) -> float:
    """Σ_p x[p]·V[idx[p], k] over a row's nonzeros p0..p1 (V flat (D·K,))."""
    acc = 0.0
    for p in range(p0, p1):
        acc += x[p] * V[idx[p] * K + k]
    return acc


@jit
def has_repeats(indptr: Ints, idx: Ints, D: int) -> bool:
    """True when a row names one column twice (the kernel wants them summed)."""
    seen = np.full(D, -1, np.int64)
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if seen[idx[p]] == i:
                return True
            seen[idx[p]] = i
    return False


@jit_inline
def prefetch_rows(
    x: Array, idx: Ints, indptr: Ints, order: Ints, r: int, N: int, K: int, V: Array
) -> None:
    """Ask for the weights of the row read next (position r + 1) and, in a
    shuffled order, for the nonzeros of the row AHEAD positions on."""
    if r + AHEAD < N and len(order):
        i = order[r + AHEAD]
        prefetch_at(idx, indptr[i])
        prefetch_at(x, indptr[i])
    if r + 1 < N:
        i = order[r + 1] if len(order) else r + 1
        for p in range(indptr[i], indptr[i + 1]):
            prefetch_at(V, idx[p] * K)


@jit_fast
def sum_C(V: Array) -> float:
    """S = Σ C(v) of L2 over V."""
    S = 0.0
    for q in range(V.size):
        S += l2_C(V[q])
    return S


@jit
def scale_into(dst: Array, V: Array, a: float) -> None:
    """dst := a·V (W from its scaled form)."""
    for q in range(V.size):
        dst[q] = a * V[q]


@jit_inline
def lazy_entry(
    V: Array,
    q: int,
    g: float,
    a: float,
    inv_a: float,
    lr: float,
    l2: bool,
    alpha: float,
) -> tuple[float, float, float]:
    """w = a·V[q] := gd_update(w, g + alpha·dC_dw(w), lr), stored as V[q] = w·inv_a.

    Returns (G², (alpha·dC_dw)², the change of C(V[q])), G the weight's gradient.
    """
    w = a * V[q]
    g_pen = alpha * l2_dC_dw(w) if l2 else 0.0
    G = g + g_pen
    v = gd_update(w, G, lr) * inv_a
    dS = l2_C(v) - l2_C(V[q])
    V[q] = v
    return G * G, g_pen * g_pen, dS


@jit
def run_batches_csr(
    data: tuple[Array, Ints, Ints, Array, Array, Ints],
    params: Params,
    state: State,
    fstate: NDArray[np.float64],
    icfg: NDArray[np.int64],
    fcfg: NDArray[np.float64],
    lrs: NDArray[np.float64],
    t0: int,
    b0: int,
    rec: Record,
) -> tuple[int, int]:
    """Run batches b0 .. b0 + len(lrs) - 1 of the epoch; returns (steps, snapshots).

    data = (x (nnz,), idx (nnz,), indptr (N + 1,), Y (N, K), s (N,) or (0,),
    order (N,) or (0,)); params, state, fstate, rec as ``run_batches``.
    """
    x, idx, indptr, Y, s, order = data
    W2, b = params
    VW, Vb, MW, Mb, QW, lastW, lastb = state
    J_rec, hit_rec, norm_rec, snapW, snapb, snap_t = rec
    N = len(indptr) - 1
    D, K = W2.shape
    loss, row, act, has_b = icfg[I_LOSS], icfg[I_ROW_LOSS], icfg[I_ACT], icfg[I_HAS_B]
    arg = fcfg[F_LOSS_ARG]  # the loss's constant (Huber's epsilon)
    has_s, has_order, m = icfg[I_HAS_S], icfg[I_HAS_ORDER], icfg[I_M]
    hits, inclusive = icfg[I_HITS], icfg[I_INCLUSIVE]
    opt, pen_value, penalty = icfg[I_OPT], icfg[I_PEN_VALUE], icfg[I_PEN_GRAD]
    snap_every, norm_every = icfg[I_SNAP_EVERY], icfg[I_NORM_EVERY]
    beta, beta1, beta2, eps = fcfg[F_BETA], fcfg[F_BETA1], fcfg[F_BETA2], fcfg[F_EPS]
    threshold, high = fcfg[F_THRESHOLD], fcfg[F_HIGH]
    alpha = fcfg[F_PG_ALPHA]
    no_penalty = np.int64(P_NONE)  # biases are never penalised
    lazy = opt == O_GD and not icfg[I_PROX] and pen_value == penalty
    lazy = lazy and (penalty == P_NONE or penalty == P_L2)  # O(nnz) a step
    l2 = lazy and penalty == P_L2  # W = a·V
    z = np.empty(K, W2.dtype)
    pred = np.empty(K, W2.dtype)
    dJ0_dpred_k = np.empty(K, W2.dtype)
    dpred_dz_k = np.ones(K, W2.dtype)  # 1: no activation
    dJ_dz_k = np.empty(K, W2.dtype)
    W, VWf, MWf, QWf = (
        W2.reshape(W2.size),  # lazy: holds V (W = a·V) until the run ends
        VW.reshape(VW.size),
        MW.reshape(MW.size),
        QW.reshape(QW.size),
    )
    dJ_dW = np.zeros(W.size, W2.dtype)  # of the batch; lazy: zero off the touched
    dJ_db = np.empty(K, W2.dtype)
    mark = np.full(D if lazy else 0, -1, np.int64)  # the step that last touched d
    touched = np.empty(D if lazy else 0, np.int64)  # the step's touched features
    a = 1.0
    S = sum_C(W) if l2 else 0.0  # Σ C(V)
    n_snap = 0
    done = len(lrs)
    for j in range(len(lrs)):
        t = t0 + j
        lr = lrs[j]
        start = (b0 + j) * m
        stop = min(start + m, N)
        if snap_every > 0 and t % snap_every == 0:  # parameters before the update
            scale_into(snapW[n_snap].reshape(W.size), W, a)
            for k in range(K):
                snapb[n_snap, k] = b[k]
            snap_t[n_snap] = t
            n_snap += 1
        inv = 1.0 / (stop - start) if icfg[I_MEAN] else 1.0  # the mean's 1/m
        single = stop - start == 1  # per sample: the update reads the row again
        if not lazy:
            for q in range(W.size):
                dJ_dW[q] = 0.0
        for k in range(K):
            dJ_db[k] = 0.0
        n_touched = 0
        J = 0.0
        n_hit = 0.0
        i = start
        for r in range(start, stop):
            i = order[r] if has_order else r
            prefetch_rows(x, idx, indptr, order, r, N, K, W)  # hide memory waits
            p0, p1 = indptr[i], indptr[i + 1]
            for k in range(K):  # forward propagation z = x·W + b
                zk = a * csr_z(x, idx, p0, p1, W, k, K)
                z[k] = zk + b[k] if has_b else zk
            scale = s[i] * inv if has_s else inv  # the sample weight and 1/m
            if K == 1:
                J0, pred[0], dJ0_dpred, dpred_dz = loss1(loss, act, arg, z[0], Y[i, 0])
                dJ_dz_k[0] = dJ0_dpred * scale * dpred_dz
            else:
                J0 = row_loss(
                    loss, row, act, arg, z, Y, i, pred, dJ0_dpred_k, dpred_dz_k
                )
                for k in range(K):
                    dJ_dz_k[k] = dJ0_dpred_k[k] * scale * dpred_dz_k[k]
            J += J0 * scale if has_s else J0
            if hits != H_NONE:
                n_hit += hit(hits, pred, Y, i, threshold, high, inclusive)
            for k in range(K):
                dJ_db[k] += dJ_dz_k[k]  # dJ_db = Σ dJ_dz
            if single and lazy:
                break
            for p in range(p0, p1):  # dJ_dW = Σ xᵀ dJ_dz, at the touched features
                d = idx[p]
                if lazy and mark[d] != j:
                    mark[d] = j
                    touched[n_touched] = d
                    n_touched += 1
                for k in range(K):
                    dJ_dW[d * K + k] += x[p] * dJ_dz_k[k]
        if not has_s:
            J = J * inv
        if l2:
            J += fcfg[F_PV_ALPHA] * l2_C(a) * S  # alpha·Σ C(a·v)
        elif not lazy:
            J += penalty_value(W, pen_value, fcfg[F_PV_ALPHA], fcfg[F_PV_RATIO])
        J_rec[j] = J
        hit_rec[j] = n_hit
        if not math.isfinite(J) or b0 + j == icfg[I_LAST_BATCH]:
            scale_into(lastW.reshape(lastW.size), W, a)  # the last finite parameters
            for k in range(K if has_b else 0):
                lastb[k] = b[k]
        decay = gd_update(1.0, alpha * l2_dC_dw(1.0), lr) if l2 else 1.0
        if l2 and (decay == 0.0 or not SCALE_LOW <= abs(a * decay) <= SCALE_HIGH):
            scale_into(W, W, a)  # renormalise: V := a·V, a = 1
            a = 1.0
            S = sum_C(W)
        if lazy and decay != 0.0:  # the touched weights; the others by the scale
            a_new = a * decay
            inv_a = 1.0 / a_new
            norm2 = 0.0
            pen2 = 0.0  # Σ (alpha·dC_dw)² over the touched weights
            dS = 0.0
            want_norm = norm_every > 0 and t % norm_every == 0  # else no ‖G‖ sums
            if single and K == 1:  # the lectures' loop: w -= lr·x·dJ_dz, x just read
                dJ_dz = dJ_dz_k[0]
                for p in range(indptr[i], indptr[i + 1]):
                    G2, P2, dC = lazy_entry(
                        W, idx[p], x[p] * dJ_dz, a, inv_a, lr, l2, alpha
                    )
                    dS += dC
                    if want_norm:
                        norm2 += G2
                        pen2 += P2
            elif single:
                for p in range(indptr[i], indptr[i + 1]):
                    for k in range(K):
                        G2, P2, dC = lazy_entry(
                            W, idx[p] * K + k, x[p] * dJ_dz_k[k], a, inv_a, lr, l2,
                            alpha,
                        )  # fmt: skip
                        norm2 += G2
                        pen2 += P2
                        dS += dC
            else:
                for n in range(n_touched):
                    for k in range(K):
                        q = touched[n] * K + k
                        g = dJ_dW[q]
                        dJ_dW[q] = 0.0
                        G2, P2, dC = lazy_entry(W, q, g, a, inv_a, lr, l2, alpha)
                        norm2 += G2
                        pen2 += P2
                        dS += dC
            if l2:  # + Σ (alpha·dC_dw(w))² over the untouched weights
                g_all = alpha * l2_dC_dw(a)
                norm2 += g_all * g_all * S - pen2
                S += dS
            a = a_new
        else:  # every weight: the dense kernel's update
            if lazy and single:  # decay 0 (lr·alpha·dC_dw(1) = 1): dJ_dW of row i
                for p in range(indptr[i], indptr[i + 1]):
                    for k in range(K):
                        dJ_dW[idx[p] * K + k] = x[p] * dJ_dz_k[k]
            if opt == O_ADAM:
                fstate[1] += 1.0
            norm2 = update(
                W, dJ_dW, lr, opt, beta, beta1, beta2, eps, fstate[1], VWf, MWf,
                penalty, alpha, fcfg[F_PG_RATIO],
            )  # fmt: skip
            if lazy:
                dJ_dW[:] = 0.0
                S = sum_C(W)
        if has_b and lazy:  # GD, unpenalised: the bias's own update
            for k in range(K):
                norm2 += dJ_db[k] * dJ_db[k]
                b[k] = gd_update(b[k], dJ_db[k], lr)
        elif has_b:
            norm2 += update(
                b, dJ_db, lr, opt, beta, beta1, beta2, eps, fstate[1], Vb, Mb,
                no_penalty, 0.0, 0.0,
            )  # fmt: skip
        if icfg[I_PROX]:
            fstate[0] += lr * fcfg[F_L1]  # u += lr · l1
            shrink_l1(W, QWf, fstate[0])
        if norm_every > 0 and t % norm_every == 0:
            norm_rec[j] = math.sqrt(norm2)
        if not math.isfinite(J):
            done = j + 1
            break
    if a != 1.0:
        scale_into(W, W, a)  # W = a·V
    return done, n_snap


__all__ = ["run_batches_csr"]
