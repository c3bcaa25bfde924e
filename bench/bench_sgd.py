"""Seconds per epoch of lingrad's Trainer on linear regression, by batch size.

Trains ``pred = X @ W + b`` with ``J = ½ (pred - y)²`` (scikit-learn's
``squared_error``) for one shuffled epoch on n = 1,000,000 rows, d = 100
(float64, seeded), with batch sizes 1 (on the first 100,000 rows), 32, 256,
1024 and full, and prints:

- seconds per epoch and GB/s of X read (rows · d · 8 bytes / time);
- the ratio to scikit-learn's ``SGDRegressor`` epoch (Cython, per sample,
  shuffled), timed in the same run, scaled to the same number of rows;
- the ratio to the machine's read limit, the time of ``X.sum()`` on those rows.

Target: batch 256 no slower than SGDRegressor (ratio <= 1.0).

Run: ``python bench/bench_sgd.py [--n 1000000] [--d 100] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor

from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.training.train import Trainer


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def lingrad_epoch(X: np.ndarray, y: np.ndarray, batch_size: int | None, lr: float):
    """One shuffled epoch from W = 0; returns (seconds, final mean squared error)."""
    D = X.shape[1]
    chain = Chain([Affine(np.zeros((D, 1)), np.zeros(1))])
    trainer = Trainer(
        chain, SquaredError(half=True), lr=lr, batch_size=batch_size, random_state=0
    )
    t0 = time.perf_counter()
    trainer.partial_fit(X, y)
    seconds = time.perf_counter() - t0
    pred = chain.forward(X[:100_000])
    return seconds, float(np.mean((pred[:, 0] - y[:100_000]) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--n-per-sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, d, repeat = args.n, args.d, args.repeat

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))  # float64, C order
    w_true = rng.standard_normal(d)
    y = X @ w_true + 0.5 + 0.1 * rng.standard_normal(n)
    lr = 1e-3

    t_sum = best_time(X.sum, repeat)  # the read limit: one pass over X
    sk = SGDRegressor(
        loss="squared_error", penalty=None, learning_rate="constant", eta0=lr,
        max_iter=1, tol=None, shuffle=True, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t_sk = best_time(lambda: sk.fit(X, y), repeat)
    sk_mse = float(np.mean((sk.predict(X[:100_000]) - y[:100_000]) ** 2))

    print(f"lingrad Trainer vs sklearn SGDRegressor: n={n:,}, d={d}, float64, shuffled")
    print(
        f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}"
    )
    print(f"X.sum(): {t_sum:.4f} s ({X.nbytes / t_sum / 1e9:.2f} GB/s); ", end="")
    print(f"SGDRegressor epoch: {t_sk:.3f} s (MSE after: {sk_mse:.4g})")
    header = (
        f"{'batch':>7} {'rows':>10} {'s/epoch':>9} {'GB/s':>7} "
        f"{'/ sklearn':>10} {'/ X.sum()':>10} {'MSE after':>10}"
    )
    print(header)
    print("-" * len(header))
    for batch_size in (1, 32, 256, 1024, None):
        rows = min(args.n_per_sample, n) if batch_size == 1 else n
        Xr, yr = X[:rows], y[:rows]
        reps = 1 if batch_size == 1 else repeat
        runs = [lingrad_epoch(Xr, yr, batch_size, lr) for _ in range(reps)]
        seconds = min(s for s, _ in runs)
        mse = runs[0][1]
        share = rows / n  # compare with the same number of rows
        print(
            f"{batch_size or 'full':>7} {rows:>10,} {seconds:>9.4f} "
            f"{Xr.nbytes / seconds / 1e9:>7.2f} {seconds / (t_sk * share):>10.2f} "
            f"{seconds / (t_sum * share):>10.1f} {mse:>10.4g}"
        )
    print("ratios < 1 beat the reference; '/ sklearn' target at batch 256: <= 1.0")


if __name__ == "__main__":
    main()
