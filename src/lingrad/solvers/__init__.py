"""Closed forms and second-order solvers, driven by lingrad's own J and dJ/dθ.

- :func:`normal_equation` (``closed_form``): least squares / ridge without ever
  forming ``inv(XᵀX)``: Householder QR of ``[X y]``, then an SVD of the small R;
- :func:`lbfgs` (``quasi_newton``): any chain + loss (+ penalty) under scipy's
  L-BFGS-B, J and its gradient from our forward/backward; L1 by splitting
  ``W = U - V``, U, V ≥ 0;
- :func:`newton` (``newton``): damped Newton with an Armijo line search for any
  ``f_grad_hess(θ) -> (J, g, H)``; :func:`newton_logistic` supplies the
  logistic Hessian ``Xᵀ diag(s ŷ(1 - ŷ)/N) X`` (the multinomial one is in
  ``newton_softmax``);
- :class:`ProximalL1` (``proximal``): the soft-threshold step that gives
  gradient descent exact zeros under an L1 penalty (see :func:`proximal_l1`).
"""

from lingrad.solvers.closed_form import (
    ILL_CONDITIONED,
    IllConditionedWarning,
    normal_equation,
)
from lingrad.solvers.newton import newton, newton_logistic
from lingrad.solvers.proximal import ProximalL1, proximal_l1, split_l1
from lingrad.solvers.quasi_newton import lbfgs
from lingrad.solvers.result import SolverResult

__all__ = [
    "ILL_CONDITIONED",
    "IllConditionedWarning",
    "ProximalL1",
    "SolverResult",
    "lbfgs",
    "newton",
    "newton_logistic",
    "normal_equation",
    "proximal_l1",
    "split_l1",
]
