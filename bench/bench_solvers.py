"""Exact solvers against scikit-learn: fit time and how close the answers are.

On n = 1,000,000 rows, d = 100 (float64, seeded, standard-normal features):

1. L2 logistic regression, ``C Σ log-loss + ½ ‖w‖²`` with C = 1 (lingrad's
   ``alpha = 1 / (2 C n)``): lingrad's ``lbfgs`` and ``newton`` against
   scikit-learn's ``LogisticRegression(solver="lbfgs")``, all at tol = 1e-4
   (``newton`` at 1e-8: it converges quadratically). Printed: seconds, ratio
   to scikit-learn, iterations, the objective each reached and its relative
   gap to scikit-learn's (negative: lower, i.e. better).
2. Closed-form least squares: lingrad's ``normal`` (Householder QR of
   ``[X y]`` + SVD of R) against ``LinearRegression`` (scipy ``lstsq``), and
   lingrad's ridge (same QR, ridge filter) against ``Ridge(solver="cholesky")``
   (which forms XᵀX). Printed: seconds, ratio, max |coef difference|.

Run: ``python bench/bench_solvers.py [--n 1000000] [--d 100] [--repeat 1]``.
On a shared or busy machine, multithreaded BLAS timings swing tenfold; run
with ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` for stable, fair ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import log_expit
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge

from lingrad.models.linear import LinearRegression
from lingrad.models.logistic import LogisticRegression


def best_time(fit: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls, and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fit()
        best = min(best, time.perf_counter() - t0)
    return best, out


def objective(coef: Any, intercept: Any, X: Any, y: Any, C: float) -> float:
    """scikit-learn's ``C Σ log-loss + ½ ‖w‖²``, computed once for everyone."""
    w = np.ravel(coef)
    z = X @ w + float(np.ravel(intercept)[0])
    log_loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    return C * float(log_loss.sum()) + 0.5 * float(w @ w)


def logistic_table(X: Any, y: Any, repeat: int) -> None:
    n = len(X)
    C = 1.0
    alpha = 1.0 / (2 * C * n)
    fits = {
        "sklearn lbfgs": lambda: SkLogisticRegression(C=C, tol=1e-4).fit(X, y),
        "lingrad lbfgs": lambda: LogisticRegression(alpha=alpha, tol=1e-4).fit(X, y),
        "lingrad newton": lambda: LogisticRegression(
            solver="newton", alpha=alpha, tol=1e-8
        ).fit(X, y),
    }
    rows = {name: best_time(fit, repeat) for name, fit in fits.items()}
    t_ref, ref = rows["sklearn lbfgs"]
    F_ref = objective(ref.coef_, ref.intercept_, X, y, C)
    print(f"\nL2 logistic regression, C = {C} (alpha = 1/(2Cn) = {alpha:.3g})")
    head = f"{'solver':<15} {'seconds':>8} {'/ sklearn':>9} {'iters':>6} "
    head += f"{'objective':>18} {'rel. gap':>10}"
    print(head)
    print("-" * len(head))
    for name, (seconds, model) in rows.items():
        F = objective(model.coef_, model.intercept_, X, y, C)
        print(
            f"{name:<15} {seconds:8.2f} {seconds / t_ref:9.2f} "
            f"{int(np.max(model.n_iter_)):6d} {F:18.10f} {(F - F_ref) / F_ref:10.2e}"
        )


def closed_form_table(X: Any, y: Any, repeat: int) -> None:
    n = len(X)
    a = 10.0  # Ridge's alpha on Σ r²; lingrad's alpha = a / n on the mean
    pairs = {
        "least squares": (
            lambda: SkLinearRegression().fit(X, y),
            lambda: LinearRegression().fit(X, y),
        ),
        "ridge": (
            lambda: Ridge(alpha=a, solver="cholesky").fit(X, y),
            lambda: LinearRegression(penalty="l2", alpha=a / n).fit(X, y),
        ),
    }
    print("\nClosed form: lingrad 'normal' (QR + SVD of R) vs scikit-learn")
    head = f"{'problem':<14} {'sklearn s':>9} {'lingrad s':>9} {'ratio':>6} "
    head += f"{'max |Δcoef|':>12} {'cond(XᵀX)':>10}"
    print(head)
    print("-" * len(head))
    for name, (fit_ref, fit_ours) in pairs.items():
        t_ref, ref = best_time(fit_ref, repeat)
        t_ours, ours = best_time(fit_ours, repeat)
        diff = float(np.max(np.abs(ours.coef_ - ref.coef_)))
        cond = ours.solver_info_["condition_number"]
        print(
            f"{name:<14} {t_ref:9.2f} {t_ours:9.2f} {t_ours / t_ref:6.2f} "
            f"{diff:12.2e} {cond:10.3g}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    n, d = args.n, args.d

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))  # float64, C order
    w_true = rng.standard_normal(d) / np.sqrt(d)
    z = X @ w_true + 0.25
    y_cls = (rng.random(n) < 1 / (1 + np.exp(-3 * z))).astype(np.int64)
    y_reg = z + 0.1 * rng.standard_normal(n)

    print(f"lingrad exact solvers vs scikit-learn: n={n:,}, d={d}, float64")
    print(f"machine: {platform.processor() or platform.machine()}, ", end="")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"numpy {np.__version__}, BLAS threads {threads}, best of {args.repeat}")
    logistic_table(X, y_cls, args.repeat)
    closed_form_table(X, y_reg, args.repeat)


if __name__ == "__main__":
    main()
