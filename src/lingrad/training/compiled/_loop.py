"""A run of training steps of a single-layer chain in one compiled call (numba).

``run_batches`` is the Trainer's step loop for ``z = x·W + b``, a skeleton
around the formulas (``_rows``, ``_update``): for each batch of the epoch's
row order, the forward ``z``, the loss (``J0``, ``dJ0_dpred``, ``dpred_dz``),
``dJ_dz = dJ0_dpred · scale · dpred_dz`` (scale: the sample weight and 1/m),
``dJ_dW = Σ xᵀ dJ_dz``, the penalty, the update, and the History's records
(loss, accuracy, gradient norm, snapshots), into preallocated arrays. It
stops after the first step whose J is not finite, having saved the
parameters from before that update (``last``), as the node path does.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.training.compiled._jit import Ints, jit_fast, jit_inline
from lingrad.training.compiled._rows import hit, loss1, row_loss
from lingrad.training.compiled._update import (
    copy_into,
    penalty_value,
    shrink_l1,
    update,
)
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
    I_HAS_B,
    I_HAS_ORDER,
    I_HAS_S,
    I_HITS,
    I_INCLUSIVE,
    I_LAST_BATCH,
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
    P_NONE,
)
from lingrad.training.compiled.prefetch import prefetch_row
from lingrad.training.optim import gd_update

Params: TypeAlias = tuple[Array, Array]  # (W (D, K), b (K,))
State: TypeAlias = tuple[Array, Array, Array, Array, Array, Array, Array]
Record: TypeAlias = tuple[Array, Array, Array, Array, Array, Ints]


@jit_inline
def affine_z(X: Array, i: int, W: Array, b: Array, has_b: int, k: int, K: int) -> float:
    """z_k = x·W[:, k] + b_k for row i of X (W flat (D·K,), row-major)."""
    acc = 0.0
    for d in range(X.shape[1]):
        acc += X[i, d] * W[d * K + k]
    return acc + b[k] if has_b else acc


@jit_fast
def run_batches(
    data: tuple[Array, Array, Array, Ints, Ints],
    params: Params,
    state: State,
    fstate: NDArray[np.float64],
    icfg: NDArray[np.int64],
    fcfg: NDArray[np.float64],
    lrs: NDArray[np.float64],
    t0: int,
    b0: int,
    rec: Record,
    loss: int,
    act: int,
) -> tuple[int, int]:
    """Run batches b0 .. b0 + len(lrs) - 1 of the epoch; returns (steps, snapshots).

    data = (X (N, D), Y (N, K), s (N,) or (0,), order (N,) or (0,), ahead (N,)
    or (0,): the row to prefetch at each position of order);
    params = (W (D, K), b (K,)); state = (VW, Vb, MW, Mb, QW, lastW, lastb);
    fstate = [u (cumulative L1 shrink), Adam's step count];
    rec = (J, hits, norms, snapW, snapb, snap_t), J/hits/norms of len(lrs);
    loss, act: the loss form (its index in ``plan.FORMS``) and the activation,
    passed as ``Constant``: the kernel is compiled for each pair, the other
    forms' code pruned from it.
    """
    X, Y, s, order, ahead = data
    W2, b = params
    VW, Vb, MW, Mb, QW, lastW, lastb = state
    J_rec, hit_rec, norm_rec, snapW, snapb, snap_t = rec
    N = X.shape[0]
    D, K = W2.shape
    row, has_b = icfg[I_ROW_LOSS], icfg[I_HAS_B]
    arg = fcfg[F_LOSS_ARG]  # the loss's constant (Huber's epsilon)
    has_s, has_order, m = icfg[I_HAS_S], icfg[I_HAS_ORDER], icfg[I_M]
    hits, inclusive = icfg[I_HITS], icfg[I_INCLUSIVE]
    opt, pen_value, penalty = icfg[I_OPT], icfg[I_PEN_VALUE], icfg[I_PEN_GRAD]
    snap_every, norm_every = icfg[I_SNAP_EVERY], icfg[I_NORM_EVERY]
    beta, beta1, beta2, eps = fcfg[F_BETA], fcfg[F_BETA1], fcfg[F_BETA2], fcfg[F_EPS]
    threshold, high = fcfg[F_THRESHOLD], fcfg[F_HIGH]
    z = np.empty(K, W2.dtype)
    pred = np.empty(K, W2.dtype)
    dJ0_dpred_k = np.empty(K, W2.dtype)  # per output k (K > 1)
    dpred_dz_k = np.ones(K, W2.dtype)  # 1: no activation
    dJ_dz_k = np.empty(K, W2.dtype)
    dJ_dz = 0.0  # K = 1
    dJ_dW = np.empty(W2.size, W2.dtype)  # of the batch, flat like W
    dJ_db = np.empty(K, W2.dtype)
    W, VWf, MWf, QWf = (
        W2.reshape(W2.size),
        VW.reshape(VW.size),
        MW.reshape(MW.size),
        QW.reshape(QW.size),
    )
    no_penalty = np.int64(P_NONE)  # biases are never penalised
    plain = opt == O_GD and penalty == P_NONE and pen_value == P_NONE
    plain = plain and not icfg[I_PROX]  # plain GD: per sample, one fused loop
    n_snap = 0
    for j in range(len(lrs)):
        t = t0 + j
        lr = lrs[j]
        start = (b0 + j) * m
        stop = min(start + m, N)
        if snap_every > 0 and t % snap_every == 0:  # parameters before the update
            copy_into(snapW[n_snap].reshape(W.size), W)
            copy_into(snapb[n_snap], b)
            snap_t[n_snap] = t
            n_snap += 1
        inv = 1.0 / (stop - start) if icfg[I_MEAN] else 1.0  # the mean's 1/m
        single = stop - start == 1 and K == 1  # per sample: dJ_dW = x dJ_dz, no sum
        fused = single and plain  # the lectures' loop: update while x is in cache
        if not single:
            for q in range(D * K):
                dJ_dW[q] = 0.0
            for k in range(K):
                dJ_db[k] = 0.0
        J = 0.0
        n_hit = 0.0
        for r in range(start, stop):
            i = r
            if has_order:
                i = order[r]
                prefetch_row(X, ahead[r])  # a row read soon (lingrad.training.shuffle)
            scale = s[i] * inv if has_s else inv  # the sample weight and 1/m
            if K == 1:  # one output: scalars only
                z0 = affine_z(X, i, W, b, has_b, 0, 1)  # forward propagation
                J0, pred[0], dJ0_dpred, dpred_dz = loss1(loss, act, arg, z0, Y[i, 0])
                J += J0 * scale if has_s else J0
                dJ_dz = dJ0_dpred * scale * dpred_dz
                if hits != H_NONE:
                    n_hit += hit(hits, pred, Y, i, threshold, high, inclusive)
                if fused:
                    break
                if single:
                    dJ_db[0] = dJ_dz
                    for d in range(D):  # dJ_dW = xᵀ dJ_dz
                        dJ_dW[d] = X[i, d] * dJ_dz
                else:
                    dJ_db[0] += dJ_dz  # dJ_db = Σ dJ_dz
                    for d in range(D):  # dJ_dW = Σ xᵀ dJ_dz
                        dJ_dW[d] += X[i, d] * dJ_dz
                continue
            for k in range(K):
                z[k] = affine_z(X, i, W, b, has_b, k, K)
            J0 = row_loss(loss, row, act, arg, z, Y, i, pred, dJ0_dpred_k, dpred_dz_k)
            J += J0 * scale if has_s else J0
            for k in range(K):
                dJ_dz_k[k] = dJ0_dpred_k[k] * scale * dpred_dz_k[k]
                dJ_db[k] += dJ_dz_k[k]  # dJ_db = Σ dJ_dz
            for d in range(D):  # dJ_dW = Σ xᵀ dJ_dz
                xd = X[i, d]
                for k in range(K):
                    dJ_dW[d * K + k] += xd * dJ_dz_k[k]
            if hits != H_NONE:
                n_hit += hit(hits, pred, Y, i, threshold, high, inclusive)
        if not has_s:
            J = J * inv
        J += penalty_value(W, pen_value, fcfg[F_PV_ALPHA], fcfg[F_PV_RATIO])
        J_rec[j] = J
        hit_rec[j] = n_hit
        if not math.isfinite(J) or b0 + j == icfg[I_LAST_BATCH]:
            copy_into(lastW.reshape(lastW.size), W)  # the last finite parameters
            if has_b:
                copy_into(lastb, b)
        if fused:  # w := w - lr · x dJ_dz, reading x once
            norm2 = 0.0
            for d in range(D):
                g = X[i, d] * dJ_dz
                norm2 += g * g
                W[d] = gd_update(W[d], g, lr)
            if has_b:
                norm2 += dJ_dz * dJ_dz
                b[0] = gd_update(b[0], dJ_dz, lr)
        else:
            if opt == O_ADAM:
                fstate[1] += 1.0
            t_adam = fstate[1]
            norm2 = update(
                W, dJ_dW, lr, opt, beta, beta1, beta2, eps, t_adam, VWf, MWf,
                penalty, fcfg[F_PG_ALPHA], fcfg[F_PG_RATIO],
            )  # fmt: skip
            if has_b:
                norm2 += update(
                    b, dJ_db, lr, opt, beta, beta1, beta2, eps, t_adam, Vb, Mb,
                    no_penalty, 0.0, 0.0,
                )  # fmt: skip
        if icfg[I_PROX]:
            fstate[0] += lr * fcfg[F_L1]  # u += lr · l1
            shrink_l1(W, QWf, fstate[0])
        if norm_every > 0 and t % norm_every == 0:
            norm_rec[j] = math.sqrt(norm2)
        if not math.isfinite(J):
            return j + 1, n_snap
    return len(lrs), n_snap
