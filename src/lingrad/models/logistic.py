"""Logistic regression ``pred = σ(xᵀw + b)``; multi-class by one-vs-rest.

Also home of ``_LinearSigmoidClassifier``, the targets, accuracy counter and
one-vs-rest L-BFGS shared with the bipolar-sigmoid classifier.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy.special import expit, log_expit, logsumexp

from lingrad.core.accuracy import CountCorrect
from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, Loss, SquaredError
from lingrad.core.nodes import Affine, Node, Sigmoid
from lingrad.models._classifier import (
    GradientClassifier,
    label_targets,
    make_n_correct,
)
from lingrad.models._linear_chain import LinearChainEstimator
from lingrad.models.params import (
    ITERATIVE_SOLVERS,
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)
from lingrad.models.problem import affine_at, starting_chain
from lingrad.solvers import lbfgs_rows, newton_logistic_rows
from lingrad.solvers.rows import Rows
from lingrad.solvers.sums import column_sums, sum_loss
from lingrad.training.history import History


class _LinearSigmoidClassifier(GradientClassifier, LinearChainEstimator):
    """``z = X W + b`` with one column (2 classes) or one per class (one-vs-rest).

    A subclass sets ``_low``/``_high`` (the targets), ``_solvers`` and the
    hooks ``_activation()`` (a node after the Affine, or None) and
    ``_make_loss()``.
    """

    _low, _high = 0.0, 1.0
    _solvers: tuple[str, ...] = ("lbfgs", *ITERATIVE_SOLVERS)

    def _activation(self) -> Node | None:
        raise NotImplementedError

    def _n_correct(self) -> CountCorrect:
        out_is_z = self._activation() is None
        threshold = 0.0 if out_is_z else (self._low + self._high) / 2
        return make_n_correct(threshold, self._high)

    def _targets(self, y_idx: np.ndarray, dtype: DTypeLike) -> np.ndarray:
        """One column of ``_low``/``_high`` (2 classes), else one per class."""
        return label_targets(y_idx, len(self.classes_), dtype, self._low, self._high)

    def _fit_lbfgs(self, rows: Rows) -> None:
        """L-BFGS-B; one-vs-rest solves its K independent columns one by one.

        J is a sum over columns with no shared parameter, so solving each
        binary problem alone gives the joint minimiser in far fewer
        iterations than one joint run. ``history_`` follows the joint J
        (every column's current value) along this column-by-column path;
        ``class_loss_curves_[k]`` holds column k's own J from its start, one
        value per L-BFGS iteration (for the figures: one curve per class).
        """
        self.__dict__.pop("class_loss_curves_", None)
        K = rows.n_outputs
        if K == 1:
            return super()._fit_lbfgs(rows)
        chain, _ = starting_chain(
            self, (rows.n_features, K), rows.dtype, bool(self.warm_start)
        )
        W, b = affine_at(chain).W, affine_at(chain).b  # live (D, K), (K,)
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
        J_cols = rows.reduce(column_sums, chain, sum_loss(loss), chain.params)
        J_cols = J_cols / rows.n_samples
        if penalty is not None:
            J_cols += [penalty.value(affine_at(col).W) for col in columns]
        n_iter, t, curves = 0, 0, []
        for k, col in enumerate(columns):
            h = History(self.snapshot_every)
            result = lbfgs_rows(
                col, loss, rows.column(k), penalty, max_iter=self.max_iter,
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
            W[:, k] = affine_at(col).W[:, 0]
            b_k = affine_at(col).b
            if b is not None and b_k is not None:
                b[k] = b_k[0]
            curves.append(np.r_[J_cols[k], h.epoch_loss])  # start, then each iteration
            J_cols[k] = result.J
            n_iter, t = max(n_iter, result.n_iter), t + result.n_iter
        history.set_final(chain.params)
        self._finish(chain, (rows.n_features, K), n_iter, history, t)
        self.class_loss_curves_ = curves


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
        "none" or "l2"; on large data — at least 20,000 rows and 1,024 per
        parameter — summed over every 16th row: the same minimiser, see
        ``lingrad.solvers.newton``); ``"lbfgs"``: scipy's
        L-BFGS-B on our J and gradient.
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
    l1_ratio, fit_intercept, verbose, snapshot_every, engine
        As everywhere (defaults 0.15, True, 0, None, "auto").
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
    _newton_per_column = True  # Newton's Hessian: one (D+1)² block per column
    _losses = ("log", "squared")  # the values ``loss`` may take

    def __init__(
        self,
        *,
        loss: str = "log",
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
        if self.loss == "log":
            return None  # the chain outputs z; the loss applies σ (fused)
        if self.loss == "squared":
            return Sigmoid()
        raise ValueError(f"loss must be 'log' or 'squared'; got {self.loss!r}.")

    def _make_loss(self) -> Loss:
        if self._activation() is None:
            return BinaryCrossEntropy(from_logits=True)
        return SquaredError(half=True)

    def _fit_newton(self, rows: Rows) -> None:
        if self.loss != "log" or self.penalty not in ("none", None, "l2"):
            raise ValueError(
                "solver='newton' needs loss='log' and penalty 'none' or 'l2' (a "
                f"smooth, convex J); got loss={self.loss!r}, penalty={self.penalty!r}."
            )
        shape = (rows.n_features, rows.n_outputs)
        chain, _ = starting_chain(self, shape, rows.dtype, bool(self.warm_start))
        node = affine_at(chain)
        history = History(self.snapshot_every)
        W, b, result = newton_logistic_rows(
            rows,
            self.alpha if self.penalty == "l2" else 0.0,
            self.fit_intercept,
            W0=node.W,
            b0=node.b,
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol,
            history=history,
            warn=self.tol is not None,
        )
        chain = Chain([Affine(W, b if self.fit_intercept else None)])
        self._finish(chain, shape, result.n_iter, history, result.n_iter)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """P(class | x): ``[1 - σ(z), σ(z)]``, or σ(z_k) / Σ_j σ(z_j) one-vs-rest.

        One-vs-rest is normalised in logs, ``log σ(z_k) - logsumexp_j log σ(z_j)``,
        so rows whose every σ underflows (z ≪ 0) still get finite probabilities.
        """
        z = self.decision_function(X)
        if z.ndim == 1:
            p = expit(z)
            return np.column_stack([1.0 - p, p])
        log_p = log_expit(z)  # (N, K)
        return np.asarray(np.exp(log_p - logsumexp(log_p, axis=1, keepdims=True)))

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(self.predict_proba(X)))
