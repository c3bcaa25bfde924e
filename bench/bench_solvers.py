"""Exact solvers against scikit-learn: issue 9's exact rows as lingrad / peer ratios.

On n rows (default 1,000,000), d = 100 (float64, seeded, standard-normal
features), in one run, round-robin (every fit of a repeat before the next
repeat), ``--repeat`` times (default 3); printed: min and median seconds of
each and the ratio of the mins and of the medians, with how close the answers
are:

- L2 logistic regression ``C Σ log-loss + ½ ‖w‖²`` (C = 1, lingrad's
  ``alpha = 1 / (2 C n)``), lingrad ``solver="newton"`` against scikit-learn
  ``LogisticRegression(solver="lbfgs")``, both at tol = 1e-4 (the same
  criterion: max |gradient of the mean objective|); goal ≤ 1.0×;
- ``LinearRegression(solver="normal")`` against ``LinearRegression``; goal ≤ 0.2×;
- ``penalty="l2"`` normal against ``Ridge(solver="cholesky")``; goal ≤ 1.0×.

Run: ``OPENBLAS_NUM_THREADS=1 python bench/bench_solvers.py [--n 1000000]
[--d 100] [--repeat 3]`` (one BLAS thread, as issue 9's table; on a shared
machine multithreaded timings swing tenfold).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import log_expit
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge

from lingrad.models.linear import LinearRegression
from lingrad.models.logistic import LogisticRegression

GOALS = {"newton": 1.0, "normal": 0.2, "ridge": 1.0}


def round_robin(
    fits: dict[str, Callable[[], Any]], repeat: int
) -> dict[str, tuple[list[float], Any]]:
    """Seconds of every fit, ``repeat`` rounds of all fits in turn; the last models."""
    times: dict[str, list[float]] = {name: [] for name in fits}
    models: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fit in fits.items():
            t0 = time.perf_counter()
            models[name] = fit()
            times[name].append(time.perf_counter() - t0)
    return {name: (times[name], models[name]) for name in fits}


def objective(model: Any, X: Any, y: Any, C: float) -> float:
    """scikit-learn's ``C Σ log-loss + ½ ‖w‖²``, computed once for everyone."""
    w = np.ravel(model.coef_)
    z = X @ w + float(np.ravel(model.intercept_)[0])
    log_loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    return C * float(log_loss.sum()) + 0.5 * float(w @ w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, d = args.n, args.d

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))  # float64, C order
    w_true = rng.standard_normal(d) / np.sqrt(d)
    z = X @ w_true + 0.25
    y_cls = (rng.random(n) < 1 / (1 + np.exp(-3 * z))).astype(np.int64)
    y_reg = z + 0.1 * rng.standard_normal(n)
    C, a = 1.0, 10.0  # logistic C; Ridge's alpha on Σ r² (lingrad: a / n)
    pairs = {
        "newton": (
            lambda: SkLogisticRegression(C=C, tol=1e-4).fit(X, y_cls),
            lambda: LogisticRegression(
                solver="newton", alpha=1 / (2 * C * n), tol=1e-4
            ).fit(X, y_cls),
        ),
        "normal": (
            lambda: SkLinearRegression().fit(X, y_reg),
            lambda: LinearRegression().fit(X, y_reg),
        ),
        "ridge": (
            lambda: Ridge(alpha=a, solver="cholesky").fit(X, y_reg),
            lambda: LinearRegression(penalty="l2", alpha=a / n).fit(X, y_reg),
        ),
    }
    fits = {}
    for row, (peer, ours) in pairs.items():
        fits[f"{row} peer"], fits[f"{row} lingrad"] = peer, ours
    print(f"lingrad exact solvers vs scikit-learn: n={n:,}, d={d}, float64")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"machine: {platform.processor() or platform.machine()}, numpy "
        f"{np.__version__}, BLAS threads {threads}, {args.repeat} round-robin repeats"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning at tol
        results = round_robin(fits, args.repeat)

    head = (
        f"{'row':<7} {'peer min':>9} {'med':>7} {'lingrad min':>12} {'med':>7} "
        f"{'ratio min':>10} {'med':>6} {'goal':>5}  agreement"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for row in pairs:
        t_peer, peer = results[f"{row} peer"]
        t_ours, ours = results[f"{row} lingrad"]
        if row == "newton":
            F_peer, F_ours = objective(peer, X, y_cls, C), objective(ours, X, y_cls, C)
            agree = f"objective rel. gap {(F_ours - F_peer) / F_peer:+.1e}"
            agree += f" ({ours.n_iter_} Newton its, sklearn {int(peer.n_iter_[0])})"
        else:
            diff = float(np.max(np.abs(np.ravel(ours.coef_) - np.ravel(peer.coef_))))
            agree = f"max |Δcoef| {diff:.1e} ({ours.solver_info_['method']})"
        mins = min(t_peer), min(t_ours)
        meds = float(np.median(t_peer)), float(np.median(t_ours))
        print(
            f"{row:<7} {mins[0]:9.3f} {meds[0]:7.3f} {mins[1]:12.3f} {meds[1]:7.3f} "
            f"{mins[1] / mins[0]:10.2f} {meds[1] / meds[0]:6.2f} {GOALS[row]:5.1f}  "
            f"{agree}"
        )


if __name__ == "__main__":
    main()
