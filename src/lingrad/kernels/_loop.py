"""A run of training steps of a single-layer chain in one compiled call (numba).

``run_batches`` is the Trainer's step loop for ``z = x·W + b``: for each
batch of the epoch's row order, ``z``, the loss's fused ``dJ_dz`` (scaled by
the sample weights and 1/m), ``dJ_dW = xᵀ·dJ_dz``, the penalty, the update,
and the History's records (loss, accuracy, gradient norm, snapshots), into
preallocated arrays. It stops after the first step whose J is not finite,
having saved the parameters from before that update (``last``), as the node
path does.
"""

from __future__ import annotations

import math

import numpy as np

from lingrad.kernels._jit import jit, jit_fast
from lingrad.kernels._prefetch import prefetch_row
from lingrad.kernels._rows import argmax, loss1, row_loss
from lingrad.kernels._update import copy_into, penalty_value, shrink_l1, update
from lingrad.kernels.plan import (
    F_BETA,
    F_BETA1,
    F_BETA2,
    F_EPS,
    F_HIGH,
    F_L1,
    F_PG_ALPHA,
    F_PG_RATIO,
    F_PV_ALPHA,
    F_PV_RATIO,
    F_THRESHOLD,
    H_NONE,
    H_THRESHOLD,
    I_HALF,
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
    I_SNAP_EVERY,
    O_ADAM,
    O_GD,
    P_NONE,
)


@jit_fast
def _forward_row(X, i, W, b, has_b, z):  # type: ignore[no-untyped-def]
    """z = x·W + b for row i of X."""
    D, K = W.shape
    if K == 1:
        acc = 0.0
        for d in range(D):
            acc += X[i, d] * W[d, 0]
        z[0] = acc
    else:
        for k in range(K):
            z[k] = 0.0
        for d in range(D):
            xd = X[i, d]
            for k in range(K):
                z[k] += xd * W[d, k]
    if has_b:
        for k in range(K):
            z[k] += b[k]


@jit
def _hit(kind, pred, Y, i, threshold, high, inclusive):  # type: ignore[no-untyped-def]
    """1.0 when the chain's output predicts row i's class (as CountCorrect)."""
    if kind == H_THRESHOLD:
        said = pred[0] >= threshold if inclusive else pred[0] > threshold
        return 1.0 if said == (Y[i, 0] == high) else 0.0
    best = 0
    for k in range(1, Y.shape[1]):
        if Y[i, k] > Y[i, best]:
            best = k
    return 1.0 if argmax(pred) == best else 0.0


@jit_fast
def run_batches(data, params, state, fstate, icfg, fcfg, lrs, t0, b0, rec):  # type: ignore[no-untyped-def]
    """Run batches b0 .. b0 + len(lrs) - 1 of the epoch; returns (steps, snapshots).

    data = (X (N, D), Y (N, K), s (N,) or (0,), order (N,) or (0,), ahead (N,)
    or (0,): the row to prefetch at each position of order);
    params = (W (D, K), b (K,)); state = (VW, Vb, MW, Mb, QW, lastW, lastb);
    fstate = [u (cumulative L1 shrink), Adam's step count];
    rec = (J, hits, norms, snapW, snapb, snap_t), J/hits/norms of len(lrs).
    """
    X, Y, s, order, ahead = data
    W, b = params
    VW, Vb, MW, Mb, QW, lastW, lastb = state
    J_rec, hit_rec, norm_rec, snapW, snapb, snap_t = rec
    N = X.shape[0]
    D, K = W.shape
    kind, half, has_b = icfg[I_LOSS], icfg[I_HALF], icfg[I_HAS_B]
    has_s, has_order, m = icfg[I_HAS_S], icfg[I_HAS_ORDER], icfg[I_M]
    hits, inclusive = icfg[I_HITS], icfg[I_INCLUSIVE]
    opt, pen_value, pen_grad = icfg[I_OPT], icfg[I_PEN_VALUE], icfg[I_PEN_GRAD]
    snap_every, norm_every = icfg[I_SNAP_EVERY], icfg[I_NORM_EVERY]
    beta, beta1, beta2, eps = fcfg[F_BETA], fcfg[F_BETA1], fcfg[F_BETA2], fcfg[F_EPS]
    threshold, high = fcfg[F_THRESHOLD], fcfg[F_HIGH]
    z = np.empty(K, W.dtype)
    pred = np.empty(K, W.dtype)
    d0 = np.empty(K, W.dtype)
    dp = np.ones(K, W.dtype)  # dpred_dz (1: no activation)
    dz = np.empty(K, W.dtype)
    G = np.empty((D, K), W.dtype)  # dJ_dW of the batch
    gb = np.empty(K, W.dtype)  # dJ_db
    Wf, Gf, bf = W.reshape(W.size), G.reshape(G.size), b.reshape(b.size)
    VWf, MWf, QWf = VW.reshape(VW.size), MW.reshape(MW.size), QW.reshape(QW.size)
    no_penalty = np.int64(P_NONE)  # biases are never penalised
    plain = opt == O_GD and pen_grad == P_NONE and pen_value == P_NONE
    plain = plain and not icfg[I_PROX]  # plain GD: per sample, one fused loop
    n_snap = 0
    for j in range(len(lrs)):
        t = t0 + j
        lr = lrs[j]
        start = (b0 + j) * m
        stop = min(start + m, N)
        if snap_every > 0 and t % snap_every == 0:  # parameters before the update
            copy_into(snapW[n_snap].reshape(W.size), Wf)
            copy_into(snapb[n_snap], bf)
            snap_t[n_snap] = t
            n_snap += 1
        inv = 1.0 / (stop - start) if icfg[I_MEAN] else 1.0  # the mean's 1/m
        single = stop - start == 1 and K == 1  # per sample: G = x dJ_dz, no sum
        if single and plain:  # the lectures' loop: update while x is in cache
            i = start
            if has_order:
                i = order[start]
                prefetch_row(X, ahead[start])
            acc = 0.0
            for d in range(D):  # z = x·w + b
                acc += X[i, d] * Wf[d]
            z0 = acc + bf[0] if has_b else acc
            J0, pred[0], d00, dp0 = loss1(kind, half, z0, Y[i, 0])
            scale = s[i] * inv if has_s else inv
            J = J0 * scale if has_s else J0 * inv
            g0 = d00 * scale * dp0  # dJ_dz
            J_rec[j] = J
            hit_rec[j] = 0.0
            if hits != H_NONE:
                hit_rec[j] = _hit(hits, pred, Y, i, threshold, high, inclusive)
            if not math.isfinite(J) or b0 + j == icfg[I_LAST_BATCH]:
                copy_into(lastW.reshape(lastW.size), Wf)  # before the update
                if has_b:
                    copy_into(lastb, bf)
            norm2 = 0.0
            for d in range(D):  # w := w - lr · x dJ_dz
                g = X[i, d] * g0
                norm2 += g * g
                Wf[d] = Wf[d] - g * lr
            if has_b:
                norm2 += g0 * g0
                bf[0] = bf[0] - g0 * lr
            if norm_every > 0 and t % norm_every == 0:
                norm_rec[j] = math.sqrt(norm2)
            if not math.isfinite(J):
                return j + 1, n_snap
            continue
        if not single:
            for q in range(D * K):
                Gf[q] = 0.0
            for k in range(K):
                gb[k] = 0.0
        J = 0.0
        n_hit = 0.0
        for r in range(start, stop):
            if has_order:
                i = order[r]
                prefetch_row(X, ahead[r])  # a row read soon (lingrad.training.shuffle)
            else:
                i = r
            if K == 1:  # one output: scalars only
                acc = 0.0
                for d in range(D):  # forward propagation z = x·w + b
                    acc += X[i, d] * Wf[d]
                z0 = acc + bf[0] if has_b else acc
                J0, pred[0], d00, dp0 = loss1(kind, half, z0, Y[i, 0])  # loss
                scale = s[i] * inv if has_s else inv
                J += J0 * scale if has_s else J0
                g0 = d00 * scale * dp0  # dJ_dz = dJ0_dpred · scale · dpred_dz
                if single:
                    gb[0] = g0
                    for d in range(D):  # dJ_dW = xᵀ dJ_dz
                        Gf[d] = X[i, d] * g0
                else:
                    gb[0] += g0  # dJ_db = Σ dJ_dz
                    for d in range(D):
                        Gf[d] += X[i, d] * g0
            else:
                _forward_row(X, i, W, b, has_b, z)  # forward propagation
                J0 = row_loss(kind, half, z, Y, i, pred, d0, dp)  # loss
                scale = s[i] * inv if has_s else inv
                J += J0 * scale if has_s else J0
                for k in range(K):  # dJ_dz = dJ0_dpred · scale · dpred_dz
                    dz[k] = d0[k] * scale * dp[k]
                    gb[k] += dz[k]  # dJ_db = Σ dJ_dz
                for d in range(D):  # dJ_dW = xᵀ dJ_dz
                    xd = X[i, d]
                    for k in range(K):
                        G[d, k] += xd * dz[k]
            if hits != H_NONE:
                n_hit += _hit(hits, pred, Y, i, threshold, high, inclusive)
        if not has_s:
            J = J * inv
        J += penalty_value(Wf, pen_value, fcfg[F_PV_ALPHA], fcfg[F_PV_RATIO])
        J_rec[j] = J
        hit_rec[j] = n_hit
        if not math.isfinite(J) or b0 + j == icfg[I_LAST_BATCH]:
            copy_into(lastW.reshape(lastW.size), Wf)  # the last finite parameters
            if has_b:
                copy_into(lastb, bf)
        if opt == O_ADAM:
            fstate[1] += 1.0
        t_adam = fstate[1]
        norm2 = update(
            Wf, Gf, lr, opt, beta, beta1, beta2, eps, t_adam, VWf, MWf,
            pen_grad, fcfg[F_PG_ALPHA], fcfg[F_PG_RATIO],
        )  # fmt: skip
        if has_b:
            norm2 += update(
                bf,
                gb,
                lr,
                opt,
                beta,
                beta1,
                beta2,
                eps,
                t_adam,
                Vb,
                Mb,
                no_penalty,
                0.0,
                0.0,
            )
        if icfg[I_PROX]:
            fstate[0] += lr * fcfg[F_L1]  # u += lr · l1
            shrink_l1(Wf, QWf, fstate[0])
        if norm_every > 0 and t % norm_every == 0:
            norm_rec[j] = math.sqrt(norm2)
        if not math.isfinite(J):
            return j + 1, n_snap
    return len(lrs), n_snap
