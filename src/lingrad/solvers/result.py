"""What every iterative solver returns: θ, iterations, J and convergence."""

from __future__ import annotations

from dataclasses import dataclass

from lingrad.nodes import Array


@dataclass
class SolverResult:
    """What a solver did: final θ, iterations, final J, and whether it converged."""

    theta: Array
    n_iter: int
    J: float
    converged: bool
    message: str = ""
