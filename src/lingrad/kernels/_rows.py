"""One example through the loss: pred, J0 and dJ0 (numba; plain Python too).

``loss1`` renders each loss of ``lingrad.losses`` (and the activation node
before it) for one output z: it returns J0, pred (the chain's output), d
(``dJ0_dz`` in the fused forms; ``dJ0_dpred`` after an activation) and dp
(the activation's ``dpred_dz``, 1 without one). ``row_loss`` does one row of
K outputs, adding the multi-class losses, whose outputs interact.
Every formula is the node's.
"""

from __future__ import annotations

import math

import numpy as np

from lingrad.kernels._jit import jit, jit_fast
from lingrad.kernels.plan import (
    BCE,
    BIPOLAR_SQ,
    CROSS_ENTROPY,
    LINEAR,
    MULTI_PERCEPTRON,
    PERCEPTRON,
    SIGMOID_SQ,
)


@jit
def expit(z):  # type: ignore[no-untyped-def]
    """σ(z) = 1 / (1 + e^-z), as scipy.special.expit (0 for z → -∞)."""
    return 1.0 / (1.0 + np.exp(-z))


@jit
def argmax(v):  # type: ignore[no-untyped-def]
    """Index of the largest entry; ties to the lowest index (as np.argmax)."""
    best = 0
    for k in range(1, len(v)):
        if v[k] > v[best]:
            best = k
    return best


@jit
def loss1(kind, half, z, y):  # type: ignore[no-untyped-def]
    """(J0, pred, d, dp) of one output z with target y (an elementwise loss)."""
    if kind == BCE:  # J0 = max(z, 0) - y z + log(1 + e^-|z|); d = σ(z) - y
        J0 = max(z, 0.0) - y * z + math.log1p(np.exp(-abs(z)))
        return J0, z, expit(z) - y, 1.0
    if kind == PERCEPTRON:  # J0 = (h - y) z, h = [z >= 0]; d = h - y
        h = 1.0 if z >= 0.0 else 0.0
        return (h - y) * z, z, h - y, 1.0
    pred, dp = z, 1.0  # squared error J0 = (y - pred)², ½ of it when half
    if kind == SIGMOID_SQ:
        pred = expit(z)
        dp = pred * (1.0 - pred)  # dpred_dz
    elif kind == BIPOLAR_SQ:
        pred = math.tanh(0.5 * z)
        dp = 0.5 * (1.0 - pred * pred)
    r = y - pred
    if half:
        return 0.5 * (r * r), pred, pred - y, dp
    return r * r, pred, -2.0 * (y - pred), dp


@jit_fast
def row_loss(kind, half, z, Y, i, pred, d, dp):  # type: ignore[no-untyped-def]
    """J0 of example i (targets Y[i]); fills pred, d (dJ0_dz or dJ0_dpred), dp."""
    K = len(z)
    if kind != MULTI_PERCEPTRON and kind != CROSS_ENTROPY:
        J0 = 0.0
        for k in range(K):
            J0k, pred[k], d[k], dp[k] = loss1(kind, half, z[k], Y[i, k])
            J0 += J0k
        return J0
    yz = 0.0
    for k in range(K):
        pred[k] = z[k]
        yz += Y[i, k] * z[k]
    top = z[argmax(z)]
    if kind == MULTI_PERCEPTRON:  # J0 = max z - z_y; d = onehot(argmax z) - y
        win = argmax(z)
        for k in range(K):
            d[k] = (1.0 if k == win else 0.0) - Y[i, k]
        return top - yz
    total = 0.0  # CROSS_ENTROPY: J0 = logsumexp(z) - z_y; d = softmax(z) - y
    for k in range(K):
        d[k] = np.exp(z[k] - top)
        total += d[k]
    for k in range(K):
        d[k] = d[k] / total - Y[i, k]
    return math.log(total) + top - yz


__all__ = ["LINEAR", "argmax", "expit", "loss1", "row_loss"]
