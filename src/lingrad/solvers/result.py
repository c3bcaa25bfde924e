"""What an iterative solver returns (θ, iterations, J, convergence), and its check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingrad.core.nodes import Array


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
