"""Losses ``J = (1/N) Σ J0`` (or ``Σ J0``) with their gradient dJ/dpred.

``forward(pred, y)`` stores the per-example values ``J0`` (N,) and returns the
reduced J; ``backward()`` returns dJ/dpred, shaped like ``pred``, with the 1/N
of the mean applied exactly once. Losses marked ``from_logits`` take ``z``
instead of the probability and return dJ/dz: the fused, stable form.

A loss is written once, in its class: its elementwise formulas (``forms``:
``J0`` and ``dJ0_dpred``, ``@compilable``), its ``formula``/``gradient`` text
(what ``explain`` prints) and its name in :data:`LOSSES`. The node path runs
the formulas on arrays; the compiled kernels dispatch on the position of a
loss's form in the registry (``lingrad.training.compiled.plan``). The base
class is in :mod:`lingrad.core.loss_base`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from lingrad.core.loss_base import Elementwise as Elementwise
from lingrad.core.loss_base import Loss as Loss
from lingrad.core.loss_base import Reduction as Reduction
from lingrad.core.loss_base import logsumexp as logsumexp
from lingrad.core.loss_base import one_hot as one_hot
from lingrad.core.loss_base import softmax as softmax
from lingrad.core.nodes import Array, Real, compilable, sigmoid


@compilable
def squared_error_J0(pred: Real, y: Real) -> Real:
    """``J0 = (y - pred)²`` per output."""
    r = y - pred
    return r * r


@compilable
def squared_error_dJ0_dpred(pred: Real, y: Real) -> Real:
    """``dJ0_dpred = -2 (y - pred)``."""
    return -2.0 * (y - pred)


@compilable
def half_squared_error_J0(pred: Real, y: Real) -> Real:
    """``J0 = ½ (pred - y)²`` per output (``SquaredError(half=True)``)."""
    r = y - pred
    return 0.5 * (r * r)


@compilable
def half_squared_error_dJ0_dpred(pred: Real, y: Real) -> Real:
    """``dJ0_dpred = pred - y``."""
    return pred - y


class SquaredError(Loss):
    """``J0 = (y - pred)²``, dJ0/dpred = -2 (y - pred); ``half``: ½ (pred - y)²."""

    name = "squared_error"
    forms = (
        Elementwise(squared_error_J0, squared_error_dJ0_dpred),
        Elementwise(half_squared_error_J0, half_squared_error_dJ0_dpred),
    )

    def __init__(self, half: bool = False, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.half = half
        self.formula = "J0 = 1/2 (pred - y)^2" if half else "J0 = (y - pred)^2"
        self.gradient = "dJ0_dpred = pred - y" if half else "dJ0_dpred = -2 (y - pred)"

    @property
    def form(self) -> Elementwise:
        return self.forms[1] if self.half else self.forms[0]


@compilable
def bce_J0(pred: Real, y: Real) -> Real:
    """``J0 = -[y log pred + (1 - y) log(1 - pred)]`` (pred clipped into (0, 1))."""
    return -(y * np.log(pred) + (1.0 - y) * np.log1p(-pred))


@compilable
def bce_dJ0_dpred(pred: Real, y: Real) -> Real:
    """``dJ0_dpred = (pred - y) / (pred (1 - pred))``."""
    return (pred - y) / (pred * (1.0 - pred))


@compilable
def bce_logits_J0(z: Real, y: Real) -> Real:
    """``J0 = -[y log σ(z) + (1 - y) log σ(-z)] = max(z, 0) - y z + log(1 + e^-|z|)``.

    One stable pass: no overflow for any z.
    """
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))


@compilable
def bce_logits_dJ0_dz(z: Real, y: Real) -> Real:
    """``dJ0_dz = σ(z) - y`` (fused: dJ0_dpred · dpred_dz), finite for any z."""
    return sigmoid(z) - y


@compilable
def huber_J0(pred: Real, y: Real, epsilon: float) -> Real:
    """``J0 = ½ r²`` for ``|r| ≤ ε``, else ``ε |r| - ½ ε²`` (r = y - pred).

    Written ``m (|r| - ½ m)`` with ``m = min(|r|, ε)``: one branch-free line.
    """
    a = np.abs(y - pred)
    m = np.minimum(a, epsilon)
    return m * (a - 0.5 * m)


@compilable
def huber_dJ0_dpred(pred: Real, y: Real, epsilon: float) -> Real:
    """``dJ0_dpred = clip(pred - y, -ε, ε)``: -r inside, ±ε outside."""
    return np.minimum(np.maximum(pred - y, -epsilon), epsilon)


class Huber(Loss):
    """``J0 = ½ r²`` for ``|r| ≤ ε``, else ``ε |r| - ½ ε²``, r = y - pred.

    Squared near the fit, absolute far from it: an outlier pulls with at most
    ε; dJ0/dpred = clip(pred - y, -ε, ε). scikit-learn's ``SGDRegressor``
    ``loss="huber"`` (without ``HuberRegressor``'s fitted scale σ).
    """

    name = "huber"
    gradient = "dJ0_dpred = clip(pred - y, -epsilon, epsilon)"
    forms = (Elementwise(huber_J0, huber_dJ0_dpred),)

    def __init__(self, epsilon: float = 1.35, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.epsilon = epsilon
        self.formula = (
            "J0 = 1/2 r^2 if |r| <= epsilon else epsilon |r| - 1/2 epsilon^2,  "
            f"r = y - pred, epsilon = {epsilon:g}"
        )

    def form_args(self) -> tuple[float, ...]:
        return (self.epsilon,)

    def __repr__(self) -> str:
        return f"Huber(epsilon={self.epsilon!r}, reduction={self.reduction!r})"


class BinaryCrossEntropy(Loss):
    """``J0 = -[y log ŷ + (1 - y) log(1 - ŷ)]``; dJ0/dŷ = (ŷ - y) / (ŷ (1 - ŷ)).

    With ``from_logits=True`` the input is z (ŷ = σ(z)) and the fused gradient
    dJ0/dz = ŷ - y is returned; it stays finite for any z.
    """

    name = "binary_cross_entropy"
    forms = (Elementwise(bce_logits_J0, bce_logits_dJ0_dz),)  # the fused form

    def __init__(
        self, from_logits: bool = False, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(reduction)
        self.from_logits = from_logits
        if from_logits:
            self.formula = "J0 = -[y log sigmoid(z) + (1 - y) log sigmoid(-z)]"
            self.gradient = "dJ0_dz = pred - y  (fused: dJ0_dpred * dpred_dz)"
        else:
            self.formula = "J0 = -[y log pred + (1 - y) log(1 - pred)]"
            self.gradient = "dJ0_dpred = (pred - y) / (pred (1 - pred))"

    @property
    def form(self) -> Elementwise | None:
        return self.forms[0] if self.from_logits else None

    def _clip(self, pred: Array) -> Array:
        eps = np.finfo(pred.dtype).eps
        return np.clip(pred, eps, 1.0 - eps)

    def _J0(self, pred: Array, y: Array) -> Array:
        if self.from_logits:
            J0: Array = bce_logits_J0(pred, y)
        else:
            J0 = bce_J0(self._clip(pred), y)
        return np.asarray(J0.sum(axis=1))

    def _dJ0_dpred(self, pred: Array, y: Array) -> Array:
        if self.from_logits:
            with np.errstate(over="ignore"):  # σ(-1e6) = 1 / inf = 0
                dJ0_dz: Array = bce_logits_dJ0_dz(pred, y)
                return dJ0_dz
        dJ0_dpred: Array = bce_dJ0_dpred(self._clip(pred), y)
        return dJ0_dpred


class CrossEntropy(Loss):
    """``J0 = -Σ_k y_k log q_k``; dJ0/dq = -y / q; fused with softmax: dJ0/dz = q - y.

    ``y`` is one-hot (N, K) (see :func:`one_hot`).
    """

    name = "cross_entropy"

    def __init__(
        self, from_logits: bool = False, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(reduction)
        self.from_logits = from_logits
        if from_logits:
            self.formula = "J0 = logsumexp(z) - sum_k y_k z_k"
            self.gradient = "dJ0_dz = q - y  (fused: softmax + cross-entropy)"
        else:
            self.formula = "J0 = -sum_k y_k log q_k"
            self.gradient = "dJ0_dq = -y / q"

    def _J0(self, pred: Array, y: Array) -> Array:
        if self.from_logits:
            J0: Array = logsumexp(pred) - np.einsum("nk,nk->n", y, pred)
            return J0
        q = np.maximum(pred, np.finfo(pred.dtype).tiny)
        J0 = -np.einsum("nk,nk->n", y, np.log(q))
        return J0

    def _dJ0_dpred(self, pred: Array, y: Array) -> Array:
        if self.from_logits:
            return softmax(pred) - y
        return -y / np.maximum(pred, np.finfo(pred.dtype).tiny)


@compilable
def perceptron_J0(z: Real, y: Real) -> Real:
    """``J0 = (h - y) z`` with ``h = [z ≥ 0]``: 0 when right, |z| when wrong."""
    h = (z >= 0.0) * 1.0
    return (h - y) * z


@compilable
def perceptron_dJ0_dz(z: Real, y: Real) -> Real:
    """``dJ0_dz = h - y``: gradient descent is the perceptron rule."""
    h = (z >= 0.0) * 1.0
    return h - y


class PerceptronCriterion(Loss):
    """``J0 = (h - y) z`` with h = [z ≥ 0]: Σ over misclassified of (1 - 2y) xᵀθ.

    Zero for correct examples and positive for wrong ones; dJ0/dz = h - y, so
    gradient descent is the perceptron rule w ← w + lr (y - h) x.
    """

    name = "perceptron"
    formula = "J0 = (h - y) z,  h = [z >= 0]"
    gradient = "dJ0_dz = h - y"
    forms = (Elementwise(perceptron_J0, perceptron_dJ0_dz),)


@compilable
def hinge_J0(z: Real, y: Real) -> Real:
    """``J0 = max(0, 1 - t z)`` with ``t = 2y - 1``: 0 once ``t z ≥ 1``."""
    t = 2.0 * y - 1.0
    return np.maximum(0.0, 1.0 - t * z)


@compilable
def hinge_dJ0_dz(z: Real, y: Real) -> Real:
    """``dJ0_dz = -t [t z ≤ 1]``: inside the margin, z is pushed towards t."""
    t = 2.0 * y - 1.0
    return -t * ((t * z <= 1.0) * 1.0)


class Hinge(Loss):
    """``J0 = max(0, 1 - t z)``, t = 2y - 1 in {-1, 1}: the linear SVM's loss on z.

    Zero beyond the margin ``t z ≥ 1``; dJ0/dz = -t inside it (at ``t z = 1``
    too, as scikit-learn's ``SGDClassifier(loss="hinge")``). With the L2
    penalty, gradient descent trains a linear support vector machine.
    """

    name = "hinge"
    formula = "J0 = max(0, 1 - t z),  t = 2 y - 1"
    gradient = "dJ0_dz = -t [t z <= 1]"
    forms = (Elementwise(hinge_J0, hinge_dJ0_dz),)


class MulticlassPerceptronCriterion(Loss):
    """``J0 = max_j s_j - s_y`` on scores s = xΘ; dJ0/ds = onehot(argmax s) - y."""

    name = "multiclass_perceptron"
    formula = "J0 = max_j s_j - s_y"
    gradient = "dJ0_ds = onehot(argmax_j s_j) - y"

    def _J0(self, pred: Array, y: Array) -> Array:
        J0: Array = pred.max(axis=1) - np.einsum("nk,nk->n", y, pred)
        return J0

    def _dJ0_dpred(self, pred: Array, y: Array) -> Array:
        winner = np.zeros_like(pred)
        winner[np.arange(len(pred)), pred.argmax(axis=1)] = 1.0
        return winner - y


# every loss by name; the kernels compile their forms in this order (a new one is
# appended, so that the others keep their kind numbers)
LOSSES: dict[str, type[Loss]] = {
    "squared_error": SquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
    "perceptron": PerceptronCriterion,
    "multiclass_perceptron": MulticlassPerceptronCriterion,
    "huber": Huber,
    "hinge": Hinge,
}


def make_loss(name: str, params: Mapping[str, Any], **fixed: Any) -> Loss:
    """``LOSSES[name]`` with each constructor argument that ``params`` names (an
    estimator's parameters: Huber's ``epsilon``) and ``fixed`` (``reduction``).

    ``Any``: ``params`` is scikit-learn's ``get_params()`` dict, untyped."""
    cls = LOSSES[name]
    names = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in params.items() if k in names}, **fixed)
