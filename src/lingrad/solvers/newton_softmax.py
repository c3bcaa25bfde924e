"""J, g and the multinomial Hessian of softmax regression, for :func:`newton`.

``H = (1/N) Σ_i s_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` (x̃ = [x, 1]; on many
rows the mean over every 16th row, see ``lingrad.solvers.newton``) plus
``2 l2 I`` on the weights; the step is taken orthogonal to the directions that
leave q unchanged (the same shift in every class's score).
"""

from __future__ import annotations

import numpy as np

from lingrad.core.chain import Chain
from lingrad.core.losses import CrossEntropy
from lingrad.core.nodes import Array
from lingrad.solvers.gram import symmetric
from lingrad.solvers.newton import AffineObjective, Hessian, _solve_pd
from lingrad.solvers.rows import Rows
from lingrad.solvers.sparse_hessian import (
    HessianOperator,
    newton_cg_step,
    softmax_product,
)
from lingrad.solvers.sums import softmax_hessian_sums


class SoftmaxObjective(AffineObjective):
    """J, g, H of the softmax chain for Newton; θ is (K, D1), row k = [w_k, b_k]."""

    hessian_sums = staticmethod(softmax_hessian_sums)

    def __init__(
        self, chain: Chain, rows: Rows, l2: float, dense_max: int | None = None
    ) -> None:
        super().__init__(chain, CrossEntropy(from_logits=True), rows, l2, dense_max)
        # Directions that leave q unchanged (the same step in every class):
        # the bias row always, the weight rows too when nothing penalises them.
        dims = list(range(self.D, self.D1)) if l2 > 0 else list(range(self.D1))
        self.flat = dims
        if self.operator:  # P v: the class mean of those entries (no (KD1)² P)
            return
        U = np.zeros((self.K * self.D1, len(dims)))
        for j, d in enumerate(dims):
            U[d :: self.D1, j] = 1.0 / np.sqrt(self.K)
        self.gauge = U @ U.T  # projector onto those directions

    def _hessian(self, H_sum: Array) -> Array:
        H = symmetric(H_sum) / self.n_kept  # the chunks' sums: upper triangle
        if self.l2 > 0:
            weights = np.tile(np.arange(self.D1) < self.D, self.K)
            H[np.diag_indices_from(H)] += 2 * self.l2 * weights
        return H

    def _operator(self) -> HessianOperator:
        W, b = self.node.W, self.node.b
        args = (self.stride, self.n_kept, self.l2)
        return HessianOperator(self.rows, softmax_product, W, b, *args, gauge=self.flat)

    def solve(self, H: Hessian, g: Array) -> Array:
        """Newton step ⟂ the flat directions: ``(H + P) d = -g`` (P g = 0, P d = 0)."""
        if self.operator:  # the operator adds P itself; CG's rounding can
            d = newton_cg_step(H, g).reshape(self.K, self.D1)  # drift along P:
            d[:, self.flat] -= d[:, self.flat].mean(axis=0)  # project it out
            return d.ravel()
        return _solve_pd(H + self.gauge, g)
