"""Logistic regression ``pred = σ(xᵀw + b)``; multi-class by one-vs-rest.

Also home of ``_LinearSigmoidClassifier``, the fit / partial_fit / decision
machinery shared with the bipolar-sigmoid classifier.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from lingrad.chain import Chain
from lingrad.history import History
from lingrad.losses import BinaryCrossEntropy, SquaredError
from lingrad.models._base import ITERATIVE_SOLVERS, GradientEstimator
from lingrad.models._classifier import (
    DecisionClassifierMixin,
    encode_labels,
    label_targets,
    make_n_correct,
    prepare_sample_weight,
)
from lingrad.nodes import Affine, Sigmoid
from lingrad.solvers import lbfgs, newton_logistic


def _iterative(estimator) -> bool:
    return estimator.solver in ITERATIVE_SOLVERS


class _LinearSigmoidClassifier(
    DecisionClassifierMixin, ClassifierMixin, GradientEstimator
):
    """``z = X W + b`` with one column (2 classes) or one per class (one-vs-rest).

    A subclass sets ``_low``/``_high`` (the targets), ``_solvers`` and the
    hooks ``_activation()`` (a node after the Affine, or None) and
    ``_make_loss()``.
    """

    _low, _high = 0.0, 1.0
    _solvers: tuple[str, ...] = ("lbfgs", *ITERATIVE_SOLVERS)

    def _activation(self):
        raise NotImplementedError

    # ---- hooks -------------------------------------------------------------
    def _init_chain(self, n_features, n_outputs, rng, dtype):
        W = np.zeros((n_features, n_outputs), dtype=dtype)
        b = np.zeros(n_outputs, dtype=dtype) if self.fit_intercept else None
        return self._with_activation(Affine(W, b))

    def _with_activation(self, affine):
        act = self._activation()
        return Chain([affine] if act is None else [affine, act])

    def _chain_from_fitted(self):
        b = self.intercept_.copy() if self.fit_intercept else None
        return self._with_activation(Affine(self.coef_.T.copy(), b))

    def _store_fitted(self, chain):
        node = chain.nodes[0]
        self.coef_ = node.W.T.copy()  # (K', D): K' = 1 for two classes
        self.intercept_ = (
            node.b.copy() if node.b is not None else np.zeros(len(self.coef_))
        ).astype(node.W.dtype)

    def _n_correct(self):
        out_is_z = self._activation() is None
        threshold = 0.0 if out_is_z else (self._low + self._high) / 2
        return make_n_correct(threshold, self._high)

    # ---- fitting -----------------------------------------------------------
    def _validate(self, X, y, sample_weight, *, classes=None, reset=True):
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])
        y_idx = encode_labels(self, y, classes=classes, reset=reset)
        Y = label_targets(y_idx, len(self.classes_), X.dtype, self._low, self._high)
        s = prepare_sample_weight(
            sample_weight,
            X,
            class_weight=self.class_weight,
            classes=self.classes_,
            y_idx=y_idx,
        )
        return X, Y, s

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any type.

        ``sample_weight`` (times ``class_weight``) makes J a weighted mean.
        """
        if self.solver not in self._solvers:
            raise ValueError(
                f"solver must be one of {self._solvers}; got {self.solver!r}."
            )
        X, Y, s = self._validate(X, y, sample_weight)
        if self.solver == "newton":
            self._fit_newton(X, Y, s)
        elif self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, s)
        else:
            self._fit_iterative(X, Y, s)
        return self

    def _fit_newton(self, X, Y, s):
        raise NotImplementedError

    def _fit_lbfgs(self, X, Y, s):
        """L-BFGS-B; one-vs-rest solves its K independent columns one by one.

        J is a sum over columns with no shared parameter, so solving each
        binary problem alone gives the joint minimiser in far fewer
        iterations than one joint run. ``history_`` follows the joint J
        (every column's current value) along this column-by-column path.
        """
        if Y.shape[1] == 1:
            return super()._fit_lbfgs(X, Y, s)
        K = Y.shape[1]
        chain = self._fresh_or_warm_chain(X.shape[1], K, X.dtype)
        W, b = chain.nodes[0].W, chain.nodes[0].b  # live (D, K), (K,)
        loss, penalty = self._make_loss(), self._penalty()
        history = History(self.snapshot_every)
        if self.snapshot_every:
            history.add_snapshot(0, chain.params)
        columns = [
            self._with_activation(
                Affine(W[:, [k]].copy(), None if b is None else b[[k]].copy())
            )
            for k in range(K)
        ]
        J_cols = [
            loss.forward(col.forward(X), Y[:, [k]], s)
            + (penalty.value(col.nodes[0].W) if penalty is not None else 0.0)
            for k, col in enumerate(columns)
        ]
        n_iter, t = 0, 0
        for k, col in enumerate(columns):
            h = History(self.snapshot_every)
            result = lbfgs(
                col, loss, X, Y[:, [k]], penalty, s, max_iter=self.max_iter,
                tol=0.0 if self.tol is None else self.tol, history=h,
                warn=self.tol is not None,
            )  # fmt: skip
            offset = sum(J_cols) - J_cols[k]  # the other columns' J, as they are
            history.add_steps(h.step_loss + offset, h.step_lr, h.step_batch_size)
            for J in h.epoch_loss:
                history.add_epoch(J + offset)
            for i, step in enumerate(h.snapshot_step[1:], start=1):
                W[:, k] = h.params["affine.W"][i][:, 0]
                if b is not None:
                    b[k] = h.params["affine.b"][i][0]
                history.add_snapshot(t + int(step), chain.params)
            W[:, k] = col.nodes[0].W[:, 0]
            if b is not None:
                b[k] = col.nodes[0].b[0]
            J_cols[k] = result.J
            n_iter, t = max(n_iter, result.n_iter), t + result.n_iter
        history.set_final(chain.params)
        self._trainer = None
        self.n_iter_ = n_iter
        self._finish(chain, (X.shape[1], K), history, t)

    @available_if(_iterative)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of the iterative solver; the step count and schedule continue.

        ``classes`` (every label) is needed on the first call unless that
        batch already holds them all.
        """
        first = not hasattr(self, "_fitted_shape")
        X, Y, s = self._validate(X, y, sample_weight, classes=classes, reset=first)
        self._fit_iterative(X, Y, s, partial=True)
        return self

    def decision_function(self, X):
        """``z = X @ coef_ᵀ + intercept_``: (n_samples,) for 2 classes, else (n, K)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        z = X @ self.coef_.T + self.intercept_
        return z.ravel() if z.shape[1] == 1 else z

    def _chain(self):
        """The fitted model as a Chain (for ``explain``)."""
        check_is_fitted(self)
        return self._chain_from_fitted()

    def _loss(self):
        return self._make_loss()


class LogisticRegression(_LinearSigmoidClassifier):
    """Logistic regression ``pred = σ(xᵀw + b)``, ``J = (1/N) Σ s J0 + penalty(w)``.

    ``loss="log"``: ``J0 = -[y log pred + (1 - y) log(1 - pred)]`` (binary
    cross-entropy, trained in its fused form ``dJ0/dz = pred - y``);
    ``loss="squared"``: ``J0 = ½ (pred - y)²``, the notes' logistic-MSE with
    ``dJ0/dz = (pred - y) pred (1 - pred)``. More than two classes: one
    sigmoid column per class, each a binary problem of its class against the
    rest (one-vs-rest, trained jointly); ``predict_proba`` normalises them.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    loss : {"log", "squared"}, default="log"
    solver : {"lbfgs", "newton", "sgd", "minibatch", "batch"}, default="lbfgs"
        ``"newton"``: Newton's method with the Hessian
        ``Xᵀ diag(s pred (1 - pred) / N) X + 2 alpha I`` (loss "log", penalty
        "none" or "l2"); ``"lbfgs"``: scipy's L-BFGS-B on our J and gradient.
    lr, schedule, optimizer, batch_size, max_iter, tol
        As everywhere (defaults 0.01, "constant", "gd", 32, 200, 1e-4).
    n_iter_no_change, early_stopping, validation_fraction, shuffle
        As everywhere (defaults 5, False, 0.1, True).
    random_state, warm_start
        As everywhere (defaults None, False).
    penalty : {"none", "l1", "l2", "elasticnet"}, default="l2"
    alpha : float, default=1e-4
        Penalty strength. scikit-learn's ``LogisticRegression(C=c)`` minimises
        ``c Σ s J0 + ½ ‖w‖²``; the same minimiser here is
        ``alpha = 1 / (2 c Σ s)`` (``1 / (2 c N)`` without sample weights).
    l1_ratio, fit_intercept, verbose, snapshot_every
        As everywhere (defaults 0.15, True, 0, None).
    class_weight : dict, "balanced" or None, default=None
        Multiplies the weight of every example of a class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_features_in_, feature_names_in_, n_iter_, t_, history_, loss_curve_
        As in :class:`lingrad.models.linear.LinearRegression` (no history_
        for newton's solver beyond its iterations).

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.logistic import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> clf.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    """

    _solvers = ("lbfgs", "newton", *ITERATIVE_SOLVERS)

    def __init__(
        self,
        *,
        loss="log",
        solver="lbfgs",
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
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        verbose=0,
        snapshot_every=None,
        class_weight=None,
    ):
        self._store_params(locals())

    def _activation(self):
        if self.loss == "log":
            return None  # the chain outputs z; the loss applies σ (fused)
        if self.loss == "squared":
            return Sigmoid()
        raise ValueError(f"loss must be 'log' or 'squared'; got {self.loss!r}.")

    def _make_loss(self):
        if self._activation() is None:
            return BinaryCrossEntropy(from_logits=True)
        return SquaredError(half=True)

    def _fit_newton(self, X, Y, s):
        if self.loss != "log" or self.penalty not in ("none", None, "l2"):
            raise ValueError(
                "solver='newton' needs loss='log' and penalty 'none' or 'l2' (a "
                f"smooth, convex J); got loss={self.loss!r}, penalty={self.penalty!r}."
            )
        chain = self._fresh_or_warm_chain(X.shape[1], Y.shape[1], X.dtype)
        node = chain.nodes[0]
        history = History(self.snapshot_every)
        W, b, result = newton_logistic(
            X,
            Y,
            s,
            self.alpha if self.penalty == "l2" else 0.0,
            self.fit_intercept,
            W0=node.W,
            b0=node.b,
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol,
            history=history,
            warn=self.tol is not None,
        )
        self._trainer = None
        self.n_iter_ = result.n_iter
        chain = Chain([Affine(W, b if self.fit_intercept else None)])
        self._finish(chain, (X.shape[1], Y.shape[1]), history, result.n_iter)

    def predict_proba(self, X):
        """P(class | x): ``[1 - σ(z), σ(z)]``, or σ(z_k) / Σ_j σ(z_j) one-vs-rest."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p = expit(z)
            return np.column_stack([1.0 - p, p])
        P = expit(z)
        return P / P.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
