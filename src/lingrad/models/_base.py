"""What every gradient-trained estimator shares: parameters, solvers, the Trainer.

A subclass defines its ``__init__`` (explicit keyword parameters, stored as-is)
and four hooks:

- ``_init_chain(n_features, n_outputs, rng, dtype) -> Chain``: fresh parameters;
- ``_chain_from_fitted() -> Chain``: a chain sharing the fitted arrays
  (``coef_``, ``intercept_``, ...), used by predict, warm starts and ``explain``;
- ``_store_fitted(chain)``: copy the trained parameters into the fitted attributes;
- ``_make_loss() -> Loss``: the training loss (fused logit forms where they exist).

``_fit_iterative`` runs the shared training engine and ``_fit_lbfgs`` the
quasi-Newton solver on the same J (``lingrad.solvers.lbfgs``); both record
``history_``. Other ``solver`` names with their own routine (``normal``,
``newton``) are dispatched by the subclass, which then calls ``_finish``.
An L1 part of the penalty is applied by a proximal soft-threshold step after
each gradient step (``lingrad.solvers.proximal_l1``), so L1 gives exact zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from lingrad.chain import Chain
from lingrad.history import History
from lingrad.losses import Loss
from lingrad.penalties import Penalty, make_penalty
from lingrad.solvers import lbfgs, proximal_l1
from lingrad.train import Trainer

ITERATIVE_SOLVERS = ("sgd", "minibatch", "batch")

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
    shuffle : bool
        Shuffle the examples every epoch (False: the lectures' data order).
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
"""


class GradientEstimator(BaseEstimator):
    """Base of lingrad's estimators; see the module docstring for the hooks."""

    _trainer: Trainer | None  # the engine of the last iterative fit, if any

    # ---- hooks -------------------------------------------------------------
    def _init_chain(
        self, n_features: int, n_outputs: int, rng: np.random.RandomState, dtype: Any
    ) -> Chain:
        raise NotImplementedError

    def _chain_from_fitted(self) -> Chain:
        raise NotImplementedError

    def _store_fitted(self, chain: Chain) -> None:
        raise NotImplementedError

    def _make_loss(self) -> Loss:
        raise NotImplementedError

    def _n_correct(self) -> Any:
        """Counter of correct predictions from the chain output (classifiers)."""
        return None

    # ---- shared ------------------------------------------------------------
    def _store_params(self, args: dict[str, Any]) -> None:
        """Store every constructor argument as given (scikit-learn's contract)."""
        for key, value in args.items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)

    def _penalty(self) -> Penalty | None:
        return make_penalty(
            getattr(self, "penalty", "none"),
            getattr(self, "alpha", 0.0),
            getattr(self, "l1_ratio", 0.15),
        )

    def _batch_size(self) -> int | None:
        solver = self.solver
        if solver == "sgd":
            return 1
        if solver == "batch":
            return None
        if solver == "minibatch":
            return int(self.batch_size)
        raise ValueError(
            f"solver={solver!r} is not an iterative solver; "
            f"expected one of {ITERATIVE_SOLVERS}."
        )

    def _make_trainer(self, chain: Chain, rng: np.random.RandomState) -> Trainer:
        penalty, optimizer = proximal_l1(
            self._penalty(), getattr(self, "optimizer", "gd")
        )
        trainer = Trainer(
            chain,
            self._make_loss(),
            penalty=penalty,
            optimizer=optimizer,
            lr=self.lr,
            schedule=self.schedule,
            batch_size=self._batch_size(),
            shuffle=self.shuffle,
            random_state=rng.randint(np.iinfo(np.int32).max),
            snapshot_every=getattr(self, "snapshot_every", None),
            verbose=self.verbose,
        )
        return trainer

    def _start(
        self, n_features: int, n_outputs: int, dtype: Any, keep: bool, partial: bool
    ) -> Trainer:
        """The trainer to continue (``partial``), or a new one from fitted (``keep``)
        or fresh parameters; a new one takes the current hyperparameters."""
        trainer = getattr(self, "_trainer", None)
        if partial and trainer is not None:
            return trainer  # type: ignore[no-any-return]
        rng = check_random_state(self.random_state)
        if keep and self._is_fitted_for(n_features, n_outputs):
            chain = self._chain_from_fitted()
        else:
            chain = self._init_chain(n_features, n_outputs, rng, dtype)
        trainer = self._make_trainer(chain, rng)
        if keep and self._is_fitted_for(n_features, n_outputs):
            trainer.t = getattr(self, "t_", 0)  # the schedule continues
            if getattr(self, "history_", None) is not None:
                trainer.history = self.history_  # and so does the record
        self._trainer = trainer
        return trainer

    def _fit_iterative(
        self, X: Any, Y: Any, sample_weight: Any = None, *, partial: bool = False
    ) -> None:
        """Train with the engine; ``partial``: one epoch, continuing the schedule."""
        keep = partial or bool(getattr(self, "warm_start", False))
        trainer = self._start(X.shape[1], Y.shape[1], X.dtype, keep, partial)
        if partial:
            trainer.partial_fit(
                X, Y, sample_weight=sample_weight, n_correct=self._n_correct()
            )
            self.n_iter_ = getattr(self, "n_iter_", 0) + 1
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
            self.n_iter_ = result.n_iter
        self._finish(
            trainer.chain, (X.shape[1], Y.shape[1]), trainer.history, trainer.t
        )

    def _is_fitted_for(self, n_features: int, n_outputs: int) -> bool:
        """True when fitted parameters of this shape exist (for warm starts)."""
        return getattr(self, "_fitted_shape", None) == (n_features, n_outputs)

    def _fresh_or_warm_chain(
        self, n_features: int, n_outputs: int, dtype: Any
    ) -> Chain:
        """The fitted chain under ``warm_start`` (same shape), else a fresh one."""
        if getattr(self, "warm_start", False) and self._is_fitted_for(
            n_features, n_outputs
        ):
            return self._chain_from_fitted()
        rng = check_random_state(self.random_state)
        return self._init_chain(n_features, n_outputs, rng, dtype)

    def _fit_lbfgs(self, X: Any, Y: Any, sample_weight: Any = None) -> None:
        """Minimise the same J as the engine with L-BFGS-B (``solvers.lbfgs``)."""
        chain = self._fresh_or_warm_chain(X.shape[1], Y.shape[1], X.dtype)
        history = History(getattr(self, "snapshot_every", None))
        result = lbfgs(
            chain,
            self._make_loss(),
            X,
            Y,
            self._penalty(),
            sample_weight,
            max_iter=self.max_iter,
            tol=0.0 if self.tol is None else self.tol,
            history=history,
            warn=self.tol is not None,  # tol=None: run max_iter, as the engine
        )
        self._trainer = None  # a later partial_fit / warm start starts anew
        self.n_iter_ = result.n_iter
        self._finish(chain, (X.shape[1], Y.shape[1]), history, result.n_iter)

    def _finish(
        self,
        chain: Chain,
        shape: tuple[int, int],
        history: History | None = None,
        t: int = 0,
    ) -> None:
        """Store the fitted parameters (X, Y widths ``shape``) and the History."""
        self._store_fitted(chain)
        self._fitted_shape = shape
        self.t_ = t
        if history is not None:
            self.history_ = history
            self.loss_curve_ = np.asarray(history.epoch_loss)
