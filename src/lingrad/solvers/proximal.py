"""L1 by a proximal step: ``W ← sign(W) max(|W| - lr · l1, 0)`` after each step.

:func:`split_l1` separates a penalty into its L1 strength and smooth part;
:func:`proximal_l1` hands the Trainer a penalty with only the smooth gradient
and a :class:`ProximalL1` optimizer that soft-thresholds the weights.
"""

from __future__ import annotations

import numpy as np

from lingrad.core.nodes import Array, compilable
from lingrad.core.penalties import L1, L2, ElasticNet, Penalty, penalized
from lingrad.training.optim import Optimizer, StateValue, make_optimizer


def split_l1(penalty: Penalty | None) -> tuple[float, Penalty | None]:
    """``penalty = l1 · ‖W‖₁ + smooth(W)``: returns (l1, smooth)."""
    if isinstance(penalty, L1):
        return penalty.alpha, None
    if isinstance(penalty, ElasticNet):
        ratio = penalty.l1_ratio
        smooth = L2(penalty.alpha * (1 - ratio)) if ratio < 1 else None
        return penalty.alpha * ratio, smooth
    return 0.0, penalty


@compilable
def l1_shrink(w: Array, u: float, q: Array) -> Array:
    """``w ← sign(w) max(|w| - (u ± q), 0)``: the cumulative L1 step of one weight.

    A positive weight is pulled down by ``u + q``, a negative one up by
    ``u - q`` (q: the shrink it already got, negative for negative weights),
    never across 0; 0 and NaN stay. The caller adds ``Δw`` to ``q``.
    """
    sign = np.sign(w)
    shrunk: Array = sign * np.maximum(0.0, np.abs(w) - (u + sign * q))
    return shrunk


class SmoothGradient(Penalty):
    """The full penalty's value, but only its smooth part's gradient."""

    def __init__(self, full: Penalty, smooth: Penalty | None) -> None:
        super().__init__(full.alpha)
        self.full, self.smooth = full, smooth
        self.name, self.formula = full.name, full.formula

    def value(self, W: Array) -> float:
        return self.full.value(W)

    def grad(self, W: Array) -> Array:
        return np.zeros_like(W) if self.smooth is None else self.smooth.grad(W)

    def __repr__(self) -> str:
        return f"{self.full!r} (L1 part by proximal step)"


class ProximalL1(Optimizer):
    """Gradient step, then an L1 shrink ``W ← sign(W) max(|W| - shrink, 0)`` to zero.

    A subgradient step ``lr · l1 · sign(W)`` overshoots zero and leaves every
    weight jittering around it, never exactly 0. Instead the smooth gradient
    step is followed by the proximal (soft-threshold) step of ``l1 ‖W‖₁``,
    with Tsuruoka, Tsujii & Ananiadou's (2009) cumulative penalty, as
    scikit-learn's SGD does: ``u = Σ_t lr_t · l1`` is the total shrink every
    weight should have had, ``q`` the shrink each weight actually got, and a
    weight is pulled by ``u ± q`` but never across zero. While no weight is
    clipped this is exactly the soft threshold ``lr · l1`` (ISTA: batch
    gradient descent converges to the lasso solution with its exact zeros);
    a clipped weight keeps its unused shrink, so per-sample noise cannot
    knock an irrelevant weight off zero. Exact for plain ``gd``; with
    momentum or Adam the shrink uses ``lr`` (the usual heuristic).
    """

    name = "proximal_l1"
    state = ("u", "q")

    def __init__(self, inner: Optimizer, l1: float) -> None:
        self.inner, self.l1 = inner, float(l1)
        self.u = 0.0  # Σ lr_t · l1: the shrink due so far
        self.q: dict[str, Array] = {}  # shrink applied so far, per weight

    def step(
        self, params: dict[str, Array], grads: dict[str, Array], lr: float
    ) -> None:
        self.inner.step(params, grads, lr)
        self.u += lr * self.l1
        u = self.u
        for key, W in params.items():
            if not penalized(key):
                continue
            q = self.q.setdefault(key, np.zeros_like(W))
            shrunk = l1_shrink(W, u, q).astype(W.dtype, copy=False)
            q += shrunk - W  # the shrink each weight got
            W[...] = shrunk

    def reset(self) -> None:
        self.inner.reset()
        self.u, self.q = 0.0, {}

    def state_dict(self) -> dict[str, StateValue]:
        """u, q and the inner optimizer's state (``"inner"``)."""
        return {**super().state_dict(), "inner": self.inner.state_dict()}

    def load_state_dict(self, state: object) -> None:
        if not isinstance(state, dict) or "inner" not in state:
            raise ValueError("ProximalL1's state holds the inner optimizer's")
        own = {k: v for k, v in state.items() if k != "inner"}
        super().load_state_dict(own)
        self.inner.load_state_dict(state["inner"])


def proximal_l1(
    penalty: Penalty | None, optimizer: str | Optimizer
) -> tuple[Penalty | None, str | Optimizer]:
    """(penalty, optimizer) for the Trainer: an L1 part moves into a proximal step.

    The returned penalty still reports the full value (J and History are the
    true objective) but only the smooth part's gradient; the optimizer
    soft-thresholds the weights after each step. Without an L1 part both
    come back unchanged.
    """
    l1, smooth = split_l1(penalty)
    if l1 <= 0 or penalty is None:
        return penalty, optimizer
    return SmoothGradient(penalty, smooth), ProximalL1(make_optimizer(optimizer), l1)
