"""``LinearChainEstimator``: the single-layer models' chain ``z = X W + b``."""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from lingrad.core.chain import Chain
from lingrad.core.nodes import Affine, Array, Node
from lingrad.models._base import GradientEstimator
from lingrad.models._finite import finite_scores


class LinearChainEstimator(GradientEstimator):
    """``z = X W + b`` (one Affine), then ``_activation()`` if any.

    W and b start at zero (the lectures' start: every such J is convex, or
    for the perceptron scale-free). Fitted as ``coef_`` = Wᵀ (K, D) and
    ``intercept_`` = b (K,); ``_set_coef`` may reshape them (a 1-D target).
    """

    def _activation(self) -> Node | None:
        """The node after the Affine in the training chain (None: it outputs z)."""
        return None

    def _with_activation(self, affine: Affine) -> Chain:
        act = self._activation()
        return Chain([affine] if act is None else [affine, act])

    def _init_chain(
        self,
        n_features: int,
        n_outputs: int,
        rng: np.random.RandomState,
        dtype: DTypeLike | None,
    ) -> Chain:
        W = np.zeros((n_features, n_outputs), dtype=dtype)  # (D, K)
        b = np.zeros(n_outputs, dtype=dtype) if self.fit_intercept else None
        return self._with_activation(Affine(W, b))

    def _chain_from_fitted(self) -> Chain:
        W = np.atleast_2d(self.coef_).T.copy()  # (D, K)
        b = np.atleast_1d(self.intercept_).copy() if self.fit_intercept else None
        return self._with_activation(Affine(W, b))

    def _store_fitted(self, chain: Chain) -> None:
        node = cast(Affine, chain.nodes[0])  # a linear model: one Affine first
        K = node.W.shape[1]
        b = node.b.copy() if node.b is not None else np.zeros(K, node.W.dtype)
        self._set_coef(node.W.T.copy(), b)  # (K, D), (K,)

    def _set_coef(self, W: Array, b: Array) -> None:
        self.coef_, self.intercept_ = W, b

    def _scores(self, X: ArrayLike) -> np.ndarray:
        """``z = X @ coef_ᵀ + intercept_`` (N, K), in X's dtype."""
        X = self._check_X(X)
        coef = np.atleast_2d(self.coef_).astype(X.dtype, copy=False)
        b = np.atleast_1d(self.intercept_).astype(X.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_scores(self, X @ coef.T + b)
