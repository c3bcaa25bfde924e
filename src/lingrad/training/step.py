"""One step of the lectures' loop: forward, loss, backward, penalty, update.

:class:`Step` is that step, bound once to a chain, loss, penalty and
optimizer; the Trainer's node engine, ``lingrad explain`` and the playground
all call it. :func:`penalty_value` (``Σ_W alpha·C(W)`` over the weights) and
:func:`objective` (``J = loss + Σ_W alpha·C(W)``) are the objective written once.
"""

from __future__ import annotations

import math

import numpy as np

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty, penalized
from lingrad.training.optim import Optimizer

__all__ = ["Step", "objective", "penalty_value"]


def penalty_value(penalty: Penalty | None, params: dict[str, Array]) -> float:
    """``Σ_W alpha·C(W)`` over the weight parameters (biases are never penalised)."""
    if penalty is None:
        return 0.0
    return float(sum(penalty.value(p) for k, p in params.items() if penalized(k)))


def objective(
    chain: Chain,
    loss: Loss,
    penalty: Penalty | None,
    X: Array,
    Y: Array,
    sample_weight: Array | None = None,
) -> float:
    """``J = loss(chain(X), Y) + Σ_W alpha·C(W)``: the objective training lowers."""
    J = float(loss.forward(chain.forward(X), Y, sample_weight=sample_weight))
    return J + penalty_value(penalty, chain.params)


class Step:
    """``step(Xb, yb, sb, lr) -> (J, pred)``: one step on a batch, J before the update.

    After the call ``chain.grads`` holds the gradient the update used
    (``dJ_dp``, plus ``alpha·dC_dW`` for the weights). ``last`` (a dict of
    arrays like ``chain.params``) receives the parameters from before the
    update when J is not finite, or always with ``keep=True``.
    """

    def __init__(
        self,
        chain: Chain,
        loss: Loss,
        penalty: Penalty | None,
        optimizer: Optimizer,
    ) -> None:
        self.chain, self.loss, self.penalty = chain, loss, penalty
        self.optimizer = optimizer
        self.params = chain.params  # the live arrays, looked up once
        self.grads = chain.grads  # filled in place by every backward
        self.weights = [k for k in self.params if penalized(k)] if penalty else []

    def __call__(
        self,
        Xb: Array,
        yb: Array,
        sb: Array | None,
        lr: float,
        last: dict[str, Array] | None = None,
        keep: bool = False,
    ) -> tuple[float, Array]:
        pred = self.chain.forward(Xb)  # forward propagation
        J = self.loss.forward(pred, yb, sample_weight=sb)  # loss
        self.chain.backward_params(self.loss.backward())  # backpropagation: dJ_dp
        return self.update(J, lr, last, keep), pred

    def update(
        self,
        J: float,
        lr: float,
        last: dict[str, Array] | None = None,
        keep: bool = False,
    ) -> float:
        """Penalty and update from ``J`` and the gradients in ``chain.grads``."""
        params, grads, penalty = self.params, self.grads, self.penalty
        for key in self.weights:  # J += alpha·C(W); dJ_dW += alpha·dC_dW
            assert penalty is not None  # weights is empty without one
            W = params[key]
            J += penalty.value(W)
            grads[key] += penalty.grad(W)
        if last is not None and (keep or not math.isfinite(J)):
            for key, p in params.items():
                np.copyto(last[key], p)
        self.optimizer.step(params, grads, lr)  # update: p := p - lr·dJ_dp
        return J

    def __repr__(self) -> str:
        parts = (self.chain, self.loss, self.penalty, self.optimizer)
        return f"Step({', '.join(map(repr, parts))})"
