"""One example through the loss: pred, J0 and dJ0 (numba; plain Python too).

``row_loss`` renders each loss of ``lingrad.losses`` (and the activation node
before it) for one row z (K,): it fills ``pred`` (the chain's output), ``d``
(``dJ0_dz`` in the fused forms; ``dJ0_dpred`` after an activation, whose
``dpred_dz`` goes to ``dp``) and returns J0. Every formula is the node's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from lingrad.kernels.plan import (
    BCE,
    BIPOLAR_SQ,
    CROSS_ENTROPY,
    LINEAR,
    MULTI_PERCEPTRON,
    PERCEPTRON,
    SIGMOID_SQ,
)


@njit(cache=True)
def expit(z):  # type: ignore[no-untyped-def]
    """σ(z) = 1 / (1 + e^-z), as scipy.special.expit (0 for z → -∞)."""
    return 1.0 / (1.0 + np.exp(-z))


@njit(cache=True)
def argmax(v):  # type: ignore[no-untyped-def]
    """Index of the largest entry; ties to the lowest index (as np.argmax)."""
    best = 0
    for k in range(1, len(v)):
        if v[k] > v[best]:
            best = k
    return best


@njit(cache=True)
def row_loss(kind, half, z, y, pred, d, dp):  # type: ignore[no-untyped-def]
    """J0 of one example; fills pred, d (dJ0_dz, or dJ0_dpred) and dp (dpred_dz)."""
    K = len(z)
    J0 = 0.0
    if kind == LINEAR or kind == SIGMOID_SQ or kind == BIPOLAR_SQ:
        for k in range(K):  # J0 = Σ (y - pred)², ½ of it when half
            if kind == LINEAR:
                pred[k] = z[k]
            elif kind == SIGMOID_SQ:
                pred[k] = expit(z[k])
                dp[k] = pred[k] * (1.0 - pred[k])  # dpred_dz
            else:
                pred[k] = math.tanh(0.5 * z[k])
                dp[k] = 0.5 * (1.0 - pred[k] * pred[k])
            r = y[k] - pred[k]
            J0 += r * r
            d[k] = pred[k] - y[k] if half else -2.0 * (y[k] - pred[k])
        return 0.5 * J0 if half else J0
    if kind == BCE:
        for k in range(K):  # J0 = max(z, 0) - y z + log(1 + e^-|z|); d = σ(z) - y
            pred[k] = z[k]
            J0 += max(z[k], 0.0) - y[k] * z[k] + math.log1p(np.exp(-abs(z[k])))
            d[k] = expit(z[k]) - y[k]
        return J0
    if kind == PERCEPTRON:
        for k in range(K):  # J0 = (h - y) z, h = [z >= 0]; d = h - y
            pred[k] = z[k]
            h = 1.0 if z[k] >= 0.0 else 0.0
            J0 += (h - y[k]) * z[k]
            d[k] = h - y[k]
        return J0
    yz = 0.0
    for k in range(K):
        pred[k] = z[k]
        yz += y[k] * z[k]
    top = z[argmax(z)]
    if kind == MULTI_PERCEPTRON:  # J0 = max z - z_y; d = onehot(argmax z) - y
        win = argmax(z)
        for k in range(K):
            d[k] = (1.0 if k == win else 0.0) - y[k]
        return top - yz
    total = 0.0  # CROSS_ENTROPY: J0 = logsumexp(z) - z_y; d = softmax(z) - y
    for k in range(K):
        d[k] = np.exp(z[k] - top)
        total += d[k]
    for k in range(K):
        d[k] = d[k] / total - y[k]
    if kind == CROSS_ENTROPY:
        return math.log(total) + top - yz
    return np.nan
