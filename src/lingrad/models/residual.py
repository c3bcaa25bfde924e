"""Residual net of homework Problem 7: ``z = σ(W₀ᵀx)``, ``h = x + σ(W₁ᵀz)``.

``g = σ(w₂ᵀh)``, ``J = ½ (g - y)²`` per example; binary only.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy.special import expit

from lingrad.core.accuracy import CountCorrect
from lingrad.core.chain import Chain
from lingrad.core.losses import Loss, SquaredError
from lingrad.core.nodes import Affine, Residual, Sigmoid
from lingrad.models._base import finite_scores
from lingrad.models._classifier import label_targets, make_n_correct
from lingrad.models.network import _Network
from lingrad.models.params import (
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)
from lingrad.models.problem import affine_at


class ResidualNetwork(_Network):
    """Residual net of homework Problem 7: ``g = σ(w₂ᵀ(x + σ(W₁ᵀσ(W₀ᵀx))))``, ½(g - y)².

    ``z = σ(W₀ᵀx)`` has ``n_hidden`` = M units, ``h = x + σ(W₁ᵀz)`` has the
    input's width D (the skip connection), and ``g = σ(w₂ᵀh)`` is the
    probability of ``classes_[1]``. Binary only. The loss is the squared error
    ``½ (g - y)²`` averaged over the batch: the homework's
    ``L(W) = ½ Σ (g - y)²`` is N times it (same minimiser, and a learning rate
    that does not depend on N or the batch size).

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    n_hidden : int, default=16
        Units M of the inner layer z.
    solver : {"lbfgs", "sgd", "minibatch", "batch"}, default="lbfgs"
    lr : float, default=0.1
    schedule, optimizer, batch_size, max_iter (default 200), n_iter_no_change,
    early_stopping, validation_fraction, shuffle, warm_start, l1_ratio, verbose,
    snapshot_every
        As in ``COMMON_PARAMS_DOC``.
    engine : {"auto", "nodes"}, default="auto"
        The networks train on the node path ("auto" is "nodes"; "compiled"
        raises ValueError: there is no kernel for them).
    random_state : int, RandomState or None, default=None
        Seed of the Glorot-uniform initial weights (and the shuffling).
    tol : float or None, default=1e-5
        Smaller than elsewhere: the squared error through a sigmoid has small
        gradients (``(g - y) g (1 - g)``), and lbfgs stops on the gradient.
    penalty : {"none", "l1", "l2", "elasticnet"}, default="none"
        The homework's J has no penalty.
    alpha : float, default=1e-4
    fit_intercept : bool, default=False
        False (the default) is exactly the homework's network: its equations
        (10)-(12) have no bias terms, so the chain's parameters are W₀, W₁, w₂
        only and its gradients are the hand-derived (a) and (b). True adds
        b₀ (M,), b₁ (D,) and b₂ (1,) inside the sigmoids; the boundary
        ``w₂ᵀh = 0`` then need not pass near the origin.
    class_weight : dict, "balanced" or None, default=None

    Attributes
    ----------
    coefs_ : list of ndarray
        ``[W0 (n_features, M), W1 (M, n_features), w2 (n_features, 1)]``; the
        homework's ``w_{0,i,d}`` is ``W0[d, i]`` (row-major: z = X @ W0).
    intercepts_ : list of ndarray
        ``[b0 (M,), b1 (n_features,), b2 (1,)]``, zeros when
        ``fit_intercept=False``.
    classes_, n_features_in_, feature_names_in_, n_iter_, t_, history_,
    loss_curve_
        As for every lingrad classifier.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from lingrad.models.residual import ResidualNetwork
    >>> X, y = make_moons(100, noise=0.1, random_state=0)
    >>> net = ResidualNetwork(n_hidden=8, random_state=0).fit(X, y)
    >>> [W.shape for W in net.coefs_]
    [(2, 8), (8, 2), (2, 1)]
    """

    _binary = True
    _sparse = False
    _sparse_why = (
        "its skip connection h = x + σ(W₁ᵀz) is as wide as x and dense, so every "
        "batch of sparse rows would become a dense (rows, n_features) array"
    )

    def __init__(
        self,
        n_hidden: int = 16,
        *,
        solver: str = "lbfgs",
        lr: float = 0.1,
        schedule: ScheduleLike = "constant",
        optimizer: OptimizerLike = "gd",
        batch_size: int = 32,
        max_iter: int = 200,
        tol: float | None = 1e-5,
        n_iter_no_change: int = 5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool | str = True,
        random_state: RandomStateLike = None,
        warm_start: bool = False,
        penalty: str | None = "none",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = False,
        verbose: int = 0,
        snapshot_every: int | None = None,
        engine: str = "auto",
        class_weight: ClassWeight = None,
    ) -> None:
        self._store_params(locals())  # _Network's parameters; only defaults differ

    @staticmethod
    def _assemble(W0: Affine, W1: Affine, w2: Affine) -> Chain:
        """``Chain([Residual([W0, σ, W1, σ]), w2, σ])``: outputs g."""
        inner = Chain([W0, Sigmoid(), W1, Sigmoid()])
        return Chain([Residual(inner), w2, Sigmoid()])

    def _init_chain(
        self,
        n_features: int,
        n_outputs: int,
        rng: np.random.RandomState,
        dtype: DTypeLike | None,
    ) -> Chain:
        M, D = self.n_hidden, n_features
        return self._assemble(
            self._init_affine(D, M, rng, dtype),
            self._init_affine(M, D, rng, dtype),
            self._init_affine(D, 1, rng, dtype),
        )

    def _chain_from_fitted(self) -> Chain:
        return self._assemble(*self._fitted_affines())

    def _affines(self, chain: Chain) -> list[Affine]:
        inner = cast(Residual, chain.nodes[0]).inner
        return [affine_at(inner, 0), affine_at(inner, 2), affine_at(chain, 1)]

    def _make_loss(self) -> Loss:
        return SquaredError(half=True)

    def _n_correct(self) -> CountCorrect:
        return make_n_correct(threshold=0.5)

    def _targets(self, y_idx: np.ndarray, dtype: DTypeLike) -> np.ndarray:
        return label_targets(y_idx, 2, dtype)  # (N, 1) in {0, 1}

    def _scores(self, X: ArrayLike) -> np.ndarray:
        """``w₂ᵀh + b₂`` (N, 1), the input of the last sigmoid: positive where
        g > ½ (``classes_[1]``); ``decision_function`` is its column."""
        X = self._check_X(X)
        chain = self._chain_from_fitted()
        with np.errstate(over="ignore", invalid="ignore"):
            h = chain.nodes[0].forward(X)  # (N, D)
            return finite_scores(self, chain.nodes[1].forward(h))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """``[1 - g, g]`` (N, 2)."""
        g = expit(self.decision_function(X))
        return np.stack([1.0 - g, g], axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log predict_proba(X)``."""
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(self.predict_proba(X)))
