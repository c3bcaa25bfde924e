"""What every gradient-trained estimator shares: parameters, solvers, the Trainer.

A subclass defines its ``__init__`` (explicit keyword parameters, stored as-is)
and four hooks:

- ``_init_chain(n_features, n_outputs, rng, dtype) -> Chain``: fresh parameters;
- ``_chain_from_fitted() -> Chain``: a chain sharing the fitted arrays
  (``coef_``, ``intercept_``, ...), used by predict, warm starts and ``explain``;
- ``_store_fitted(chain)``: copy the trained parameters into the fitted attributes;
- ``_make_loss() -> Loss``: the training loss (fused logit forms where they exist).

``_fit`` checks ``solver`` against ``_solvers`` and trains: ``_fit_iterative``
runs the shared training engine, ``_fit_lbfgs`` the quasi-Newton solver on the
same J (``lingrad.solvers.lbfgs``), and any other solver is the subclass's
method ``_fit_<solver>`` (``_fit_normal``, ``_fit_newton``); each ends in
``_finish``, which stores the fitted state. An L1 part of the penalty is applied
by a proximal soft-threshold step after each gradient step
(``lingrad.solvers.proximal_l1``), so L1 gives exact zeros.
:class:`LinearChainEstimator` holds the hooks of the single-``Affine`` models.
X may be a ``scipy.sparse`` matrix or array of any format: validation takes it
as CSR once and nothing densifies it (:mod:`lingrad.models._sparse`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array, XLike
from lingrad.core.penalties import Penalty, make_penalty
from lingrad.errors import LingradError
from lingrad.inference.mixin import SummaryMixin
from lingrad.models._finite import finite_scores as finite_scores  # re-exported
from lingrad.models._fitted import TrainingState, restore_fitted, training_state
from lingrad.models._memory import check_fit_memory
from lingrad.models._params import warn_unused
from lingrad.models._sparse import ACCEPT_SPARSE, refuse_sparse
from lingrad.models.dask_hook import dask_aware
from lingrad.models.params import ITERATIVE_SOLVERS, check_params
from lingrad.models.problem import (
    Dtype,
    TrainingProblem,
    XRows,
    make_trainer,
    starting_chain,
    training_problem,
)
from lingrad.notebook.display import EstimatorDisplay
from lingrad.solvers import lbfgs_rows
from lingrad.solvers.rows import ArrayRows, Rows, cache_rows
from lingrad.training.epoch import NCorrect
from lingrad.training.history import History
from lingrad.training.train import Trainer

COMMON_PARAMS_DOC = """
    solver : str
        How to train: ``"sgd"`` (one example per step, the lectures' loop),
        ``"minibatch"`` (``batch_size`` examples per step), ``"batch"`` (all
        examples per step), and where the model allows ``"normal"``,
        ``"lbfgs"`` or ``"newton"``.
    lr : float
        Learning rate of the gradient steps.
    schedule : str or Schedule
        Learning-rate schedule: ``"constant"``, ``"invscaling"``, ``"step"``,
        ``"exponential"`` or ``"adaptive"``; the step counter continues across
        ``partial_fit`` calls and warm starts.
    optimizer : str
        ``"gd"`` (plain), ``"momentum"``, ``"nesterov"`` or ``"adam"``.
    batch_size : int
        Examples per step for ``solver="minibatch"``.
    max_iter : int
        Maximum number of epochs (or iterations of lbfgs/newton).
    tol : float or None
        Stop when the epoch loss improves by less than ``tol`` for
        ``n_iter_no_change`` epochs; None trains all ``max_iter`` epochs.
        For lbfgs/newton: stop when no gradient entry exceeds ``tol``.
    n_iter_no_change : int
        Epochs without improvement before stopping.
    early_stopping : bool
        Watch the loss on a held-out ``validation_fraction`` instead.
    validation_fraction : float
        Share of the training data held out for early stopping.
    shuffle : {True, False, "rows", "blocks"}
        Shuffle the examples every epoch: "rows" a full row shuffle; "blocks"
        shuffles blocks of contiguous rows, each read forward from a random
        row of it (near streaming speed in the compiled engine; on data
        sorted by the target, batches mix less: see ``lingrad.training.shuffle``);
        True (default) "rows" for an X up to 32 MiB, "blocks" beyond; False
        keeps the lectures' order.
    random_state : int, RandomState or None
        Seed of the initial parameters and the shuffling.
    warm_start : bool
        Start from the previous fit's parameters (and step counter).
    penalty : {"none", "l1", "l2", "elasticnet"}
        Weight penalty (biases are never penalised). The L1 part is applied
        by a proximal soft-threshold after each gradient step (lbfgs: by
        splitting W = U - V, U, V >= 0), so it sets weights exactly to zero.
    alpha : float
        Penalty strength.
    l1_ratio : float
        Share of L1 in the elastic net.
    fit_intercept : bool
        Learn a bias b.
    verbose : int
        0: silent; 1: a progress bar on a terminal.
    snapshot_every : int or None
        Record the parameters every k steps in ``history_`` (None: never).
    engine : {"auto", "nodes", "compiled"}
        What runs the iterative solvers: ``"nodes"`` the node chain (the
        lectures' loop, step by step), ``"compiled"`` the fused numba kernels
        of ``lingrad.training.compiled`` (single-layer models only; same numbers, tested
        to 1e-12), ``"auto"`` the kernels where the model has them. The first
        compiled fit compiles the kernels (seconds, once: they are cached).
"""


class GradientEstimator(EstimatorDisplay, SummaryMixin, BaseEstimator):
    """Base of lingrad's estimators; see the module docstring for the hooks."""

    _trainer: Trainer | None  # the engine of the last iterative fit, if any
    _solvers: tuple[str, ...] = ITERATIVE_SOLVERS  # the values ``solver`` may take
    _compiled = True  # a compiled kernel exists (the single-layer models)
    _sparse = True  # takes scipy.sparse X (as CSR); False: _sparse_why says why not
    _sparse_why = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Every subclass's fit / predict / score also take Dask collections
        (handed to :mod:`lingrad.scale`, see :mod:`lingrad.models.dask_hook`)."""
        super().__init_subclass__(**kwargs)
        dask_aware(cls)

    # ---- hooks -------------------------------------------------------------
    def _init_chain(
        self, n_features: int, n_outputs: int, rng: np.random.RandomState, dtype: Dtype
    ) -> Chain:
        raise NotImplementedError

    def _chain_from_fitted(self) -> Chain:
        raise NotImplementedError

    def _store_fitted(self, chain: Chain) -> None:
        raise NotImplementedError

    def _make_loss(self) -> Loss:
        raise NotImplementedError

    def _n_correct(self) -> NCorrect:
        """Counter of correct predictions from the chain output (classifiers)."""
        return None

    # ---- shared ------------------------------------------------------------
    def _check_params(self) -> None:
        """Refuse invalid hyperparameters (``models.params``); warn about ones the
        solver ignores."""
        check_params(self)
        warn_unused(self)

    def _store_params(self, args: dict[str, object]) -> None:
        """Store every constructor argument as given (scikit-learn's contract)."""
        for key, value in args.items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)

    def _penalty(self) -> Penalty | None:
        return make_penalty(self.penalty, self.alpha, self.l1_ratio)

    def training_problem(
        self,
        X: XLike | None = None,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        *,
        start: str = "fit",
        random_state: int | np.random.RandomState | None = None,
        shape: tuple[int, int] | None = None,
        dtype: Dtype = np.float64,
    ) -> TrainingProblem:
        """What a fit trains: ``J = loss(chain(X), Y) + penalty(W)`` (a
        :class:`~lingrad.models.problem.TrainingProblem`).

        X, y (and ``sample_weight``) are validated and encoded as ``fit`` does
        (Y: the training targets; "fit"/"fresh" set ``classes_`` as fit
        does). ``start``: "fit" the parameters a fit starts
        from (the fitted ones under ``warm_start``), "fresh" new ones (drawn
        with ``random_state``, default the estimator's), "fitted" the fitted
        chain (sharing its arrays), "continue" the last fit's Trainer, as
        ``partial_fit``. ``shape`` (n_features, n_outputs) and ``dtype`` size
        the chain without data (the rows stay elsewhere). The Trainer, for the
        iterative solvers, runs on the problem's chain.
        """
        return training_problem(
            self, X, y, sample_weight, start, random_state, shape, dtype
        )

    def adopt_trainer(
        self, trainer: Trainer, shape: tuple[int, int], n_iter: int
    ) -> None:
        """Take ``trainer``'s parameters, History and step count as the fit
        (X, Y widths ``shape``, ``n_iter`` epochs); ``partial_fit`` continues it."""
        history, t = trainer.history, trainer.t
        self._finish(trainer.chain, shape, n_iter, history, t, trainer)

    @classmethod
    def solver_options(cls) -> tuple[str, ...]:
        """The values ``solver`` may take."""
        return cls._solvers

    @classmethod
    def loss_options(cls) -> tuple[str, ...]:
        """The values ``loss`` may take, the default first (() without ``loss``)."""
        return tuple(getattr(cls, "_losses", ()))

    def training_state(self) -> TrainingState | None:
        """The last fit's t, epoch, generator, optimizer, schedule; or None."""
        return training_state(self)

    def forget_training(self) -> Self:
        """Drop the live Trainer (its optimizer, generator, schedule state): the
        fitted parameters stay; ``partial_fit`` continues from them afresh."""
        self._trainer = None
        return self

    def restore_fitted(
        self, shape: tuple[int, int], state: Mapping[str, object] | None = None
    ) -> None:
        """With the fitted attributes set: the X, Y widths, the training_state()."""
        restore_fitted(self, shape, state)

    def check_hyperparameters(self) -> None:
        """Refuse invalid hyperparameters and solvers, as ``fit`` does first."""
        self._check_params()
        self._check_solver()

    def fit_rows(self, rows: Rows) -> Self:
        """Fit with the exact solver (``solver``: normal, lbfgs, newton) on the
        chunked sums of ``rows`` (``lingrad.solvers.rows``: in memory, a file,
        Dask); returns self."""
        self.check_hyperparameters()
        self._fit_exact(rows)
        return self

    def _check_X(self, X: ArrayLike) -> np.ndarray | sp.csr_matrix:
        """X for prediction: the estimator is fitted, X has its features (an
        ndarray, or a CSR matrix / array for sparse X)."""
        check_is_fitted(self)
        refuse_sparse(self, X)
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            accept_sparse=ACCEPT_SPARSE,
        )
        return X if sp.issparse(X) else np.asarray(X)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._sparse
        return tags

    def _check_solver(self) -> None:
        if self.solver not in self._solvers:
            raise ValueError(
                f"solver must be one of {self._solvers}; got {self.solver!r}."
            )
        self._check_engine()

    def _fit(self, X: XRows, Y: Array, sample_weight: Array | None = None) -> Self:
        """Train on X (N, D), targets Y (N, K) with ``self.solver``; returns self."""
        self._check_solver()
        nnz = None if isinstance(X, np.ndarray) else X.nnz  # X: ndarray or CSR
        N, D, K = X.shape[0], X.shape[1], Y.shape[1]
        check_fit_memory(self, N, D, K, X.dtype.itemsize, nnz=nnz)
        if self.solver in ITERATIVE_SOLVERS:
            self._fit_iterative(X, Y, sample_weight)
        else:  # _fit_lbfgs, _fit_newton, _fit_normal: on rows (in memory or Dask)
            names = getattr(self, "feature_names_in_", None)
            rows = ArrayRows(
                X, Y, sample_weight, chunk_rows=cache_rows(X.shape[1], X),
                feature_names=names,
            )  # fmt: skip
            self._fit_exact(rows)
        return self

    def _fit_exact(self, rows: Rows) -> None:
        """Train with an exact solver (``_fit_<solver>``) on ``rows``' chunked sums."""
        getattr(self, f"_fit_{self.solver}")(rows)

    def _engine(self) -> str:
        """The Trainer's engine: ours, or "nodes" for a model without kernels."""
        return str(self.engine) if self._compiled else "nodes"

    def _check_engine(self) -> None:
        if self.engine == "compiled" and not self._compiled:
            raise ValueError(
                f"{type(self).__name__} has no compiled kernel: engine='compiled' "
                "covers the single-layer models (linear and logistic regression, "
                "the bipolar-sigmoid classifier, both perceptrons, softmax "
                "regression). Use engine='auto' or 'nodes'."
            )

    def _make_trainer(self, chain: Chain, rng: np.random.RandomState) -> Trainer:
        return make_trainer(self, chain, rng)

    def _start(
        self, n_features: int, n_outputs: int, dtype: Dtype, keep: bool, partial: bool
    ) -> Trainer:
        """The trainer to continue (``partial``), or a new one from fitted (``keep``)
        or fresh parameters; a new one takes the current hyperparameters."""
        trainer: Trainer | None = getattr(self, "_trainer", None)
        if partial and trainer is not None:
            self._check_engine()
            trainer.engine = self._engine()  # the engine may change between calls
            return trainer
        _, new = starting_chain(self, (n_features, n_outputs), dtype, keep)
        if new is None:  # only iterative solvers come here
            raise LingradError(f"solver={self.solver!r} trains without a Trainer")
        return new

    def _fit_iterative(
        self,
        X: XRows,
        Y: Array,
        sample_weight: Array | None = None,
        *,
        partial: bool = False,
    ) -> None:
        """Train with the engine; ``partial``: one epoch, continuing the schedule."""
        keep = partial or bool(self.warm_start)
        trainer = self._start(X.shape[1], Y.shape[1], X.dtype, keep, partial)
        if partial:
            trainer.partial_fit(
                X, Y, sample_weight=sample_weight, n_correct=self._n_correct()
            )
            n_iter = getattr(self, "n_iter_", 0) + 1
        else:
            result = trainer.fit(
                X,
                Y,
                max_iter=self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                early_stopping=self.early_stopping,
                validation_fraction=self.validation_fraction,
                sample_weight=sample_weight,
                n_correct=self._n_correct(),
            )
            n_iter = result.n_iter
        shape = (X.shape[1], Y.shape[1])
        self._finish(trainer.chain, shape, n_iter, trainer.history, trainer.t, trainer)

    def _is_fitted_for(self, n_features: int, n_outputs: int) -> bool:
        """True when fitted parameters of this shape exist (for warm starts)."""
        return getattr(self, "_fitted_shape", None) == (n_features, n_outputs)

    def _fit_lbfgs(self, rows: Rows) -> None:
        """Minimise the same J as the engine with L-BFGS-B (``solvers.lbfgs``)."""
        shape = (rows.n_features, rows.n_outputs)
        chain, _ = starting_chain(self, shape, rows.dtype, bool(self.warm_start))
        history = History(self.snapshot_every)
        result = lbfgs_rows(
            chain, self._make_loss(), rows, self._penalty(), max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol, history=history,
            warn=self.tol is not None,  # tol=None: run max_iter, as the engine
        )  # fmt: skip
        self._finish(chain, shape, result.n_iter, history, result.n_iter)

    def _finish(
        self,
        chain: Chain,
        shape: tuple[int, int],
        n_iter: int,
        history: History | None = None,
        t: int = 0,
        trainer: Trainer | None = None,
    ) -> None:
        """Store the fitted parameters (X, Y widths ``shape``), counts and History.

        ``trainer``: the engine a later ``partial_fit`` continues (None: a later
        partial_fit or warm start starts a new one from the fitted parameters).
        """
        self._store_fitted(chain)
        self._fitted_shape = shape
        self._trainer = trainer
        self.n_iter_, self.t_ = n_iter, t
        if history is None:  # no record: drop a previous fit's
            for key in ("history_", "loss_curve_"):
                self.__dict__.pop(key, None)
        else:
            self.history_ = history
            self.loss_curve_ = np.asarray(history.epoch_loss)
