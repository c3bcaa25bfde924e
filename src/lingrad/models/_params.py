"""The hyperparameters' valid values, in one table, and what a solver ignores.

:func:`parameter_constraints` gives scikit-learn's ``_parameter_constraints``
for any lingrad estimator (its ``solver`` options are the class's ``_solvers``),
so ``fit`` and ``partial_fit`` refuse ``alpha=-1``, ``alpha=nan``, ``lr=0`` or
``l1_ratio=2`` with scikit-learn's ``InvalidParameterError`` before training.
A parameter without an entry here (one another module adds) is not validated.

:func:`warn_unused` warns once per fit when ``lr``, ``schedule`` or
``batch_size`` differ from the class's default but the solver does not use them
(``lr`` with ``solver="lbfgs"``: a grid search over it would change nothing).
:data:`partial_fit_for_iterative` makes ``partial_fit`` exist only for the
iterative solvers, and its absence say which solvers have it.
"""

from __future__ import annotations

import inspect
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from lingrad.errors import LingradError, UnusedParameterWarning
from lingrad.optim import OPTIMIZERS
from lingrad.schedules import SCHEDULES

ITERATIVE_SOLVERS = ("sgd", "minibatch", "batch")
_FINITE_POSITIVE = Interval(Real, 0, np.inf, closed="neither")
_FINITE_NON_NEGATIVE = Interval(Real, 0, np.inf, closed="left")
_COUNT = Interval(Integral, 1, None, closed="left")

CONSTRAINTS: dict[str, list[Any]] = {
    "lr": [_FINITE_POSITIVE],
    "schedule": [StrOptions(set(SCHEDULES)), callable],
    "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["step"])],
    "batch_size": [_COUNT],
    "max_iter": [_COUNT],
    "tol": [Interval(Real, 0, None, closed="both"), None],  # inf: stop on patience
    "n_iter_no_change": [_COUNT],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "penalty": [StrOptions({"none", "l1", "l2", "elasticnet"}), None],
    "alpha": [_FINITE_NON_NEGATIVE],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "fit_intercept": ["boolean"],
    "verbose": ["verbose"],
    "snapshot_every": [_COUNT, None],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "loss": [StrOptions({"log", "squared"})],
    "n_hidden": [_COUNT],
}


def parameter_constraints(estimator: Any) -> dict[str, Any]:
    """``{param: constraints}`` for every parameter of ``estimator``."""
    table = {**CONSTRAINTS, "solver": [StrOptions(set(estimator._solvers))]}
    return {
        name: table.get(name, "no_validation")
        for name in estimator.get_params(deep=False)
    }


_USED_BY = {  # the solvers that read each parameter
    "lr": ITERATIVE_SOLVERS,
    "schedule": ITERATIVE_SOLVERS,
    "batch_size": ("minibatch",),
}


def warn_unused(estimator: Any) -> None:
    """One :class:`UnusedParameterWarning` naming every parameter set away from its
    default that ``estimator.solver`` does not use."""
    defaults = {
        p.name: p.default
        for p in inspect.signature(type(estimator).__init__).parameters.values()
    }
    solver = estimator.solver
    unused = [
        f"{name}={getattr(estimator, name)!r}"
        for name, used_by in _USED_BY.items()
        if solver not in used_by
        and name in defaults
        and _differs(getattr(estimator, name), defaults[name])
    ]
    if unused:
        users = sorted({s for name in unused for s in _USED_BY[name.split("=")[0]]})
        warnings.warn(
            f"{type(estimator).__name__}: {', '.join(unused)} "
            f"{'is' if len(unused) == 1 else 'are'} ignored by solver={solver!r} "
            f"(used by solver {', '.join(repr(s) for s in users)} only); leave "
            f"{'it' if len(unused) == 1 else 'them'} at the default or choose such "
            "a solver",
            UnusedParameterWarning,
            stacklevel=4,
        )


def _differs(value: Any, default: Any) -> bool:
    try:
        return bool(value != default)
    except (TypeError, ValueError):
        return value is not default


class NoPartialFitError(LingradError, AttributeError):
    """``partial_fit`` on a solver that trains in one go (lbfgs, newton, normal)."""


class partial_fit_for_iterative:  # noqa: N801  (used as a decorator)
    """``partial_fit`` for the iterative solvers only; otherwise an AttributeError
    (so ``hasattr`` is False, as scikit-learn expects) that says which solvers
    have it."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.fn
        if obj.solver not in ITERATIVE_SOLVERS:
            raise NoPartialFitError(
                f"{type(obj).__name__}.partial_fit trains one epoch with an iterative "
                f"solver ('sgd', 'minibatch' or 'batch'); solver={obj.solver!r} "
                "trains in one go: call fit, or set solver='sgd' (or 'minibatch', "
                "'batch') to train incrementally"
            )
        return self.fn.__get__(obj, owner)
