"""The update of one parameter array: penalty gradient, optimizer, L1 shrink (numba).

``update`` applies ``p := p - lr · (dJ_dp + alpha · dC_dp)`` in the form of
the chosen optimizer, calling the formulas of ``lingrad.training.optim`` (GD,
heavy-ball or Nesterov momentum, Adam) and ``lingrad.core.penalties`` on each
entry of a flat parameter array; ``shrink_l1`` is the proximal L1 step of
``lingrad.solvers.proximal``; ``penalty_value`` is ``alpha · Σ C(w)``.
"""

from __future__ import annotations

import numpy as np

from lingrad.core.nodes import Array
from lingrad.core.penalties import (
    elasticnet_C,
    elasticnet_dC_dw,
    l1_C,
    l1_dC_dw,
    l2_C,
    l2_dC_dw,
)
from lingrad.solvers.proximal import l1_shrink
from lingrad.training.compiled._jit import jit, jit_fast
from lingrad.training.compiled.plan import O_ADAM, O_GD, O_MOMENTUM, P_L1, P_L2, P_NONE
from lingrad.training.optim import (
    adam_m,
    adam_update,
    adam_v,
    gd_update,
    momentum_update,
    momentum_v,
    nesterov_update,
)


@jit_fast
def penalty_value(P: Array, penalty: int, alpha: float, l1_ratio: float) -> float:
    """``alpha · Σ C(w)`` over the weights P (0 without a penalty)."""
    if penalty == P_NONE:
        return 0.0
    total = 0.0
    if penalty == P_L1:
        for j in range(P.size):
            total += l1_C(P[j])
    elif penalty == P_L2:
        for j in range(P.size):
            total += l2_C(P[j])
    else:
        for j in range(P.size):
            total += elasticnet_C(P[j], l1_ratio)
    return alpha * total


@jit_fast
def update(
    P: Array,
    dJ_dP: Array,
    lr: float,
    opt: int,
    beta: float,
    beta1: float,
    beta2: float,
    eps: float,
    t: float,
    V: Array,
    M: Array,
    penalty: int | np.int64,
    alpha: float,
    l1_ratio: float,
) -> float:
    """P := the optimizer's update with g = dJ_dP + alpha · dC_dP; returns Σ g².

    V: velocity (momentum) or second moment (Adam); M: Adam's first moment;
    t: Adam's step count. One loop per optimizer, so that each vectorizes.
    """
    for j in range(P.size if penalty != P_NONE else 0):  # dJ_dP += alpha · dC_dP
        if penalty == P_L1:
            dC_dp = l1_dC_dw(P[j])
        elif penalty == P_L2:
            dC_dp = l2_dC_dw(P[j])
        else:
            dC_dp = elasticnet_dC_dw(P[j], l1_ratio)
        dJ_dP[j] = dJ_dP[j] + alpha * dC_dp
    norm2 = 0.0
    if opt == O_GD:
        for j in range(P.size):
            g = dJ_dP[j]
            norm2 += g * g
            P[j] = gd_update(P[j], g, lr)
    elif opt == O_ADAM:
        for j in range(P.size):
            g = dJ_dP[j]
            norm2 += g * g
            M[j] = adam_m(M[j], g, beta1)
            V[j] = adam_v(V[j], g, beta2)
            P[j] = adam_update(P[j], M[j], V[j], lr, t, beta1, beta2, eps)
    elif opt == O_MOMENTUM:
        for j in range(P.size):
            g = dJ_dP[j]
            norm2 += g * g
            V[j] = momentum_v(V[j], g, lr, beta)
            P[j] = momentum_update(P[j], V[j])
    else:  # Nesterov
        for j in range(P.size):
            g = dJ_dP[j]
            norm2 += g * g
            V[j] = momentum_v(V[j], g, lr, beta)
            P[j] = nesterov_update(P[j], V[j], g, lr, beta)
    return norm2


@jit
def shrink_l1(P: Array, Q: Array, u: float) -> None:
    """The cumulative L1 step on each weight; Q (the shrink each got) += Δw."""
    for j in range(P.size):
        before = P[j]
        P[j] = l1_shrink(before, u, Q[j])
        Q[j] += P[j] - before


@jit
def copy_into(dst: Array, src: Array) -> None:
    for j in range(src.size):
        dst[j] = src[j]


__all__ = ["copy_into", "penalty_value", "shrink_l1", "update"]
