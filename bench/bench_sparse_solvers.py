"""The exact solvers on a sparse X against scikit-learn, as lingrad / peer ratios.

A synthetic text-like CSR (seeded): n rows (default 200,000), d = 2^18 hashed
features, about 50 nonzeros a row (Zipf-distributed tokens; class 1 draws a
fifth of its tokens from its own 2,000 words), rows scaled to unit L2 norm
(as TF-IDF's), binary labels. In one run, round-robin, ``--repeat`` times:

- L2 logistic regression ``C Σ log-loss + ½ ‖w‖²`` (C = 1; lingrad's
  ``alpha = 1 / (2 C n)``), lingrad ``LogisticRegression(solver="lbfgs")``
  against scikit-learn's ``LogisticRegression(solver="lbfgs")`` on the same
  CSR, both at ``tol`` (default 1e-4: max |projected gradient| of the mean
  objective, L-BFGS-B's pgtol in both); goal ≤ 1.0×;
- with ``--newton``: lingrad ``solver="newton"`` (Newton-CG: d is past the
  dense-Hessian limit) on the same problem, against the same reference.

Printed: min and median seconds, their ratios, iterations and the objective
each reached (relative to the lower). Run: ``python bench/bench_sparse_solvers.py
[--n 200000] [--d 262144] [--nnz 50] [--repeat 3] [--newton]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import log_expit
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from lingrad.models.logistic import LogisticRegression


def text_like(n: int, d: int, nnz: int, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A CSR (n, d) of Zipf tokens, rows of unit norm, and labels (n,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    rank = np.arange(1, d + 1, dtype=np.float64)
    p = 1.0 / (rank + 2.7) ** 1.1
    cols = rng.choice(d, size=(n, nnz), p=p / p.sum())  # Zipf over the vocabulary
    own = rng.random((n, nnz)) < 0.2
    cols[own & (y[:, None] == 1)] = rng.integers(1000, 3000, size=(n, nnz))[
        own & (y[:, None] == 1)
    ]  # class 1's own words
    rows = np.repeat(np.arange(n), nnz)
    X = sp.csr_matrix((np.ones(n * nnz), (rows, cols.ravel())), shape=(n, d))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X, y


def objective(model: Any, X: Any, y: np.ndarray, C: float) -> float:
    """scikit-learn's ``C Σ log-loss + ½ ‖w‖²`` (the one both minimise)."""
    w = np.ravel(model.coef_)
    z = X @ w + float(np.ravel(model.intercept_)[0])
    loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    return C * float(loss.sum()) + 0.5 * float(w @ w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=1 << 18)
    parser.add_argument("--nnz", type=int, default=50)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--newton", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    X, y = text_like(args.n, args.d, args.nnz)
    size = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 1e6
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    print(
        f"CSR {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.1f} nonzeros a row, "
        f"{size:.0f} MB (made in {time.perf_counter() - t0:.1f} s); "
        f"{platform.machine()}, {os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={threads}"
    )
    C, n = 1.0, X.shape[0]
    fits = {
        "sklearn lbfgs": lambda: SkLogisticRegression(
            C=C, solver="lbfgs", tol=args.tol, max_iter=1000
        ).fit(X, y),
        "lingrad lbfgs": lambda: LogisticRegression(
            solver="lbfgs", alpha=1 / (2 * C * n), tol=args.tol, max_iter=1000
        ).fit(X, y),
    }
    if args.newton:
        fits["lingrad newton"] = lambda: LogisticRegression(
            solver="newton", alpha=1 / (2 * C * n), tol=args.tol, max_iter=100
        ).fit(X, y)
    times: dict[str, list[float]] = {k: [] for k in fits}
    models: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.repeat):
            for name, fit in fits.items():
                t = time.perf_counter()
                models[name] = fit()
                times[name].append(time.perf_counter() - t)
    F = {k: objective(m, X, y, C) for k, m in models.items()}
    best = min(F.values())
    ref = times["sklearn lbfgs"]
    for name in fits:
        t = times[name]
        print(
            f"{name:15s} min {min(t):7.2f} s  median {np.median(t):7.2f} s  "
            f"ratio min {min(t) / min(ref):5.2f}x median "
            f"{np.median(t) / np.median(ref):5.2f}x  iterations "
            f"{int(np.max(models[name].n_iter_))}  objective "
            f"{F[name]:.10g} (+{(F[name] - best) / best:.1e})"
        )
    print("goal: lingrad lbfgs / sklearn lbfgs <= 1.0x")


if __name__ == "__main__":
    main()
