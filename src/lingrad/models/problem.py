"""What an estimator trains, as one public object: :class:`TrainingProblem`.

``J = loss(chain(X), Y) + Σ_W penalty(W)`` with the chain's starting (or fitted)
parameters, the targets Y as the estimator encodes them, the sample weights
(times ``class_weight``), the accuracy counter and, for the iterative solvers,
the estimator's ``Trainer`` on that chain. ``GradientEstimator.training_problem``
builds it; ``lingrad explain``, the playground, the Dask and streamed fits and
the demos read it instead of the estimators' private hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Affine, Array, Node, SparseRows, XLike
from lingrad.core.penalties import Penalty
from lingrad.errors import LingradError
from lingrad.models.params import ITERATIVE_SOLVERS
from lingrad.solvers import proximal_l1
from lingrad.training.epoch import NCorrect
from lingrad.training.train import Trainer

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

STARTS = ("fit", "fresh", "fitted", "continue")


def affine_at(chain: Chain, i: int = 0) -> Affine:
    """The Affine node ``chain.nodes[i]`` (typed: a linear model's first node)."""
    return cast(Affine, chain.nodes[i])


Dtype = DTypeLike | None  # the parameters' dtype; None: float64 or the fitted one's
XRows: TypeAlias = "Array | SparseRows"  # X validated: a float ndarray, or CSR


@dataclass
class TrainingProblem:
    """The chain, loss, penalty and encoded data of a fit (see the module)."""

    chain: Chain | None  # None: no data and no shape were given
    loss: Loss
    penalty: Penalty | None  # the full penalty (L1 included)
    X: Array | None  # validated as fit validates it
    Y: Array | None  # (N, K) the training targets
    sample_weight: Array | None  # mean 1, times class_weight; None: all 1
    n_correct: NCorrect  # counter of correct predictions (classifiers), else None
    trainer: Trainer | None  # the estimator's Trainer (iterative solvers)
    output_node: Node | None  # a display-only output node (the perceptron's Step)

    def iterative(self) -> Trainer:
        """The Trainer of an iterative solver (a LingradError where there is none)."""
        if self.trainer is None:
            raise LingradError("this fit has no Trainer: its solver is not iterative")
        return self.trainer


def batch_size(est: GradientEstimator) -> int | None:
    """Examples per step of an iterative solver (None: all)."""
    if est.solver == "sgd":
        return 1
    if est.solver == "batch":
        return None
    return int(est.batch_size)  # minibatch


def make_trainer(
    est: GradientEstimator, chain: Chain, rng: np.random.RandomState
) -> Trainer:
    """The estimator's Trainer on ``chain`` (its seed drawn from ``rng``); an L1
    part of the penalty becomes a proximal step (``lingrad.solvers.proximal``)."""
    est._check_engine()
    penalty, optimizer = proximal_l1(est._penalty(), est.optimizer)
    return Trainer(
        chain,
        est._make_loss(),
        penalty=penalty,
        optimizer=optimizer,
        lr=est.lr,
        schedule=est.schedule,
        batch_size=batch_size(est),
        shuffle=est.shuffle,
        random_state=rng.randint(np.iinfo(np.int32).max),
        snapshot_every=est.snapshot_every,
        verbose=est.verbose,
        engine=est._engine(),
    )


def starting_chain(
    est: GradientEstimator,
    shape: tuple[int, int],
    dtype: DTypeLike | None,
    keep: bool,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[Chain, Trainer | None]:
    """The chain a fit starts from (the fitted one when ``keep`` and the shape
    matches, else fresh) and, for an iterative solver, a new Trainer on it that
    continues the fitted step count and History."""
    rng = check_random_state(est.random_state if random_state is None else random_state)
    warm = keep and est._is_fitted_for(*shape)
    chain = est._chain_from_fitted() if warm else est._init_chain(*shape, rng, dtype)
    if est.solver not in ITERATIVE_SOLVERS:
        return chain, None
    trainer = make_trainer(est, chain, rng)
    if warm:
        trainer.t = est.t_  # the schedule continues
        if getattr(est, "history_", None) is not None:
            trainer.history = est.history_  # and so does the record
    return chain, trainer


def training_problem(
    est: GradientEstimator,
    X: XLike | None,
    y: ArrayLike | None,
    sample_weight: ArrayLike | None,
    start: str,
    random_state: int | np.random.RandomState | None,
    shape: tuple[int, int] | None,
    dtype: DTypeLike | None,
) -> TrainingProblem:
    """``GradientEstimator.training_problem``: see its docstring."""
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}; got {start!r}.")
    Xv = Y = s = None
    if X is not None:
        reset = start in ("fit", "fresh")
        Xv, Y, s = est._prepare(X, y, sample_weight, reset=reset)
        shape, dtype = (Xv.shape[1], Y.shape[1]), Xv.dtype
    chain, trainer = None, None
    if start == "fitted":
        check_is_fitted(est)
        chain = est._chain_from_fitted()
    elif start == "continue" and shape is not None:
        trainer = est._start(*shape, dtype, keep=True, partial=True)
        chain = trainer.chain
    elif shape is not None:
        keep = start == "fit" and bool(est.warm_start)
        chain, trainer = starting_chain(est, shape, dtype, keep, random_state)
    return TrainingProblem(
        chain,
        est._make_loss(),
        est._penalty(),
        Xv,
        Y,
        s,
        est._n_correct(),
        trainer,
        getattr(est, "_output_node", lambda: None)(),
    )
