"""Every hyperparameter's valid values, in one table, and the check that enforces it.

:data:`CONSTRAINTS` lists, for each parameter name, the kinds of value it may
take (a value is valid when it satisfies one of them); ``solver`` takes the
class's own ``_solvers`` and ``loss`` its ``_losses`` (names of the registry
``lingrad.core.losses.LOSSES`` where the estimator builds the loss from it).
:func:`check_params` runs before every ``fit`` and ``partial_fit`` (and when a
model file is loaded), so ``alpha=-1``, ``alpha=nan``, ``lr=0`` or
``l1_ratio=2`` are refused before training with an
:class:`~lingrad.errors.InvalidParameterError` (a ValueError and a TypeError,
as scikit-learn's) in scikit-learn's words::

    The 'alpha' parameter of LogisticRegression must be a float in the range
    [0.0, inf). Got -1 instead.

A parameter without an entry here (one another module adds) is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad.errors import InvalidParameterError
from lingrad.training.optim import OPTIMIZERS, Optimizer
from lingrad.training.schedules import SCHEDULES, Schedule

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

__all__ = ["CONSTRAINTS", "ITERATIVE_SOLVERS", "Constraint", "check_params"]

ITERATIVE_SOLVERS = ("sgd", "minibatch", "batch")
BINARY_ONLY = "Only binary classification is supported."  # a binary-only model

# what the estimators' hyperparameters may be (their types in ``__init__``)
ScheduleLike = str | Schedule | Callable[[int], float]  # a name, or lr_t of step t
OptimizerLike = str | Optimizer  # a name, or an object with ``step``
RandomStateLike = int | np.random.RandomState | None
# class label -> weight, or "balanced"; a label is any hashable, and a dict's key
# type is invariant (dict[str, float] is no dict[Hashable, float]): hence Any
ClassWeight = dict[Any, float] | str | None


@dataclass(frozen=True)
class Constraint:
    """One kind of valid value: its words in the error message and its test."""

    text: str  # "a float in the range [0.0, inf)"
    test: Callable[[object], bool]

    def __str__(self) -> str:
        return self.text


def interval(
    kind: type, low: float | None, high: float | None, closed: str
) -> Constraint:
    """Numbers of ``kind`` (``Integral`` or ``Real``) between ``low`` and ``high``.

    ``closed`` is ``"left"``, ``"right"``, ``"both"`` or ``"neither"``; a bound of
    None is unbounded (so ``high=None`` admits inf, ``high=np.inf`` with an open
    right end does not); NaN is never in range.
    """
    integral = kind is Integral
    shown = int if integral else float
    left = "-inf" if low is None else shown(low)
    right = "inf" if high is None else shown(high)
    lo_in, hi_in = closed in ("left", "both"), closed in ("right", "both")
    text = (
        f"{'an int' if integral else 'a float'} in the range "
        f"{'[' if lo_in else '('}{left}, {right}{']' if hi_in else ')'}"
    )

    def between(x: Any) -> bool:  # Any: numbers.Real has no static types (PEP 484)
        above = low is None or (x >= low if lo_in else x > low)
        below = high is None or (x <= high if hi_in else x < high)
        return bool(above and below)

    def test(x: object) -> bool:
        return bool(isinstance(x, kind) and x == x and between(x))  # NaN != NaN

    return Constraint(text, test)


def options(names: Iterable[str]) -> Constraint:
    """One of the strings ``names``."""
    allowed = frozenset(names)
    shown = ", ".join(repr(n) for n in sorted(allowed))
    return Constraint(
        f"a str among {{{shown}}}", lambda x: isinstance(x, str) and x in allowed
    )


def has_method(name: str) -> Constraint:
    """An object with a method ``name`` (e.g. an optimizer's ``step``)."""
    return Constraint(
        f"an object implementing {name!r}",
        lambda x: not isinstance(x, str) and callable(getattr(x, name, None)),
    )


def instance_of(cls: type | tuple[type, ...], words: str) -> Constraint:
    """An instance of ``cls``, described as ``words``."""
    return Constraint(words, lambda x: isinstance(x, cls))


NONE = Constraint("None", lambda x: x is None)
BOOL = instance_of((bool, np.bool_), "a bool")
CALLABLE = Constraint("a callable", callable)
POSITIVE = interval(Real, 0, np.inf, "neither")  # finite and > 0
NON_NEGATIVE = interval(Real, 0, np.inf, "left")  # finite and >= 0
COUNT = interval(Integral, 1, None, "left")  # 1, 2, 3, ...
RANDOM_STATE = [
    interval(Integral, 0, 2**32 - 1, "both"),
    instance_of(np.random.RandomState, "a numpy.random.RandomState"),
    NONE,
]

CONSTRAINTS: dict[str, list[Constraint]] = {
    "lr": [POSITIVE],
    "schedule": [options(SCHEDULES), CALLABLE],
    "optimizer": [options(OPTIMIZERS), has_method("step")],
    "batch_size": [COUNT],
    "max_iter": [COUNT],
    "tol": [interval(Real, 0, None, "both"), NONE],  # inf: stop on patience only
    "n_iter_no_change": [COUNT],
    "early_stopping": [BOOL],
    "validation_fraction": [interval(Real, 0, 1, "neither")],
    "shuffle": [BOOL, options({"rows", "blocks"})],
    "engine": [options({"auto", "nodes", "compiled"})],
    "random_state": RANDOM_STATE,
    "warm_start": [BOOL],
    "penalty": [options({"none", "l1", "l2", "elasticnet"}), NONE],
    "alpha": [NON_NEGATIVE],
    "l1_ratio": [interval(Real, 0, 1, "both")],
    "fit_intercept": [BOOL],
    "verbose": [interval(Integral, 0, None, "left"), BOOL],
    "snapshot_every": [COUNT, NONE],
    "class_weight": [instance_of(dict, "a dict"), options({"balanced"}), NONE],
    "n_hidden": [COUNT],
    "epsilon": [POSITIVE],
}


def constraints_of(estimator: GradientEstimator) -> dict[str, list[Constraint]]:
    """``{parameter: constraints}`` for every parameter of ``estimator`` that has an
    entry (``solver``: the class's ``_solvers``; ``loss``: its ``_losses``)."""
    cls = type(estimator)
    table = {**CONSTRAINTS, "solver": [options(cls._solvers)]}
    if hasattr(cls, "_losses"):
        table["loss"] = [options(cls._losses)]
    return {
        name: table[name] for name in estimator.get_params(deep=False) if name in table
    }


def check_params(estimator: GradientEstimator) -> None:
    """Refuse the first parameter of ``estimator`` that satisfies none of its
    constraints, with an :class:`~lingrad.errors.InvalidParameterError`."""
    values = estimator.get_params(deep=False)
    for name, allowed in constraints_of(estimator).items():
        value = values[name]
        if any(c.test(value) for c in allowed):
            continue
        words = [str(c) for c in allowed]
        must = (
            words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        )
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(estimator).__name__} must be {must}. "
            f"Got {value!r} instead."
        )
