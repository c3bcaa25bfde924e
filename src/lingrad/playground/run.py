"""One run of the playground: data, the estimator, its Trainer, and the optimum.

The estimator is lingrad's own (``lingrad.models``): its ``_prepare`` encodes the
targets, its ``_start`` builds the chain and the Trainer exactly as ``fit`` would,
and after every chunk of steps ``_finish`` stores the parameters, so ``predict``,
``score`` and ``lingrad.save`` see the model as trained so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Array
from lingrad.models.registry import MODELS, ModelSpec
from lingrad.playground.data import Dataset, load
from lingrad.playground.settings import ITERATIVE, Settings, SettingsError
from lingrad.playground.stepper import MAX_STEPS, Stepper
from lingrad.training.history import History
from lingrad.training.train import Trainer

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.plot.plane import Plane, PlaneGrid

SMALL = 24  # models with at most this many parameters get per-entry panels
MAX_OPTIMUM_PARAMS = 200  # the exact optimum is computed up to this size
MAX_OPTIMUM_WORK = 2_000_000  # ... and up to this many parameters x rows


@dataclass
class Optimum:
    """The exact minimiser of the same J, where one exists (else ``params`` None)."""

    params: dict[str, Array] | None  # by chain.params key
    J: float | None
    how: str  # "closed form (normal equation)", "Newton", ... or why there is none


@dataclass
class Run:
    """Everything one configuration trains with."""

    settings: Settings
    spec: ModelSpec
    data: Dataset
    X: Array  # (N, D) as trained: standardized when settings.scale
    Y: Array  # (N, K) training targets as the estimator encodes them
    est: GradientEstimator
    stepper: Stepper | None  # None for the exact solvers
    mean: NDArray[np.float64] | None = None  # the standardization, if settings.scale
    std: NDArray[np.float64] | None = None
    init_note: str = ""
    optimum: Optimum | None = None
    notes: list[str] = field(default_factory=list)  # lr / batch-size changes
    plane: tuple[Plane, PlaneGrid] | None = None  # the decision region's, made once

    @property
    def trainer(self) -> Trainer | None:
        return None if self.stepper is None else self.stepper.trainer

    @property
    def iterative(self) -> bool:
        return self.stepper is not None

    @property
    def fitted(self) -> bool:
        return hasattr(self.est, "n_iter_")

    def finish(self) -> None:
        """Store the trainer's parameters in the estimator (predict sees them)."""
        tr = self.trainer
        if tr is None:
            return
        self.est.adopt_trainer(tr, (self.X.shape[1], self.Y.shape[1]), tr.epoch)
        self.est.lr = self.settings.lr  # the rate now (a change is in History)


_EXACT = {
    "normal": "The normal equation solves ∇J = 0 in one go",
    "lbfgs": "L-BFGS minimises J with its own line searches",
    "newton": "Newton's method steps with the Hessian",
}


def build(settings: Settings, upload: Path | Dataset | None) -> Run:
    """Load the data and set up the estimator and its Trainer (or exact solver)."""
    spec = MODELS[settings.model]
    data = load(settings, spec, upload)
    X: np.ndarray = np.asarray(data.X, dtype=np.float64)
    mean = std = None
    if settings.scale:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        X = (X - mean) / std
    est = spec.cls()(**settings.estimator_params())
    try:
        problem = est.training_problem(X, data.y)
    except ValueError as e:
        raise SettingsError({"model": str(e)}) from e
    assert problem.X is not None and problem.Y is not None  # given X, y: both set
    X, Y = problem.X, problem.Y
    spec = spec.for_loss(getattr(est, "loss", None))  # the summary names the loss
    run = Run(settings, spec, data, X, Y, est, None, mean, std)
    if settings.solver not in ITERATIVE:
        how = _EXACT[settings.solver]
        run.init_note = (
            f"{how}: no gradient-descent step to write out. Choose solver sgd, "
            "minibatch or batch to see every step."
        )
        return run
    trainer = problem.trainer
    assert trainer is not None  # an iterative solver
    run.init_note = (
        f"initial parameters: {type(est).__name__}'s own (seed {settings.seed})"
    )
    params = trainer.chain.params
    lecture = data.init_W is not None and not settings.scale
    if (
        settings.init == "lecture"
        and lecture
        and list(params) == ["affine.W", "affine.b"]
        and data.init_W is not None
    ):
        if params["affine.W"].shape == np.shape(data.init_W):
            params["affine.W"][...] = data.init_W
            params["affine.b"][...] = data.init_b
            run.init_note = "initial parameters: the lecture's (drawn with its seed)"
    n_params = sum(p.size for p in params.values())
    trainer.history = History(
        snapshot_every=1 if n_params <= SMALL else None,
        max_steps=MAX_STEPS,
        max_snapshots=MAX_STEPS,
    )
    run.stepper = Stepper(trainer, X, Y, problem.n_correct)
    run.finish()
    return run


def solve(run: Run, est: GradientEstimator) -> None:
    """Fit ``est`` (a clone of the run's) with its exact solver on the run's data."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning shows as the J curve
        est.fit(run.X, run.data.y)


def objective(est: GradientEstimator, X: Array, Y: Array) -> float:
    """J = mean loss + penalty of a fitted estimator on (X, Y), through its chain."""
    from lingrad.training.step import objective as objective_fn

    problem = est.training_problem(start="fitted")
    assert problem.chain is not None  # a fitted estimator has its chain
    return objective_fn(problem.chain, problem.loss, problem.penalty, X, Y)


_NO_OPTIMUM = {
    "perceptron": "the perceptron criterion has no unique minimum",
    "multiclass-perceptron": "the perceptron criterion has no unique minimum",
    "bipolar": "J (squared error after a bipolar sigmoid) is not convex",
    "two-layer": "J of a network with a hidden layer is not convex",
    "residual": "J of a network with a hidden layer is not convex",
}


def optimum(run: Run) -> Optimum:
    """The exact minimiser of the run's J (closed form or Newton / L-BFGS)."""
    s = run.settings
    if s.model in _NO_OPTIMUM:
        return Optimum(None, None, f"none: {_NO_OPTIMUM[s.model]}")
    if s.model == "logistic" and s.loss == "squared":
        why = "none: J (squared error after a sigmoid) is not convex"
        return Optimum(None, None, why)
    if s.model == "logistic" and run.Y.shape[1] > 1:
        return Optimum(None, None, "none shown: one-vs-rest trains K separate models")
    n_params = run.X.shape[1] * run.Y.shape[1] + run.Y.shape[1]
    if n_params > MAX_OPTIMUM_PARAMS or n_params * len(run.X) > MAX_OPTIMUM_WORK:
        return Optimum(
            None,
            None,
            f"not computed: {n_params} parameters is more than the playground solves "
            "exactly while you train (lingrad fit --solver newton does)",
        )
    smooth = s.penalty in ("none", "l2")
    solver = {"linear": "normal", "logistic": "newton", "softmax": "newton"}[s.model]
    if not smooth or s.loss == "huber":  # the normal equation: squared error only
        solver = "lbfgs"
    params = dict(s.estimator_params(), solver=solver, tol=1e-10, max_iter=500)
    exact = run.spec.cls()(**params)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exact.fit(run.X, run.data.y)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
            return Optimum(None, None, f"none: the exact solver failed ({e})")
    if s.penalty == "none" and run.spec.is_classifier:
        if exact.score(run.X, run.data.y) == 1.0:
            return Optimum(
                None,
                None,
                "none: the classes are separable, so J keeps falling as the "
                "weights grow (no finite minimum)",
            )
    how = {
        "normal": "closed form (normal equation)",
        "newton": "Newton's method",
        "lbfgs": "L-BFGS",
    }[solver]
    chain = exact.training_problem(start="fitted").chain
    assert chain is not None  # a fitted estimator has its chain
    values = {k: np.array(p, copy=True) for k, p in chain.params.items()}
    return Optimum(values, objective(exact, run.X, run.Y), how)
