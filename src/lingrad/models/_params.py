"""What a solver ignores, and ``partial_fit`` for the iterative solvers only.

:func:`warn_unused` warns once per fit when ``lr``, ``schedule`` or
``batch_size`` differ from the class's default but the solver does not use them
(``lr`` with ``solver="lbfgs"``: a grid search over it would change nothing).
:data:`partial_fit_for_iterative` makes ``partial_fit`` exist only for the
iterative solvers, and its absence say which solvers have it. The valid values
of every parameter are in :mod:`lingrad.models.params`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    TypeVar,
    overload,
)

from lingrad.errors import LingradError, UnusedParameterWarning
from lingrad.models.params import ITERATIVE_SOLVERS

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

__all__ = [
    "ITERATIVE_SOLVERS",
    "NoPartialFitError",
    "partial_fit_for_iterative",
    "warn_unused",
]

_USED_BY = {  # the solvers that read each parameter
    "lr": ITERATIVE_SOLVERS,
    "schedule": ITERATIVE_SOLVERS,
    "batch_size": ("minibatch",),
}


def warn_unused(estimator: GradientEstimator) -> None:
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
        and not (name == "batch_size" and solver == "sgd" and estimator.batch_size == 1)
    ]  # batch_size=1 is what "sgd" does anyway
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


def _differs(value: object, default: object) -> bool:
    try:
        return bool(value != default)
    except (TypeError, ValueError):
        return value is not default


class NoPartialFitError(LingradError, AttributeError):
    """``partial_fit`` on a solver that trains in one go (lbfgs, newton, normal)."""


E = TypeVar("E", bound="GradientEstimator")  # the estimator partial_fit returns
P = ParamSpec("P")  # partial_fit's parameters after self


class partial_fit_for_iterative(Generic[P]):  # noqa: N801  (a decorator)
    """``partial_fit`` for the iterative solvers only; otherwise an AttributeError
    (so ``hasattr`` is False, as scikit-learn expects) that says which solvers
    have it. On an estimator it is ``partial_fit(...) -> that estimator``."""

    # self: Any, as the method's own Self type binds to no TypeVar of ours
    def __init__(self, fn: Callable[Concatenate[Any, P], object]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    @overload
    def __get__(
        self, obj: None, owner: type | None = None
    ) -> Callable[Concatenate[Any, P], object]: ...
    @overload
    def __get__(self, obj: E, owner: type | None = None) -> Callable[P, E]: ...
    def __get__(
        self, obj: E | None, owner: type | None = None
    ) -> Callable[Concatenate[Any, P], object] | Callable[P, E]:
        if obj is None:
            return self.fn
        one_go = obj.solver in obj._solvers and obj.solver not in ITERATIVE_SOLVERS
        if one_go:  # (an invalid solver is reported by the parameter checks)
            raise NoPartialFitError(
                f"{type(obj).__name__}.partial_fit trains one epoch with an iterative "
                f"solver ('sgd', 'minibatch' or 'batch'); solver={obj.solver!r} "
                "trains in one go: call fit, or set solver='sgd' (or 'minibatch', "
                "'batch') to train incrementally"
            )
        bound: Callable[P, E] = self.fn.__get__(obj, owner)
        return bound
