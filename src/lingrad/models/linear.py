"""Linear regression ``pred = xᵀw + b``, ``J = (1/N) Σ (y - pred)²`` (+ penalty)."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from lingrad.chain import Chain
from lingrad.losses import SquaredError
from lingrad.models._base import ITERATIVE_SOLVERS, GradientEstimator
from lingrad.models._classifier import prepare_sample_weight
from lingrad.nodes import Affine
from lingrad.solvers import normal_equation

SOLVERS = ("normal", "lbfgs", *ITERATIVE_SOLVERS)


def _iterative(estimator) -> bool:
    return estimator.solver in ITERATIVE_SOLVERS


class LinearRegression(RegressorMixin, GradientEstimator):
    """Least squares ``pred = xᵀw + b``, ``J = (1/N) Σ s (y - pred)² + penalty(w)``.

    The lectures' model (Lecture 7): J is the mean squared error, whose
    gradient is ``dJ/dw = -(2/N) Σ x (y - pred)``; ``solver="normal"`` solves
    ``∇J = 0`` in closed form, the others descend it.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    solver : {"normal", "lbfgs", "sgd", "minibatch", "batch"}, default="normal"
        ``"normal"``: the normal equation by a stable least-squares solve
        (penalty "none" or "l2" only); ``solver_info_`` says how.
    lr : float, default=0.01
    schedule : str, default="constant"
    optimizer : str, default="gd"
    batch_size : int, default=32
    max_iter : int, default=200
    tol : float or None, default=1e-4
    n_iter_no_change : int, default=5
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    shuffle : bool, default=True
    random_state : int, RandomState or None, default=None
    warm_start : bool, default=False
    penalty : {"none", "l1", "l2", "elasticnet"}, default="none"
    alpha : float, default=1e-4
        Penalty strength in ``J = mean loss + alpha · C(w)``. Against
        scikit-learn's ``Ridge(alpha=a)`` (``Σ s (y - pred)² + a ‖w‖²``):
        ``alpha = a / Σ s`` (``a / N`` without sample weights).
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    verbose : int, default=0
    snapshot_every : int or None, default=None

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string column names.
    n_iter_ : int
        Epochs (iterative solvers) or iterations (lbfgs); 1 for normal.
    t_ : int
        Gradient steps taken (the schedule's clock).
    history_ : History
        What training did (iterative solvers and lbfgs).
    loss_curve_ : ndarray of shape (n_iter_,)
        ``history_.epoch_loss``.
    solver_info_ : dict
        ``solver="normal"`` only: ``method``, ``rank``, ``condition_number``
        (of XᵀX) and ``singular_values``; an ``IllConditionedWarning`` is
        emitted when the condition number exceeds 1e10.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.linear import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] + 1)
    >>> model.coef_.round(6), round(float(model.intercept_), 6)
    (array([2.]), 1.0)
    """

    def __init__(
        self,
        *,
        solver="normal",
        lr=0.01,
        schedule="constant",
        optimizer="gd",
        batch_size=32,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        penalty="none",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        verbose=0,
        snapshot_every=None,
    ):
        self._store_params(locals())

    # ---- hooks -------------------------------------------------------------
    def _init_chain(self, n_features, n_outputs, rng, dtype):
        W = np.zeros((n_features, n_outputs), dtype=dtype)  # the lectures start at 0
        b = np.zeros(n_outputs, dtype=dtype) if self.fit_intercept else None
        return Chain([Affine(W, b)])

    def _chain_from_fitted(self):
        W = self.coef_.reshape(-1, self.n_features_in_).T  # (D, K)
        b = np.atleast_1d(self.intercept_) if self.fit_intercept else None
        return Chain([Affine(W.copy(), None if b is None else b.copy())])

    def _store_fitted(self, chain):
        node = chain.nodes[0]
        W = node.W.T.copy()  # (K, D)
        b = node.b.copy() if node.b is not None else np.zeros(len(W), W.dtype)
        self._set_coef(W, b)

    def _make_loss(self):
        return SquaredError(half=False)

    # ---- fitting -----------------------------------------------------------
    def _set_coef(self, W, b):
        """coef_ (K, D) and intercept_ (K,), squeezed for a 1-D target."""
        if self._y_1d:
            self.coef_, self.intercept_ = W[0], b[0]
        else:
            self.coef_, self.intercept_ = W, b

    def _validate(self, X, y, sample_weight, reset):
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            y_numeric=True,
            multi_output=True,
        )
        if reset:
            self._y_1d = y.ndim == 1
        Y = np.asarray(y, dtype=X.dtype).reshape(len(X), -1)  # (N, K)
        return X, Y, prepare_sample_weight(sample_weight, X)

    def fit(self, X, y, sample_weight=None):
        """Fit w and b on X (n_samples, n_features), y (n_samples,) or (n, n_targets).

        ``sample_weight`` s makes J the weighted mean ``Σ s (y - pred)² / Σ s``.
        """
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}.")
        X, Y, s = self._validate(X, y, sample_weight, reset=True)
        if self.solver == "normal":
            self._fit_normal(X, Y, s)
        elif self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, s)
        else:
            self._fit_iterative(X, Y, s)
        return self

    def _fit_normal(self, X, Y, s):
        if self.penalty not in ("none", None, "l2"):
            raise ValueError(
                f"solver='normal' has a closed form for penalty 'none' or 'l2' only; "
                f"got penalty={self.penalty!r}. Use solver='lbfgs' or a gradient "
                "solver for L1 and the elastic net."
            )
        l2 = self.alpha * len(X) if self.penalty == "l2" else 0.0  # s has mean 1
        W, b, info = normal_equation(X, Y, s, self.fit_intercept, l2)
        self._set_coef(W.T.copy(), b)
        self.solver_info_ = info
        self._trainer = None
        self._fitted_shape = (X.shape[1], Y.shape[1])
        self.n_iter_, self.t_ = 1, 0

    @available_if(_iterative)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of the iterative solver; the step count and schedule continue."""
        first = not hasattr(self, "_fitted_shape")
        X, Y, s = self._validate(X, y, sample_weight, reset=first)
        self._fit_iterative(X, Y, s, partial=True)
        return self

    def predict(self, X):
        """``pred = X @ coef_ᵀ + intercept_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_.T + self.intercept_

    def _chain(self):
        """The fitted model as a Chain (for ``explain``)."""
        check_is_fitted(self)
        return self._chain_from_fitted()

    def _loss(self):
        return self._make_loss()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
