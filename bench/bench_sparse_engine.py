"""Per-sample SGD on sparse X (issue 20): lingrad's CSR kernel against SGDClassifier.

A synthetic text-like binary problem: n rows (default 200,000) of 2^20
hashed features, about 50 nonzeros a row (Zipf-distributed tokens, plus
words whose frequency depends on the class), rows l2-normalised (as
``HashingVectorizer``'s), CSR float64. One epoch, in data order, of
per-sample SGD on the L2-penalised logistic loss at a constant rate:

- lingrad: ``LogisticRegression(solver="sgd", penalty="l2",
  engine="compiled", shuffle=False, max_iter=1)``, the whole ``fit`` (its
  validation included), after a warm-up fit that compiles the kernel;
- scikit-learn: ``SGDClassifier(loss="log_loss", penalty="l2", max_iter=1,
  tol=None, learning_rate="constant", eta0=lr, shuffle=False)``.

The objectives match: scikit-learn's ``alpha·½‖w‖²`` is lingrad's
``alpha·‖w‖²`` at half the alpha. Each timing runs ``--repeat`` times,
round-robin; the table prints the min and median, and the ratio of the mins
(goal: lingrad / sklearn <= 0.5), and each model's training log-loss.

Run: ``python bench/bench_sparse_engine.py`` (``--n N --nnz K --repeat R``).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from lingrad.models import LogisticRegression  # noqa: E402

D = 1 << 20


def text_like(n: int, nnz: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """(X, y): n rows of ~nnz Zipf tokens hashed into D features, l2-normalised."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    tokens = rng.zipf(1.1, size=(n, nnz)) % D  # a heavy head, a long tail
    hashed = (tokens * 2654435761) % D  # spread the frequent tokens over D
    cue = rng.uniform(size=(n, nnz)) < 0.1  # a tenth are class words
    hashed[cue] = (
        rng.integers(0, 500, size=cue.sum()) * 2 + y.repeat(nnz)[cue.ravel()]
    ) % D
    rows = np.repeat(np.arange(n), nnz)
    X = sp.csr_matrix(
        (np.ones(n * nnz), (rows, hashed.ravel())), shape=(n, D)
    )  # duplicates summed: token counts
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X.data /= norms.repeat(np.diff(X.indptr))
    return X, y  # canonical CSR (sorted, no duplicates), as a vectorizer's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--nnz", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--alpha", type=float, default=1e-6, help="sklearn's alpha")
    args = parser.parse_args()
    X, y = text_like(args.n, args.nnz)
    size = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 1e6
    print(f"X: {X.shape[0]} x {X.shape[1]} CSR, {X.nnz} nonzeros "
          f"({X.nnz / X.shape[0]:.1f} a row), {size:.0f} MB")  # fmt: skip

    def ours() -> LogisticRegression:
        return LogisticRegression(
            solver="sgd", penalty="l2", alpha=args.alpha / 2, lr=args.lr,
            schedule="constant", max_iter=1, tol=None, shuffle=False,
            engine="compiled", random_state=0,
        ).fit(X, y)  # fmt: skip

    def theirs() -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss", penalty="l2", alpha=args.alpha, max_iter=1, tol=None,
            learning_rate="constant", eta0=args.lr, shuffle=False, random_state=0,
        ).fit(X, y)  # fmt: skip

    warnings.simplefilter("ignore", ConvergenceWarning)
    LogisticRegression(solver="sgd", penalty="l2", max_iter=1, tol=None,
                       engine="compiled").fit(X[:100], y[:100])  # fmt: skip
    times: dict[str, list[float]] = {"lingrad": [], "sklearn": []}
    models = {}
    for _ in range(args.repeat):
        for name, fit in (("lingrad", ours), ("sklearn", theirs)):
            start = time.perf_counter()
            models[name] = fit()
            times[name].append(time.perf_counter() - start)
    print(f"{'one epoch, per sample':24s} {'min s':>8s} {'median s':>9s} "
          f"{'ns/nonzero':>11s} {'train log-loss':>15s}")  # fmt: skip
    for name, ts in times.items():
        p = models[name].predict_proba(X)[:, 1]
        print(f"{name:24s} {min(ts):8.3f} {np.median(ts):9.3f} "
              f"{min(ts) / X.nnz * 1e9:11.2f} {log_loss(y, p):15.4f}")  # fmt: skip
    ratio = min(times["lingrad"]) / min(times["sklearn"])
    print(f"lingrad / sklearn: {ratio:.2f} (goal <= 0.5)")


if __name__ == "__main__":
    main()
