"""Softmax regression ``q = softmax(xᵀW + b)``, ``J = (1/N) Σ s CE(y, q) + α C(W)``."""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from lingrad.chain import Chain
from lingrad.history import History
from lingrad.losses import CrossEntropy, one_hot
from lingrad.models._base import ITERATIVE_SOLVERS, GradientEstimator
from lingrad.models._classifier import (
    DecisionClassifierMixin,
    encode_labels,
    make_n_correct,
    prepare_sample_weight,
)
from lingrad.nodes import Affine, Softmax
from lingrad.solvers import newton
from lingrad.solvers.newton_softmax import _NewtonSoftmax

SOLVERS = ("lbfgs", "newton", *ITERATIVE_SOLVERS)


def _iterative(estimator) -> bool:
    return estimator.solver in ITERATIVE_SOLVERS


class SoftmaxRegression(DecisionClassifierMixin, ClassifierMixin, GradientEstimator):
    """Multinomial logistic regression ``q = softmax(xᵀW + b)``; dJ0/dz = q - y.

    One score column per class, trained on the mean cross-entropy
    ``J = (1/N) Σ s_i (logsumexp(z_i) - z_{i,y_i}) + alpha · C(W)`` (the fused,
    stable softmax + cross-entropy of the notes). Two classes keep two columns.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    solver : {"lbfgs", "newton", "sgd", "minibatch", "batch"}, default="lbfgs"
        ``"newton"``: damped Newton with the multinomial Hessian (penalty
        "none" or "l2"); ``"lbfgs"``: scipy's L-BFGS-B on our J and gradient.
    lr : float, default=0.1
    schedule : str, default="constant"
    optimizer : str, default="gd"
    batch_size : int, default=32
    max_iter : int, default=100
    tol : float or None, default=1e-4
    n_iter_no_change : int, default=5
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    shuffle : bool, default=True
    random_state : int, RandomState or None, default=None
    warm_start : bool, default=False
    penalty : {"none", "l1", "l2", "elasticnet"}, default="l2"
    alpha : float, default=1e-4
        Penalty strength in ``J = mean loss + alpha · C(W)``. Against
        scikit-learn's ``LogisticRegression(C=c)`` (objective
        ``c Σ s log-loss + ½ ‖W‖²`` = ``c Σs · J``): ``alpha = 1 / (2 c Σ s)``
        (``1 / (2 c N)`` without sample weights); see :func:`alpha_from_C`.
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    verbose : int, default=0
    snapshot_every : int or None, default=None
    class_weight : dict, "balanced" or None, default=None
        Multiplied into the sample weights.

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        W transposed, as scikit-learn's multinomial ``coef_``.
    intercept_ : ndarray of shape (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string column names.
    n_iter_ : int
        Epochs (iterative solvers) or iterations (lbfgs, newton).
    t_ : int
        Gradient steps taken (the schedule's clock).
    history_ : History
    loss_curve_ : ndarray of shape (n_iter_,)

    Notes
    -----
    ``newton`` solves ``H d = -g`` with the Hessian of the mean log-loss
    ``(1/N) Σ_i s_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` (x̃ = [x, 1]) plus
    ``2 alpha I`` on the weights. Adding the same constant to every class's
    score leaves q unchanged, so H is singular along those directions; the
    step is taken orthogonal to them (the minimum-norm Newton step).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from lingrad.models.softmax import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(max_iter=500).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

    def __init__(
        self,
        *,
        solver="lbfgs",
        lr=0.1,
        schedule="constant",
        optimizer="gd",
        batch_size=32,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        verbose=0,
        snapshot_every=None,
        class_weight=None,
    ):
        self._store_params(locals())

    # ---- hooks -------------------------------------------------------------
    def _init_chain(self, n_features, n_outputs, rng, dtype):
        W = np.zeros((n_features, n_outputs), dtype=dtype)  # convex: start at 0
        b = np.zeros(n_outputs, dtype=dtype) if self.fit_intercept else None
        return Chain([Affine(W, b)])

    def _chain_from_fitted(self):
        """Chain([Affine]) giving the scores z (the fused loss's input)."""
        b = self.intercept_.copy() if self.fit_intercept else None
        return Chain([Affine(self.coef_.T.copy(), b)])

    def _output_node(self):
        """The node turning the chain's scores into the prediction q (for display)."""
        return Softmax()

    def _store_fitted(self, chain):
        node = chain.nodes[0]
        self.coef_ = node.W.T.copy()  # (K, D)
        K = node.W.shape[1]
        self.intercept_ = (
            node.b.copy() if node.b is not None else np.zeros(K, node.W.dtype)
        )

    def _make_loss(self):
        return CrossEntropy(from_logits=True)

    def _n_correct(self):
        return make_n_correct()

    def _chain(self):
        """The fitted model as a Chain on z (for ``explain``)."""
        check_is_fitted(self)
        return self._chain_from_fitted()

    def _loss(self):
        return self._make_loss()

    # ---- fitting -----------------------------------------------------------
    def _prepare(self, X, y, sample_weight, *, reset, classes=None):
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])
        y_idx = encode_labels(self, y, classes=classes, reset=reset)
        s = prepare_sample_weight(
            sample_weight,
            X,
            class_weight=self.class_weight,
            classes=self.classes_,
            y_idx=y_idx,
        )
        return X, one_hot(y_idx, len(self.classes_), X.dtype), s

    def fit(self, X, y, sample_weight=None):
        """Fit W, b on X (n_samples, n_features) and labels y; returns self.

        ``sample_weight`` s makes J the weighted mean ``Σ s CE / Σ s``.
        """
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}.")
        X, Y, s = self._prepare(X, y, sample_weight, reset=True)
        if not self._is_fitted_for(X.shape[1], Y.shape[1]):
            self._trainer = None  # a warm start needs parameters of this shape
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, s)
        elif self.solver == "newton":
            self._fit_newton(X, Y, s)
        else:
            self._fit_iterative(X, Y, s)
        return self

    @available_if(_iterative)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of the iterative solver; ``classes`` on the first call."""
        first = not hasattr(self, "_fitted_shape")
        X, Y, s = self._prepare(X, y, sample_weight, reset=first, classes=classes)
        self._fit_iterative(X, Y, s, partial=True)
        return self

    def _fit_newton(self, X, Y, s):
        if self.penalty not in ("none", None, "l2"):
            raise ValueError(
                "solver='newton' needs a twice-differentiable J: penalty 'none' or "
                f"'l2'; got penalty={self.penalty!r}. Use solver='lbfgs'."
            )
        chain = self._fresh_or_warm_chain(X.shape[1], Y.shape[1], X.dtype)
        l2 = self.alpha if self.penalty == "l2" else 0.0
        history = History(self.snapshot_every)
        objective = _NewtonSoftmax(chain, X, Y, s, l2)
        result = newton(
            objective.f_grad_hess,
            objective.pack(),
            f=objective.f,
            solve=objective.solve,
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol,
            history=history,
            n_samples=len(X),
        )
        objective.unpack(result.theta)
        history.set_final(chain.params)
        self._trainer = None
        self.n_iter_ = result.n_iter
        self._finish(chain, (X.shape[1], Y.shape[1]), history, result.n_iter)

    # ---- prediction --------------------------------------------------------
    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_.T.astype(X.dtype) + self.intercept_.astype(X.dtype)

    def decision_function(self, X):
        """Scores z = XW + b (N, K); for two classes ``z_1 - z_0`` (N,)."""
        z = self._scores(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X):
        """Class probabilities ``q = softmax(z)`` (N, K), columns as ``classes_``."""
        return softmax(self._scores(X), axis=1)

    def predict_log_proba(self, X):
        """``log q = z - logsumexp(z)`` (N, K), stable for any z."""
        return log_softmax(self._scores(X), axis=1)


def alpha_from_C(C: float, n_samples: float) -> float:
    """``alpha = 1 / (2 C n)``: scikit-learn's ``C`` as lingrad's L2 strength.

    scikit-learn minimises ``C Σ s log-loss + ½ ‖W‖²``; dividing by ``C Σ s``
    gives lingrad's ``J = mean log-loss + alpha ‖W‖²`` with the same minimiser
    (``n_samples`` = Σ s, the number of examples without sample weights).
    """
    return 1.0 / (2.0 * C * n_samples)
