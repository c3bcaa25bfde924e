"""Shallow networks: the shared ``_Network`` base and the notes' two-layer ANN.

- :class:`TwoLayerNetwork` (the notes' ANN): ``z = σ(X W + b)``,
  ``q = softmax(z V + c)``, cross-entropy; backprop
  ``dJ_dV = zᵀ (q - y)``, ``dJ_dW = Xᵀ [((q - y) Vᵀ) ∘ z (1 - z)]``.
- ``ResidualNetwork`` (homework Problem 7) lives in
  :mod:`lingrad.models.residual`; it is still importable from here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy.special import log_softmax, softmax

from lingrad.core.chain import Chain
from lingrad.core.losses import CrossEntropy, Loss
from lingrad.core.nodes import Affine, Node, Sigmoid, Softmax
from lingrad.models._base import finite_scores
from lingrad.models._classifier import GradientClassifier
from lingrad.models.params import (
    ITERATIVE_SOLVERS,
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)
from lingrad.models.problem import affine_at


class _Network(GradientClassifier):
    """Parameters (``coefs_``, ``intercepts_``) shared by both networks."""

    _solvers = ("lbfgs", *ITERATIVE_SOLVERS)
    _compiled = False  # the node path trains the networks

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
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool | str = True,
        random_state: RandomStateLike = None,
        warm_start: bool = False,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        verbose: int = 0,
        snapshot_every: int | None = None,
        engine: str = "auto",
        class_weight: ClassWeight = None,
    ) -> None:
        self._store_params(locals())

    # ---- shared hooks --------------------------------------------------------
    def _affines(self, chain: Chain) -> list[Affine]:
        """The chain's Affine nodes, in the order of ``coefs_``."""
        raise NotImplementedError

    def _store_fitted(self, chain: Chain) -> None:
        nodes = self._affines(chain)
        self.coefs_ = [node.W.copy() for node in nodes]
        self.intercepts_ = [
            node.b.copy() if node.b is not None else np.zeros_like(node.W[0])
            for node in nodes
        ]

    def _fitted_affines(self) -> list[Affine]:
        """Affine nodes holding copies of ``coefs_`` / ``intercepts_``."""
        return [
            Affine(W.copy(), b.copy() if self.fit_intercept else None)
            for W, b in zip(self.coefs_, self.intercepts_, strict=True)
        ]

    def _init_affine(
        self, n_in: int, n_out: int, rng: np.random.RandomState, dtype: DTypeLike | None
    ) -> Affine:
        return Affine.init(
            n_in,
            n_out,
            rng,
            bias=self.fit_intercept,
            dtype=np.float64 if dtype is None else dtype,
        )


class TwoLayerNetwork(_Network):
    """Two-layer network ``q = softmax(σ(X W + b) V + c)`` on the cross-entropy.

    The notes' ANN: a sigmoid hidden layer of ``n_hidden`` units and a softmax
    output, one unit per class (two for a binary problem), trained on the mean
    cross-entropy (fused: ``dJ0/dq̂ = q - y``) plus ``alpha · C(W, V)``.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    n_hidden : int, default=16
        Hidden units (the notes' b).
    solver : {"lbfgs", "sgd", "minibatch", "batch"}, default="lbfgs"
    lr : float, default=0.1
    schedule, optimizer, batch_size, max_iter (default 200), tol, n_iter_no_change,
    early_stopping, validation_fraction, shuffle, warm_start, l1_ratio, verbose,
    snapshot_every
        As in ``COMMON_PARAMS_DOC``.
    engine : {"auto", "nodes"}, default="auto"
        The networks train on the node path ("auto" is "nodes"; "compiled"
        raises ValueError: there is no kernel for them).
    random_state : int, RandomState or None, default=None
        Seed of the Glorot-uniform initial weights (and the shuffling).
    penalty : {"none", "l1", "l2", "elasticnet"}, default="l2"
    alpha : float, default=1e-4
        Penalty strength on both weight matrices (never on the biases).
    fit_intercept : bool, default=True
        Learn the biases b and c.
    class_weight : dict, "balanced" or None, default=None

    Attributes
    ----------
    coefs_ : list of ndarray
        ``[W (n_features, n_hidden), V (n_hidden, n_classes)]``, as
        scikit-learn's MLP.
    intercepts_ : list of ndarray
        ``[b (n_hidden,), c (n_classes,)]`` (zeros without intercept).
    classes_, n_features_in_, feature_names_in_, n_iter_, t_, history_,
    loss_curve_
        As for every lingrad classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.network import TwoLayerNetwork
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    >>> y = np.array([0, 1, 1, 0] * 5)  # XOR: no line separates it
    >>> net = TwoLayerNetwork(n_hidden=8, penalty="none", random_state=0)
    >>> net.fit(X, y).predict(X[:4]).tolist()
    [0, 1, 1, 0]
    """

    def _init_chain(
        self,
        n_features: int,
        n_outputs: int,
        rng: np.random.RandomState,
        dtype: DTypeLike | None,
    ) -> Chain:
        hidden = self._init_affine(n_features, self.n_hidden, rng, dtype)
        output = self._init_affine(self.n_hidden, n_outputs, rng, dtype)
        return Chain([hidden, Sigmoid(), output])

    def _chain_from_fitted(self) -> Chain:
        """``[Affine(W, b), Sigmoid, Affine(V, c)]``: the scores q̂ (the loss input)."""
        hidden, output = self._fitted_affines()
        return Chain([hidden, Sigmoid(), output])

    def _output_node(self) -> Node | None:
        """The node turning the chain's scores into q (for display)."""
        return Softmax()

    def _affines(self, chain: Chain) -> list[Affine]:
        return [affine_at(chain, 0), affine_at(chain, 2)]

    def _make_loss(self) -> Loss:
        return CrossEntropy(from_logits=True)

    def _scores(self, X: ArrayLike) -> np.ndarray:
        """``q̂ = σ(X W + b) V + c`` (N, K): the fitted chain's output."""
        X = self._check_X(X)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_scores(self, self._chain_from_fitted().forward(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """``q = softmax(q̂)`` (N, K), columns as ``classes_``."""
        return np.asarray(softmax(self._scores(X), axis=1))

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log q``, stable for any scores."""
        return np.asarray(log_softmax(self._scores(X), axis=1))
