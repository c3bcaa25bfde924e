"""One example through the loss: J0, pred, dJ0_dpred, dpred_dz (numba or Python).

``loss1`` runs a loss of ``lingrad.core.losses`` (and the activation node before
it) on one output z, by calling their formulas: it returns J0, pred (the
chain's output), dJ0_dpred (``dJ0_dz`` in the fused forms) and dpred_dz (the
activation's, 1 without one). ``row_loss`` does one row of K outputs, adding
the multi-class losses, whose outputs interact.
"""

from __future__ import annotations

import math

import numpy as np

from lingrad.core.losses import (
    bce_logits_dJ0_dz,
    bce_logits_J0,
    half_squared_error_dJ0_dpred,
    half_squared_error_J0,
    perceptron_dJ0_dz,
    perceptron_J0,
    squared_error_dJ0_dpred,
    squared_error_J0,
)
from lingrad.core.nodes import (
    bipolar_sigmoid,
    bipolar_sigmoid_dpred_dz,
    sigmoid,
    sigmoid_dpred_dz,
)
from lingrad.training.compiled._jit import jit, jit_fast
from lingrad.training.compiled.plan import (
    BCE,
    BIPOLAR_SQ,
    CROSS_ENTROPY,
    LINEAR,
    MULTI_PERCEPTRON,
    PERCEPTRON,
    SIGMOID_SQ,
)


@jit
def argmax(v):  # type: ignore[no-untyped-def]
    """Index of the largest entry; ties to the lowest index (as np.argmax)."""
    best = 0
    for k in range(1, len(v)):
        if v[k] > v[best]:
            best = k
    return best


@jit
def loss1(loss, half, z, y):  # type: ignore[no-untyped-def]
    """(J0, pred, dJ0_dpred, dpred_dz) of one output z with target y."""
    if loss == BCE:  # fused with the sigmoid: dJ0_dz
        return bce_logits_J0(z, y), z, bce_logits_dJ0_dz(z, y), 1.0
    if loss == PERCEPTRON:  # on z: dJ0_dz
        return perceptron_J0(z, y), z, perceptron_dJ0_dz(z, y), 1.0
    pred, dpred_dz = z, 1.0  # squared error after the activation, if any
    if loss == SIGMOID_SQ:
        pred = sigmoid(z)
        dpred_dz = sigmoid_dpred_dz(pred)
    elif loss == BIPOLAR_SQ:
        pred = bipolar_sigmoid(z)
        dpred_dz = bipolar_sigmoid_dpred_dz(pred)
    if half:
        J0 = half_squared_error_J0(pred, y)
        return J0, pred, half_squared_error_dJ0_dpred(pred, y), dpred_dz
    return squared_error_J0(pred, y), pred, squared_error_dJ0_dpred(pred, y), dpred_dz


@jit_fast
def row_loss(loss, half, z, Y, i, pred, dJ0_dpred, dpred_dz):  # type: ignore[no-untyped-def]
    """J0 of example i (targets Y[i]); fills pred, dJ0_dpred (or dJ0_dz), dpred_dz."""
    K = len(z)
    if loss != MULTI_PERCEPTRON and loss != CROSS_ENTROPY:
        J0 = 0.0
        for k in range(K):
            J0k, pred[k], dJ0_dpred[k], dpred_dz[k] = loss1(loss, half, z[k], Y[i, k])
            J0 += J0k
        return J0
    yz = 0.0
    for k in range(K):
        pred[k] = z[k]
        yz += Y[i, k] * z[k]
    top = z[argmax(z)]
    if loss == MULTI_PERCEPTRON:  # J0 = max z - z_y; d = onehot(argmax z) - y
        win = argmax(z)
        for k in range(K):
            dJ0_dpred[k] = (1.0 if k == win else 0.0) - Y[i, k]
        return top - yz
    total = 0.0  # CROSS_ENTROPY: J0 = logsumexp(z) - z_y; d = softmax(z) - y
    for k in range(K):
        dJ0_dpred[k] = np.exp(z[k] - top)
        total += dJ0_dpred[k]
    for k in range(K):
        dJ0_dpred[k] = dJ0_dpred[k] / total - Y[i, k]  # q - y
    return math.log(total) + top - yz


__all__ = ["LINEAR", "argmax", "loss1", "row_loss"]
