"""One example through the loss: J0, pred, dJ0_dpred, dpred_dz (numba or Python).

``loss1`` runs the activation node before the loss (if any) and an elementwise
loss of ``lingrad.core.losses`` on one output z, by calling their formulas: it
returns J0, pred (the chain's output), dJ0_dpred (``dJ0_dz`` in the fused
forms) and dpred_dz (the activation's, 1 without one). Which loss is read from
the registry: ``loss_value`` is built from ``plan.FORMS``, one branch per form,
so a new loss class needs no kernel code. ``row_loss`` does one row of K
outputs, adding the multi-class losses, whose outputs interact.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

from lingrad.core.nodes import (
    Array,
    bipolar_sigmoid,
    bipolar_sigmoid_dpred_dz,
    sigmoid,
    sigmoid_dpred_dz,
)
from lingrad.training.compiled._jit import jit, jit_fast, jitable
from lingrad.training.compiled.plan import (
    A_BIPOLAR,
    A_SIGMOID,
    FORMS,
    H_THRESHOLD,
    R_MULTI_PERCEPTRON,
    R_NONE,
)

# (J0, dJ0_dpred) of the loss form k at (pred, y, its argument)
LossValue: TypeAlias = Callable[[int, float, float, float], tuple[float, float]]


@jitable
def _no_loss(kind: int, pred: float, y: float, arg: float) -> tuple[float, float]:
    """Past the last form (a stale kernel cache): NaN, so training stops."""
    return math.nan, math.nan


def _branch(
    kind: int,
    J0: Callable[..., Any],
    dJ0_dpred: Callable[..., Any],
    rest: LossValue,
) -> LossValue:
    """``loss_value`` with one more form: (J0, dJ0_dpred) when ``k == kind``.

    ``J0``, ``dJ0_dpred``: the form's ``@compilable`` formulas (``Any``: floats
    here, arrays in the node path)."""
    if len(inspect.signature(J0).parameters) == 2:  # (pred, y)

        def value(k: int, pred: float, y: float, arg: float) -> tuple[float, float]:
            if k == kind:
                return J0(pred, y), dJ0_dpred(pred, y)
            return rest(k, pred, y, arg)

    else:  # (pred, y, arg): a loss with a constant, as Huber's epsilon

        def value(k: int, pred: float, y: float, arg: float) -> tuple[float, float]:
            if k == kind:
                return J0(pred, y, arg), dJ0_dpred(pred, y, arg)
            return rest(k, pred, y, arg)

    return jitable(value)


loss_value: LossValue = _no_loss  # (J0, dJ0_dpred) of form k at (pred, y)
for _kind, _form in enumerate(FORMS):
    loss_value = _branch(_kind, _form.J0, _form.dJ0_dpred, loss_value)


@jit
def argmax(v: Array) -> int:
    """Index of the largest entry; ties to the lowest index (as np.argmax)."""
    best = 0
    for k in range(1, len(v)):
        if v[k] > v[best]:
            best = k
    return best


@jit
def loss1(
    loss: int, act: int, arg: float, z: float, y: float
) -> tuple[float, float, float, float]:
    """(J0, pred, dJ0_dpred, dpred_dz) of one output z with target y."""
    pred, dpred_dz = z, 1.0  # no activation: the loss reads z
    if act == A_SIGMOID:
        pred = sigmoid(z)
        dpred_dz = sigmoid_dpred_dz(pred)
    elif act == A_BIPOLAR:
        pred = bipolar_sigmoid(z)
        dpred_dz = bipolar_sigmoid_dpred_dz(pred)
    J0, dJ0_dpred = loss_value(loss, pred, y, arg)
    return J0, pred, dJ0_dpred, dpred_dz


@jit_fast
def row_loss(
    loss: int,
    row: int,
    act: int,
    arg: float,
    z: Array,
    Y: Array,
    i: int,
    pred: Array,
    dJ0_dpred: Array,
    dpred_dz: Array,
) -> float:
    """J0 of example i (targets Y[i]); fills pred, dJ0_dpred (or dJ0_dz), dpred_dz."""
    K = len(z)
    if row == R_NONE:
        J0 = 0.0
        for k in range(K):
            J0k, pred[k], dJ0_dpred[k], dpred_dz[k] = loss1(
                loss, act, arg, z[k], Y[i, k]
            )
            J0 += J0k
        return J0
    yz = 0.0
    for k in range(K):
        pred[k] = z[k]
        yz += Y[i, k] * z[k]
    top: float = z[argmax(z)]
    if row == R_MULTI_PERCEPTRON:  # J0 = max z - z_y; d = onehot(argmax z) - y
        win = argmax(z)
        for k in range(K):
            dJ0_dpred[k] = (1.0 if k == win else 0.0) - Y[i, k]
        return top - yz
    total = 0.0  # R_CROSS_ENTROPY: J0 = logsumexp(z) - z_y; d = softmax(z) - y
    for k in range(K):
        dJ0_dpred[k] = np.exp(z[k] - top)
        total += dJ0_dpred[k]
    for k in range(K):
        dJ0_dpred[k] = dJ0_dpred[k] / total - Y[i, k]  # q - y
    return math.log(total) + top - yz


@jit
def hit(
    kind: int,
    pred: Array,
    Y: Array,
    i: int,
    threshold: float,
    high: float,
    inclusive: int,
) -> float:
    """1.0 when the chain's output predicts row i's class (as CountCorrect)."""
    if kind == H_THRESHOLD:
        said = pred[0] >= threshold if inclusive else pred[0] > threshold
        return 1.0 if said == (Y[i, 0] == high) else 0.0
    best = 0
    for k in range(1, Y.shape[1]):
        if Y[i, k] > Y[i, best]:
            best = k
    return 1.0 if argmax(pred) == best else 0.0


__all__ = ["argmax", "hit", "loss1", "loss_value", "row_loss"]
