"""Linear regression ``pred = xᵀw + b``, ``J = (1/N) Σ J0(pred, y)`` (+ penalty).

``J0 = (y - pred)²`` by default; ``loss`` names another regression loss of
``lingrad.core.losses.LOSSES``.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.utils import Tags
from sklearn.utils.validation import validate_data

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss, make_loss
from lingrad.core.nodes import Affine, Array, XLike
from lingrad.models._base import finite_scores
from lingrad.models._classifier import prepare_sample_weight
from lingrad.models._linear_chain import LinearChainEstimator
from lingrad.models._params import partial_fit_for_iterative
from lingrad.models._sparse import ACCEPT_SPARSE
from lingrad.models.params import (
    ITERATIVE_SOLVERS,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)
from lingrad.solvers.closed_form import least_squares
from lingrad.solvers.rows import Rows
from lingrad.training.history import History
from lingrad.training.train import Trainer


class LinearRegression(RegressorMixin, LinearChainEstimator):
    """Least squares ``pred = xᵀw + b``, ``J = (1/N) Σ s (y - pred)² + penalty(w)``.

    The lectures' model (Lecture 7): J is the mean squared error, whose
    gradient is ``dJ/dw = -(2/N) Σ x (y - pred)``; ``solver="normal"`` solves
    ``∇J = 0`` in closed form, the others descend it.

    The common parameters are described once, in
    ``lingrad.models._base.COMMON_PARAMS_DOC``; here only what differs.

    Parameters
    ----------
    loss : {"squared_error", "huber"}, default="squared_error"
        ``J0 = (y - pred)²``, or Huber's ``½ r²`` for ``|r| ≤ epsilon`` and
        ``epsilon |r| - ½ epsilon²`` beyond (r = y - pred; solver "lbfgs" or a
        gradient solver).
    epsilon : float, default=1.35
        Where the Huber loss turns from squared to absolute (``loss="huber"``).
    solver : {"normal", "lbfgs", "sgd", "minibatch", "batch"}, default="normal"
        ``"normal"``: the normal equation (squared error, penalty "none" or "l2"):
        Cholesky of XᵀX when it is well-conditioned, else a QR + SVD
        least-squares solve that keeps the digits; ``solver_info_`` says how.
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
    engine : {"auto", "nodes", "compiled"}, default="auto"

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
        ``solver="normal"`` only: ``method``, ``rank`` (below n_features for
        exactly collinear features: the minimum-norm solution, no warning),
        ``condition_number`` (of XᵀX; an estimate on the Cholesky route) and,
        on the QR route, ``singular_values``; an ``IllConditionedWarning`` is
        emitted when the condition number of the non-null part exceeds 1e10.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.linear import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] + 1)
    >>> model.coef_.round(6), round(float(model.intercept_), 6)
    (array([2.]), 1.0)
    """

    _solvers = ("normal", "lbfgs", *ITERATIVE_SOLVERS)
    _losses = ("squared_error", "huber")  # names in lingrad.core.losses.LOSSES

    def __init__(
        self,
        *,
        loss: str = "squared_error",
        epsilon: float = 1.35,
        solver: str = "normal",
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
        penalty: str | None = "none",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        verbose: int = 0,
        snapshot_every: int | None = None,
        engine: str = "auto",
    ) -> None:
        self._store_params(locals())

    def _make_loss(self) -> Loss:
        return make_loss(self.loss, self.get_params(deep=False))

    def _set_coef(self, W: Array, b: Array) -> None:
        """coef_ (K, D) and intercept_ (K,), squeezed for a 1-D target."""
        if self._y_1d:
            self.coef_, self.intercept_ = W[0], b[0]
        else:
            self.coef_, self.intercept_ = W, b

    def set_target_ndim(self, ndim: int) -> None:
        """y's dimension for a fit that does not see y (``fit_rows``): 1 gives
        ``coef_`` (D,) and a scalar ``intercept_``, 2 gives (K, D) and (K,)."""
        if ndim not in (1, 2):
            raise ValueError(f"y must be 1-D (N,) or 2-D (N, K); got {ndim!r}-D.")
        self._y_1d = ndim == 1

    def _finish(
        self,
        chain: Chain,
        shape: tuple[int, int],
        n_iter: int,
        history: History | None = None,
        t: int = 0,
        trainer: Trainer | None = None,
    ) -> None:
        self.__dict__.pop("solver_info_", None)  # set by solver="normal" only
        super()._finish(chain, shape, n_iter, history, t, trainer)

    # ---- fitting -----------------------------------------------------------
    def _prepare(
        self,
        X: XLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None,
        *,
        reset: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        Xv, yv = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            accept_sparse=ACCEPT_SPARSE,
            y_numeric=True,
            multi_output=True,
        )
        if reset:
            self._y_1d = yv.ndim == 1
        Y = np.asarray(yv, dtype=Xv.dtype).reshape(Xv.shape[0], -1)  # (N, K)
        return Xv, Y, prepare_sample_weight(sample_weight, Xv)

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Fit w and b on X (n_samples, n_features), y (n_samples,) or (n, n_targets).

        ``sample_weight`` s makes J the weighted mean ``Σ s (y - pred)² / Σ s``.
        """
        self._check_params()
        return self._fit(*self._prepare(X, y, sample_weight, reset=True))

    def _fit_normal(self, rows: Rows) -> None:
        if self.loss != "squared_error":
            others = ", ".join(repr(s) for s in self._solvers if s != "normal")
            raise ValueError(
                "solver='normal' solves the squared error only; got "
                f"loss={self.loss!r}. Use one of the solvers {others}."
            )
        if self.penalty not in ("none", None, "l2"):
            raise ValueError(
                f"solver='normal' has a closed form for penalty 'none' or 'l2' only; "
                f"got penalty={self.penalty!r}. Use solver='lbfgs' or a gradient "
                "solver for L1 and the elastic net."
            )
        l2 = self.alpha * rows.n_samples if self.penalty == "l2" else 0.0  # mean(s)=1
        W, b, info = least_squares(rows, self.fit_intercept, l2)
        W, b = W.astype(rows.dtype), b.astype(rows.dtype)
        self._finish(Chain([Affine(W, b)]), (rows.n_features, rows.n_outputs), 1)
        self.solver_info_ = info

    @partial_fit_for_iterative
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """One epoch of the iterative solver; the step count and schedule continue."""
        self._check_params()
        reset = not hasattr(self, "_fitted_shape")
        X, Y, s = self._prepare(X, y, sample_weight, reset=reset)
        self._fit_iterative(X, Y, s, partial=True)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``pred = X @ coef_ᵀ + intercept_``."""
        X = self._check_X(X)
        with np.errstate(over="ignore", invalid="ignore"):
            pred = X @ self.coef_.T + self.intercept_
            return finite_scores(self, pred, "predictions")

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
