"""What an iterative solver returns (θ, iterations, J, convergence), and its check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from lingrad.core.nodes import Array

if TYPE_CHECKING:
    from lingrad.training.history import History


class SolveInfo(TypedDict, total=False):
    """How a closed form was solved (``solver_info_``): method, rank, conditioning."""

    method: str
    rank: int
    condition_number: float  # of XᵀX (inf: singular; nan: not formed)
    condition_number_scaled: float  # of the unit-diagonal XᵀX (the solver's choice)
    condition_number_ridge: float  # of XᵀX + l2 I
    singular_values: Array  # of the centred √S X
    iterations: list[int]  # conjugate gradients per target column
    relative_residual: float
    refinement_steps: int


class LbfgsOptions(TypedDict, total=False):
    """The keywords ``lbfgs`` passes on to ``lbfgs_rows``."""

    max_iter: int
    tol: float
    history: History | None
    warn: bool


class NewtonOptions(LbfgsOptions, total=False):
    """The keywords ``newton_logistic`` passes on to ``newton_logistic_rows``."""

    W0: Array | None
    b0: Array | None
    lazy: bool


@dataclass
class SolverResult:
    """What a solver did: final θ, iterations, final J, and whether it converged."""

    theta: Array
    n_iter: int
    J: float
    converged: bool
    message: str = ""
    n_hessians: int = 0  # Newton: Hessians formed


class SolverError(ValueError):
    """An exact solver could not produce a trustworthy model (says why and what to do).

    Raised instead of returning parameters that are not finite, or an
    optimiser's "result" that never decreased J. A ``ValueError``, so the
    command line reports it as a user-facing error.
    """


HINT = (
    "Features with huge magnitudes (e.g. 1e308) or an extreme alpha are the usual "
    "cause: standardize the features (--scale) or check the hyperparameters."
)


def check_result(result: SolverResult, J0: float, solver: str) -> None:
    """Refuse a result that is not finite, or that never decreased J from ``J0``.

    A solver that claims convergence must not have raised J; one that did
    not converge must at least have decreased it (else its "model" is just
    the starting point).
    """
    if not (np.all(np.isfinite(result.theta)) and np.isfinite(result.J)):
        raise SolverError(
            f"{solver} ended with non-finite parameters or loss (J = {result.J:.6g}, "
            f"after {result.n_iter} iterations: {result.message}). {HINT}"
        )
    if result.converged and not result.J <= J0:
        raise SolverError(
            f"{solver} claims convergence but J rose from {J0:.6g} to "
            f"{result.J:.6g}. {HINT}"
        )
    if not result.converged and not result.J < J0:
        raise SolverError(
            f"{solver} stopped after {result.n_iter} iterations ({result.message}) "
            f"without decreasing J from its starting value {J0:.6g}: the parameters "
            f"would be the starting point, not a fit. {HINT}"
        )
