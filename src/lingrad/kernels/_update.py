"""The update of one parameter array: penalty gradient, optimizer, L1 shrink (numba).

``update`` applies ``p := p - lr · (dJ_dp + dC_dp)`` in the form of the
chosen optimizer (``lingrad.optim``: GD, heavy-ball or Nesterov momentum,
Adam) to a flat parameter array, then the proximal L1 step of
``lingrad.solvers.proximal.ProximalL1``; ``penalty_value`` is ``C(W)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from lingrad.kernels.plan import (
    O_ADAM,
    O_GD,
    O_MOMENTUM,
    P_EN,
    P_L1,
    P_L2,
    P_NONE,
)


@njit(cache=True)
def sign(w):  # type: ignore[no-untyped-def]
    """np.sign: -1, 0 or 1 (NaN stays NaN)."""
    if w > 0.0:
        return 1.0
    if w < 0.0:
        return -1.0
    return w * 0.0


@njit(cache=True)
def penalty_value(P, kind, alpha, ratio):  # type: ignore[no-untyped-def]
    """alpha·Σ|w| (L1), alpha·Σw² (L2), alpha·(ρ Σ|w| + (1 - ρ) Σw²) (elastic net)."""
    if kind == P_NONE:
        return 0.0
    S1 = 0.0
    S2 = 0.0
    for j in range(P.size):
        S1 += abs(P[j])
        S2 += P[j] * P[j]
    if kind == P_L1:
        return alpha * S1
    if kind == P_L2:
        return alpha * S2
    return alpha * (ratio * S1 + (1.0 - ratio) * S2)


@njit(cache=True)
def penalty_grad(w, kind, alpha, ratio):  # type: ignore[no-untyped-def]
    """dC/dw: alpha·sign(w), 2·alpha·w, or alpha·(ρ sign(w) + 2 (1 - ρ) w)."""
    if kind == P_L1:
        return alpha * sign(w)
    if kind == P_L2:
        return 2.0 * alpha * w
    if kind == P_EN:
        return alpha * (ratio * sign(w) + 2.0 * (1.0 - ratio) * w)
    return 0.0


@njit(cache=True)
def update(  # type: ignore[no-untyped-def]
    P, G, lr, opt, beta, beta1, beta2, eps, t_adam, V, M, pen, alpha, ratio
):
    """p -= lr·g by the optimizer, g = G + dC/dp; returns Σ g² (for the grad norm).

    V: velocity (momentum) or second moment (Adam); M: Adam's first moment.
    """
    norm2 = 0.0
    if opt == O_ADAM:
        c1 = 1.0 - beta1**t_adam  # bias corrections
        c2 = 1.0 - beta2**t_adam
    for j in range(P.size):
        w = P[j]
        g = G[j]
        if pen != P_NONE:
            g = g + penalty_grad(w, pen, alpha, ratio)
        norm2 += g * g
        if opt == O_GD:
            w = w - g * lr
        elif opt == O_ADAM:
            M[j] = M[j] * beta1 + (1.0 - beta1) * g  # first moment
            V[j] = V[j] * beta2 + (1.0 - beta2) * (g * g)  # second moment
            w = w - lr * (M[j] / c1) / (math.sqrt(V[j] / c2) + eps)
        else:
            lr_g = g * lr
            V[j] = V[j] * beta - lr_g  # v := beta·v - lr·g
            w = w + (V[j] if opt == O_MOMENTUM else beta * V[j] - lr_g)
        P[j] = w
    return norm2


@njit(cache=True)
def shrink_l1(P, Q, u):  # type: ignore[no-untyped-def]
    """Tsuruoka's cumulative L1 step: pull w by u ± q, never across zero; q += Δw."""
    for j in range(P.size):
        before = P[j]
        w = before
        if before > 0.0:
            w = before - (u + Q[j])
            if not w > 0.0 and w == w:  # np.maximum(0, w) (NaN stays)
                w = 0.0
        elif before < 0.0:
            w = before + (u - Q[j])
            if not w < 0.0 and w == w:
                w = 0.0
        P[j] = w
        Q[j] += w - before


@njit(cache=True)
def copy_into(dst, src):  # type: ignore[no-untyped-def]
    for j in range(src.size):
        dst[j] = src[j]


__all__ = ["copy_into", "penalty_value", "shrink_l1", "update", "np"]
