"""J, g and the multinomial Hessian of softmax regression, for :func:`newton`.

``H = (1/N) Σ_i s_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` (x̃ = [x, 1]) plus
``2 l2 I`` on the weights; the step is taken orthogonal to the directions that
leave q unchanged (the same shift in every class's score).
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from lingrad.chain import Chain
from lingrad.losses import CrossEntropy
from lingrad.nodes import Array
from lingrad.solvers.newton import _AffineObjective, _solve_pd

_ROWS = 4096  # examples per chunk of the Hessian sum


class _NewtonSoftmax(_AffineObjective):
    """J, g, H of the softmax chain for Newton; θ is (K, D1), row k = [w_k, b_k]."""

    def __init__(
        self, chain: Chain, X: Array, Y: Array, s: Array | None, l2: float
    ) -> None:
        super().__init__(chain, CrossEntropy(from_logits=True), X, Y, s, l2)
        N, D = X.shape
        self.Xt = np.hstack([X, np.ones((N, 1))]) if self.fit_b else X  # x̃ (N, D1)
        # Directions that leave q unchanged (the same step in every class):
        # the bias row always, the weight rows too when nothing penalises them.
        rows = list(range(D, self.D1)) if l2 > 0 else list(range(self.D1))
        U = np.zeros((self.K * self.D1, len(rows)))
        for j, d in enumerate(rows):
            U[d :: self.D1, j] = 1.0 / np.sqrt(self.K)
        self.gauge = U @ U.T  # projector onto those directions

    def f_grad_hess(self, theta: Array) -> tuple[float, Array, Array]:
        J = self.f(theta)
        g = self.grad()  # our dJ/dW + 2 l2 W, dJ/db
        q = softmax(self.loss.pred, axis=1)  # (N, K)
        sq = self.s[:, None] * q / len(q)  # s_i q_ik / N
        Xt, D1, K = self.Xt, self.D1, self.K
        H = np.zeros((K * D1, K * D1))
        for i in range(0, len(Xt), _ROWS):  # rows in chunks: bounded memory
            x, sq_i, q_i = Xt[i : i + _ROWS], sq[i : i + _ROWS], q[i : i + _ROWS]
            A = (sq_i[:, :, None] * x[:, None, :]).reshape(len(x), K * D1)
            B = (q_i[:, :, None] * x[:, None, :]).reshape(len(x), K * D1)
            H -= A.T @ B  # Σ_i s_i/N (q_i q_iᵀ) ⊗ (x̃_i x̃_iᵀ)
            for k in range(K):  # + Σ_i s_i/N diag(q_i) ⊗ (x̃_i x̃_iᵀ)
                H[k * D1 : (k + 1) * D1, k * D1 : (k + 1) * D1] += (
                    A[:, k * D1 : (k + 1) * D1].T @ x
                )
        if self.l2 > 0:
            weights = np.tile(np.arange(D1) < self.D, K)
            H[np.diag_indices_from(H)] += 2 * self.l2 * weights
        return J, g, H

    def solve(self, H: Array, g: Array) -> Array:
        """Newton step ⟂ the flat directions: ``(H + P) d = -g`` (P g = 0, P d = 0)."""
        return _solve_pd(H + self.gauge, g)
