"""The base of the losses: ``J = (1/N) Σ J0`` (or ``Σ J0``) and dJ/dpred.

``forward(pred, y)`` stores the per-example values ``J0`` (N,) and returns the
reduced J; ``backward()`` returns dJ/dpred, shaped like ``pred``, with the 1/N
of the mean applied exactly once. Losses marked ``from_logits`` take ``z``
instead of the probability and return dJ/dz: the fused, stable form.

The losses themselves and their registry are in :mod:`lingrad.core.losses`;
here the :class:`Loss` they share, its :class:`Elementwise` formulas and the
softmax helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from lingrad.core.nodes import Array

Reduction = Literal["mean", "sum"]


def one_hot(labels: ArrayLike, n_classes: int, dtype: DTypeLike = np.float64) -> Array:
    """``Y[i, labels[i]] = 1``: integer labels (N,) to a one-hot matrix (N, K)."""
    labels = np.asarray(labels, dtype=np.intp)
    Y = np.zeros((len(labels), n_classes), dtype=dtype)
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def _shifted_exp(z: Array) -> tuple[Array, Array]:
    """``(exp(z - m), m)``, m the row max (0 where not finite): no overflow."""
    m = z.max(axis=1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    return np.exp(z - m), m


def logsumexp(z: Array) -> Array:
    """``log Σ_k exp(z_k)`` per row (N,), stable: ``m + log Σ exp(z - m)``.

    scipy's formula, without its array-API dispatch (10x faster on one row).
    """
    e, m = _shifted_exp(z)
    lse: Array = np.log(e.sum(axis=1)) + m[:, 0]
    return lse


def softmax(z: Array) -> Array:
    """``q = exp(z - m) / Σ exp(z - m)`` per row (N, K)."""
    e, _ = _shifted_exp(z)
    q: Array = e / e.sum(axis=1, keepdims=True)
    return q


@dataclass(frozen=True)
class Elementwise:
    """A loss's elementwise formulas ``J0(pred, y, *args)`` and ``dJ0_dpred`` (or
    the fused ``dJ0_dz``), marked ``@compilable``: NumPy on arrays, or compiled."""

    J0: Callable[..., Array]
    dJ0_dpred: Callable[..., Array]


class Loss:
    """Base: reduce per-example losses J0 to J and scale dJ0/dpred to dJ/dpred.

    An elementwise loss declares ``forms`` (every :class:`Elementwise` its
    instances use; the kernels compile these) and needs no ``_J0`` of its own:
    ``J0 = Σ_k form.J0(pred, y, *form_args())`` per row. A loss whose outputs
    interact (softmax, argmax) has no form and writes ``_J0``/``_dJ0_dpred``.
    """

    name: ClassVar[str] = "loss"
    formula: str = ""  # J0 as text, for explain
    gradient: str = ""  # dJ0/dpred as text
    forms: ClassVar[tuple[Elementwise, ...]] = ()

    def __init__(self, reduction: Reduction = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}.")
        self.reduction = reduction

    def forward(
        self, pred: Array, y: Array, sample_weight: Array | None = None
    ) -> float:
        y = np.asarray(y)
        if y.shape != pred.shape:
            y = y.reshape(pred.shape)
        self.pred, self.y = pred, y
        self.J0: Array = self._J0(pred, y)  # (N,)
        scale: float | Array = 1.0 / len(pred) if self.reduction == "mean" else 1.0
        if sample_weight is not None:
            scale = np.asarray(sample_weight, dtype=pred.dtype) * scale
        self._scale = scale
        if isinstance(scale, np.ndarray):
            return float(self.J0 @ scale)
        return float(self.J0.sum()) * float(scale)

    def backward(self) -> Array:
        scale = self._scale
        if isinstance(scale, np.ndarray):
            scale = scale[:, None]
        dJ_dpred: Array = self._dJ0_dpred(self.pred, self.y) * scale
        return dJ_dpred

    @property
    def form(self) -> Elementwise | None:
        """This loss's elementwise formulas (one of ``forms``); None: row-wise."""
        return self.forms[0] if self.forms else None

    def form_args(self) -> tuple[float, ...]:
        """The formulas' arguments after (pred, y): the loss's own constants."""
        return ()

    def _J0(self, pred: Array, y: Array) -> Array:
        form = self.form
        if form is None:
            raise NotImplementedError
        J0 = form.J0(pred, y, *self.form_args())
        J0_rows: Array = np.asarray(J0, dtype=pred.dtype).sum(axis=1)
        return J0_rows

    def _dJ0_dpred(self, pred: Array, y: Array) -> Array:
        form = self.form
        if form is None:
            raise NotImplementedError
        return np.asarray(form.dJ0_dpred(pred, y, *self.form_args()), dtype=pred.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"
