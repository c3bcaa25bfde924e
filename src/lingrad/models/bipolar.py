"""Bipolar-sigmoid classifier ``f = (1 - e^-z) / (1 + e^-z)``, y in ±1 (Problem 3)."""

from __future__ import annotations

from lingrad.core.losses import Loss, SquaredError
from lingrad.core.nodes import BipolarSigmoid, Node
from lingrad.models.logistic import _LinearSigmoidClassifier
from lingrad.models.params import (
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)


class BipolarSigmoidClassifier(_LinearSigmoidClassifier):
    """``f = (1 - e^-z) / (1 + e^-z)``, ``z = xᵀw + b``, ``J = (1/N) Σ s ½ (f - y)²``.

    The homework's Problem 3: labels are mapped to y ∈ {-1, +1}
    (``classes_[0]`` → -1, ``classes_[1]`` → +1) and gradient descent uses
    ``dJ0/dz = (f - y) · (1 - f²) / 2`` (``df/dz = (1 - f²)/2``, as f = tanh(z/2)).
    J is the homework's ½ Σ (f - y)² divided by N (same minimiser; the penalty
    and learning rate are per example). More than two classes: one ±1 column
    per class (one-vs-rest), predicting the class of the largest z. f is not a
    probability, so there is no ``predict_proba``; ``decision_function`` gives z.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``.

    Parameters
    ----------
    solver : {"lbfgs", "sgd", "minibatch", "batch"}, default="lbfgs"
        ``"batch"`` is the homework's update ``w ← w - lr ∂J/∂w`` over all N.
    lr, schedule, optimizer, batch_size, max_iter, tol
        As everywhere (defaults 0.01, "constant", "gd", 32, 200, 1e-4).
    n_iter_no_change, early_stopping, validation_fraction, shuffle
        As everywhere (defaults 5, False, 0.1, True).
    random_state, warm_start
        As everywhere (defaults None, False).
    penalty : {"none", "l1", "l2", "elasticnet"}, default="l2"
    alpha, l1_ratio, fit_intercept, verbose, snapshot_every, engine
        As everywhere (defaults 1e-4, 0.15, True, 0, None, "auto").
    class_weight : dict, "balanced" or None, default=None

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_features_in_, feature_names_in_, n_iter_, t_, history_, loss_curve_
        As in :class:`lingrad.models.linear.LinearRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.bipolar import BipolarSigmoidClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = BipolarSigmoidClassifier().fit(X, [-1, -1, 1, 1])
    >>> clf.predict([[-3.0], [3.0]]).tolist()
    [-1, 1]
    """

    _low, _high = -1.0, 1.0

    def __init__(
        self,
        *,
        solver: str = "lbfgs",
        lr: float = 0.01,
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

    def _activation(self) -> Node | None:
        return BipolarSigmoid()

    def _make_loss(self) -> Loss:
        return SquaredError(half=True)
