"""Weight penalties ``alpha · Σ C(w)`` with their (sub)gradients ``alpha · dC_dw``.

Each penalty's complexity ``C(w)`` and ``dC_dw`` are elementwise formulas
(``l1_C``, ``l2_dC_dw``, ...) that the node path runs on W and the compiled
engine on each weight. Penalties apply to weights only; biases are not
penalised (``penalized``).
"""

from __future__ import annotations

import numpy as np

from lingrad.core.nodes import Array, Real, compilable


def penalized(param_name: str) -> bool:
    """True for weight parameters (``"affine.W"``), False for biases."""
    return param_name.rsplit(".", 1)[-1].upper() == "W"


class Penalty:
    """Base penalty: ``value(W)`` and ``grad(W)``."""

    name = "none"
    formula = "0"

    def __init__(self, alpha: float = 1e-4) -> None:
        self.alpha = float(alpha)

    def value(self, W: Array) -> float:
        raise NotImplementedError

    def grad(self, W: Array) -> Array:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha!r})"


@compilable
def l1_C(w: Real) -> Real:
    """``C(w) = |w|``."""
    return np.abs(w)


@compilable
def l1_dC_dw(w: Real) -> Real:
    """``dC_dw = sign(w)``, the subgradient taken as 0 at w = 0."""
    return np.sign(w)


class L1(Penalty):
    """``alpha · Σ|w|``; subgradient alpha · sign(w), taken as 0 at w = 0."""

    name = "l1"
    formula = "alpha * sum|w|"

    def value(self, W: Array) -> float:
        return self.alpha * float(l1_C(W).sum())

    def grad(self, W: Array) -> Array:
        dC_dW: Array = self.alpha * l1_dC_dw(W)
        return dC_dW


@compilable
def l2_C(w: Real) -> Real:
    """``C(w) = w²``."""
    return w * w


@compilable
def l2_dC_dw(w: Real) -> Real:
    """``dC_dw = 2 w``."""
    return 2.0 * w


class L2(Penalty):
    """``alpha · ‖w‖²``; gradient 2 · alpha · w (homework Problem 2)."""

    name = "l2"
    formula = "alpha * ||w||^2"

    def value(self, W: Array) -> float:
        return self.alpha * float(l2_C(W).sum())

    def grad(self, W: Array) -> Array:
        dC_dW: Array = self.alpha * l2_dC_dw(W)
        return dC_dW


@compilable
def elasticnet_C(w: Real, l1_ratio: float) -> Real:
    """``C(w) = ρ |w| + (1 - ρ) w²``."""
    return l1_ratio * np.abs(w) + (1.0 - l1_ratio) * (w * w)


@compilable
def elasticnet_dC_dw(w: Real, l1_ratio: float) -> Real:
    """``dC_dw = ρ sign(w) + 2 (1 - ρ) w``."""
    return l1_ratio * np.sign(w) + 2.0 * (1.0 - l1_ratio) * w


class ElasticNet(Penalty):
    """``alpha · (ρ‖w‖₁ + (1 - ρ)‖w‖²)``; gradient alpha · (ρ sign w + 2 (1 - ρ) w)."""

    name = "elasticnet"
    formula = "alpha * (l1_ratio * sum|w| + (1 - l1_ratio) * ||w||^2)"

    def __init__(self, alpha: float = 1e-4, l1_ratio: float = 0.15) -> None:
        super().__init__(alpha)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
        self.l1_ratio = float(l1_ratio)

    def value(self, W: Array) -> float:
        return self.alpha * float(elasticnet_C(W, self.l1_ratio).sum())

    def grad(self, W: Array) -> Array:
        dC_dW: Array = self.alpha * elasticnet_dC_dw(W, self.l1_ratio)
        return dC_dW

    def __repr__(self) -> str:
        return f"ElasticNet(alpha={self.alpha!r}, l1_ratio={self.l1_ratio!r})"


def make_penalty(
    name: str | None, alpha: float = 1e-4, l1_ratio: float = 0.15
) -> Penalty | None:
    """The penalty called ``name`` ("l1", "l2", "elasticnet"), or None for "none"."""
    if name is None or name == "none":
        return None
    if name == "l1":
        return L1(alpha)
    if name == "l2":
        return L2(alpha)
    if name == "elasticnet":
        return ElasticNet(alpha, l1_ratio)
    raise ValueError(
        f"penalty must be one of 'none', 'l1', 'l2', 'elasticnet'; got {name!r}."
    )
