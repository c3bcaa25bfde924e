"""Weight penalties ``λ·Complexity(W)`` with their (sub)gradients.

Penalties apply to weights only; biases are not penalised (``penalized``).
"""

from __future__ import annotations

import numpy as np

from lingrad.nodes import Array


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


class L1(Penalty):
    """``alpha · Σ|w|``; subgradient alpha · sign(w), taken as 0 at w = 0."""

    name = "l1"
    formula = "alpha * sum|w|"

    def value(self, W: Array) -> float:
        return self.alpha * float(np.abs(W).sum())

    def grad(self, W: Array) -> Array:
        return self.alpha * np.sign(W)


class L2(Penalty):
    """``alpha · ‖w‖²``; gradient 2 · alpha · w (homework Problem 2)."""

    name = "l2"
    formula = "alpha * ||w||^2"

    def value(self, W: Array) -> float:
        return self.alpha * float(np.vdot(W, W))

    def grad(self, W: Array) -> Array:
        return 2.0 * self.alpha * W


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
        r = self.l1_ratio
        return self.alpha * (
            r * float(np.abs(W).sum()) + (1 - r) * float(np.vdot(W, W))
        )

    def grad(self, W: Array) -> Array:
        r = self.l1_ratio
        return self.alpha * (r * np.sign(W) + 2.0 * (1 - r) * W)

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
