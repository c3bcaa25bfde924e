"""Closed forms and second-order solvers, driven by lingrad's own J and dJ/dθ.

Every exact solver reads its data as chunked sums over
:class:`~lingrad.solvers.rows.Rows` (``rows``: in memory, streamed or on Dask),
with per-chunk functions in ``sums`` and ``gram``.

- :func:`normal_equation` / :func:`least_squares` (``closed_form``): least
  squares / ridge from the Gram statistics (``gram``: syrk in row chunks,
  Chan's merge), solved by Cholesky when well-conditioned, else by chunked
  QR of ``[X y]`` and an SVD of the small R (``tsqr``);
- :func:`lbfgs` (``quasi_newton``): any chain + loss (+ penalty) under scipy's
  L-BFGS-B, J and its gradient from our forward/backward; L1 by splitting
  ``W = U - V``, U, V ≥ 0;
- :func:`newton` (``newton``): damped Newton with an Armijo line search for any
  ``fg(θ) -> (J, g)`` and ``hess(θ) -> H``; :func:`newton_logistic` supplies the
  logistic Hessian ``Xᵀ diag(s ŷ(1 - ŷ)/N) X`` (the multinomial one is in
  ``newton_softmax``);
- :class:`ProximalL1` (``proximal``): the soft-threshold step that gives
  gradient descent exact zeros under an L1 penalty (see :func:`proximal_l1`).

A ``scipy.sparse`` X stays sparse (CSR chunks sharing its arrays): the Gram
and the Hessians are sparse products (``sparse_gram``, ``sparse_hessian``);
past ``closed_form.GRAM_MAX_FEATURES`` columns the closed form is CG on the
normal equations (``normal_cg``), and past ``newton.DENSE_HESSIAN_MAX``
parameters a block Newton's Hessian is an operator solved by CG.
"""

from lingrad.solvers.closed_form import (
    ILL_CONDITIONED,
    IllConditionedWarning,
    least_squares,
    normal_equation,
)
from lingrad.solvers.newton import newton, newton_logistic, newton_logistic_rows
from lingrad.solvers.proximal import ProximalL1, proximal_l1, split_l1
from lingrad.solvers.quasi_newton import lbfgs, lbfgs_rows
from lingrad.solvers.result import SolverError, SolverResult
from lingrad.solvers.rows import ArrayRows, Rows

__all__ = [
    "ILL_CONDITIONED",
    "ArrayRows",
    "IllConditionedWarning",
    "ProximalL1",
    "Rows",
    "SolverError",
    "SolverResult",
    "lbfgs",
    "lbfgs_rows",
    "least_squares",
    "newton",
    "newton_logistic",
    "newton_logistic_rows",
    "normal_equation",
    "proximal_l1",
    "split_l1",
]
