"""Softmax regression ``q = softmax(xᵀW + b)``, ``J = (1/N) Σ s CE(y, q) + α C(W)``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_softmax, softmax

from lingrad.core.losses import CrossEntropy, Loss
from lingrad.core.nodes import Node, Softmax
from lingrad.models._classifier import GradientClassifier
from lingrad.models._linear_chain import LinearChainEstimator
from lingrad.models.params import (
    ITERATIVE_SOLVERS,
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)
from lingrad.models.problem import starting_chain
from lingrad.solvers import newton
from lingrad.solvers.newton_softmax import SoftmaxObjective
from lingrad.solvers.rows import Rows
from lingrad.training.history import History


class SoftmaxRegression(GradientClassifier, LinearChainEstimator):
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
        "none" or "l2"; on large data — at least 20,000 rows and 1,024 per
        parameter — summed over every 16th row: the same minimiser, see
        ``lingrad.solvers.newton``); ``"lbfgs"``: scipy's
        L-BFGS-B on our J and gradient.
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
    engine : {"auto", "nodes", "compiled"}, default="auto"
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

    _solvers = ("lbfgs", "newton", *ITERATIVE_SOLVERS)

    def __init__(
        self,
        *,
        solver: str = "lbfgs",
        lr: float = 0.1,
        schedule: ScheduleLike = "constant",
        optimizer: OptimizerLike = "gd",
        batch_size: int = 32,
        max_iter: int = 100,
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

    def _output_node(self) -> Node | None:
        """The node turning the chain's scores into the prediction q (for display)."""
        return Softmax()

    def _make_loss(self) -> Loss:
        return CrossEntropy(from_logits=True)

    def _fit_newton(self, rows: Rows) -> None:
        if self.penalty not in ("none", None, "l2"):
            raise ValueError(
                "solver='newton' needs a twice-differentiable J: penalty 'none' or "
                f"'l2'; got penalty={self.penalty!r}. Use solver='lbfgs'."
            )
        shape = (rows.n_features, rows.n_outputs)
        chain, _ = starting_chain(self, shape, rows.dtype, bool(self.warm_start))
        l2 = self.alpha if self.penalty == "l2" else 0.0
        history = History(self.snapshot_every)
        objective = SoftmaxObjective(chain, rows, l2)
        result = newton(
            objective.fg,
            objective.hess,
            objective.pack(),
            solve=objective.solve,
            fgh=objective.fgh if rows.fused else None,
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol,
            history=history,
            n_samples=rows.n_samples,
            eps=float(np.finfo(rows.dtype).eps),
        )
        objective.unpack(result.theta)
        history.set_final(chain.params)
        self._finish(chain, shape, result.n_iter, history, result.n_iter)

    # ---- prediction --------------------------------------------------------
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities ``q = softmax(z)`` (N, K), columns as ``classes_``."""
        return np.asarray(softmax(self._scores(X), axis=1))

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log q = z - logsumexp(z)`` (N, K), stable for any z."""
        return np.asarray(log_softmax(self._scores(X), axis=1))


def alpha_from_C(C: float, n_samples: float) -> float:
    """``alpha = 1 / (2 C n)``: scikit-learn's ``C`` as lingrad's L2 strength.

    scikit-learn minimises ``C Σ s log-loss + ½ ‖W‖²``; dividing by ``C Σ s``
    gives lingrad's ``J = mean log-loss + alpha ‖W‖²`` with the same minimiser
    (``n_samples`` = Σ s, the number of examples without sample weights).
    """
    return 1.0 / (2.0 * C * n_samples)
