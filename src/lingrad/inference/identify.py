"""Rank deficiency: the model on the identified columns of X̃, widened back with NaN.

When some columns of ``X̃ = [1 X]`` are linear combinations of others, their
coefficients are not identified: any θ + v with ``X̃ v = 0`` fits as well. The
summary then describes the model without them: ``β = argmin ‖X̃_K β - X̃ θ̂‖``
(K: the kept columns) gives the same fitted values ``X̃ θ̂``, and the
covariance (and for least squares σ² and the degrees of freedom) is that of
the reduced design ``X̃_K``. The dropped coefficients are reported as NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg

from lingrad.core.nodes import Array
from lingrad.inference.covariance import Estimates, design

RANK_TOL = 10.0  # times eps · max(N, P): the pivoted-QR rank tolerance


def not_identified(X: Array, fit_intercept: bool) -> list[int]:
    """Columns of X̃ that are linear combinations of earlier-pivoted ones.

    With an intercept the columns of X are centred first (the span of [1 X] is
    that of [1 X_c]), so the intercept is always kept and a constant column of
    X is the one dropped.
    """
    if fit_intercept:
        norms = np.sqrt((X * X).sum(axis=0))
        A = X - X.mean(axis=0)
    else:
        A = X
        norms = np.sqrt((A * A).sum(axis=0))
    tol = np.finfo(np.float64).eps * max(A.shape) * RANK_TOL
    cn = np.sqrt((A * A).sum(axis=0))
    flat = cn <= tol * norms  # zero, or constant beside the intercept
    live = np.flatnonzero(~flat)
    dead = [int(j) for j in np.flatnonzero(flat)]
    if len(live):
        B = A[:, live] / cn[live]
        _, R, piv = scipy.linalg.qr(B, mode="economic", pivoting=True)
        d = np.abs(np.diag(R))
        rank = int((d > tol * d[0]).sum())
        dead += [int(live[j]) for j in piv[rank:]]
    shift = 1 if fit_intercept else 0
    return sorted(j + shift for j in dead)


Estimator = Callable[..., Estimates]


def on_identified(
    fn: Estimator,
    X: Array,
    target: Array,
    theta: Array,
    fit_intercept: bool,
    *args: object,
) -> Estimates:
    """``fn(X, target, θ, fit_intercept, *args)`` on the identified columns only.

    ``θ`` is (P,) or (E, P) (one row per equation); the result's coef is
    widened back to that shape and its cov to (E·P, E·P), NaN where dropped.
    """
    dead = not_identified(X, fit_intercept)
    if not dead:
        return fn(X, target, theta, fit_intercept, *args)
    shift = 1 if fit_intercept else 0
    Xt = design(X, fit_intercept)
    P = Xt.shape[1]
    keep = np.array([j for j in range(P) if j not in set(dead)], dtype=np.intp)
    rows = np.atleast_2d(theta)  # (E, P)
    beta = _same_fit(Xt[:, keep], Xt @ rows.T).T  # (E, r)
    beta = beta[0] if theta.ndim == 1 else beta
    est = fn(X[:, keep[shift:] - shift], target, beta, fit_intercept, *args)
    E = len(rows)
    coef = np.full((E, P), np.nan)
    coef[:, keep] = np.atleast_2d(est.coef)
    at = (np.arange(E)[:, None] * P + keep[None, :]).ravel()  # equation-major
    cov = np.full((E * P, E * P), np.nan)
    cov[np.ix_(at, at)] = est.cov
    est.coef = coef.reshape(theta.shape)
    est.cov = cov
    est.not_identified = [int(j) for j in dead]
    return est


def _same_fit(A: Array, F: Array) -> Array:
    """``argmin ‖A β - F‖`` (A full column rank), one refinement step in longdouble."""
    Q, R = np.linalg.qr(A)
    beta = scipy.linalg.solve_triangular(R, Q.T @ F)
    ext = np.longdouble
    r = np.asarray(F.astype(ext) - A.astype(ext) @ beta.astype(ext), dtype=np.float64)
    return np.asarray(beta + scipy.linalg.solve_triangular(R, Q.T @ r))
