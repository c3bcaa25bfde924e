"""The iterative rows of issue 9: lingrad's engines against their peers, one run.

Linear regression ``J = ½ mean (y - x·w - b)²`` (scikit-learn's ``squared_error``)
on X ~ N(0, 1) of n rows and d features (float64, C order, seeded), one BLAS
thread, constant lr = 1e-3, no penalty, one epoch per timing:

- per-sample SGD: µs per sample, one epoch of lingrad's Trainer (the data
  checked once before, as ``fit`` does) against scikit-learn's
  ``SGDRegressor.fit`` (same epochs, data and rate; both shuffle), on the
  compiled engine (``shuffle=True``, the default, and each mode) and, on the
  first ``--n-nodes`` rows, on the node chain;
  one more row times the whole ``LinearRegression(solver="sgd").fit``;
- minibatch B=256, one shuffled epoch, against ``SGDRegressor``'s epoch and
  as a share of the read limit (``X.sum()`` over two threads, each summing
  half of X): for the default ``shuffle=True`` (at this size: blocks), the
  full row shuffle ("rows") and shuffled blocks;
- full batch, one epoch (one step) of the Trainer against NumPy's
  ``X.T @ (X @ w + b - y) / n`` (the gradient alone);
- the objective after ``--epochs`` epochs of B=256 for each shuffle mode,
  against the full row shuffle's.

Every timing runs round-robin (one of each, ``--repeat`` times); the table
prints the min and the median and the ratio of the mins. ``--clock cpu``
times the single-threaded tasks by process CPU time (steadier on a busy
machine); the read limit is always wall time. ``lingrad / peer``
below 1 is faster than the peer. Goals (issue 9): per-sample <= 0.5,
minibatch <= 0.2 and >= 50% of the read limit, full batch <= 1.0.

Run: ``python bench/bench_engine.py`` (n = 1e6, d = 100: X is 800 MB),
``--quick`` (n = 1e5), or ``--n N --d D --repeat R --epochs K --n-nodes M
--clock {wall,cpu}``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import SGDRegressor  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from lingrad.core.chain import Chain  # noqa: E402
from lingrad.core.losses import SquaredError  # noqa: E402
from lingrad.core.nodes import Affine  # noqa: E402
from lingrad.models import LinearRegression  # noqa: E402
from lingrad.training.train import Trainer  # noqa: E402

LR = 1e-3


def lingrad_fit(engine: str, batch: int | None, shuffle: object, epochs: int = 1):
    """``LinearRegression`` taking sklearn's steps: its J = mean (y - pred)² has
    twice the gradient of sklearn's ½ (y - pred)², so its rate is LR / 2."""
    solver = {1: "sgd", None: "batch"}.get(batch, "minibatch")
    return LinearRegression(
        solver=solver, batch_size=batch or 32, lr=LR / 2, max_iter=epochs, tol=None,
        shuffle=shuffle, random_state=0, engine=engine,
    )  # fmt: skip


def sklearn_fit() -> SGDRegressor:
    return SGDRegressor(
        loss="squared_error", penalty=None, learning_rate="constant", eta0=LR,
        max_iter=1, tol=None, shuffle=True, random_state=0,
    )  # fmt: skip


def epoch(
    X: np.ndarray, y: np.ndarray, batch: int | None, shuffle: object, engine: str
):
    """One epoch of a fresh Trainer on J = ½ mean (y - x·w - b)² (sklearn's loss)."""
    chain = Chain([Affine(np.zeros((X.shape[1], 1)), np.zeros(1))])
    trainer = Trainer(
        chain, SquaredError(half=True), lr=LR, batch_size=batch, shuffle=shuffle,
        random_state=0, engine=engine,
    )  # fmt: skip
    return lambda: trainer.partial_fit(X, y)


def timed(fn: Callable[[], object], clock: Callable[[], float]) -> float:
    """Time of fn() by ``clock``; a setup returned by ``fn`` is not timed."""
    run = fn()
    t0 = clock()
    run()
    return clock() - t0


def objective(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> float:
    """J = ½ mean (y - pred)² on all rows."""
    r = y - model.predict(X)
    return 0.5 * float(r @ r) / len(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--n-nodes", type=int, default=20_000, help="rows, node path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5, help="for the objective")
    parser.add_argument("--quick", action="store_true", help="n = 100,000")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.n
    d, repeat = args.d, max(args.repeat, 1)
    n_nodes = min(args.n_nodes, n)
    warnings.simplefilter("ignore", ConvergenceWarning)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n)
    Xs, ys = X[:n_nodes], y[:n_nodes]
    w, b = np.zeros(d), 0.0
    halves = [X[: n // 2], X[n // 2 :]]
    pool = ThreadPoolExecutor(2)

    for batch in (1, 256, None):  # compile (or load) the kernels before timing
        lingrad_fit("compiled", batch, True).fit(X[:300], y[:300])
    Xy = (X, y)

    def sums() -> Callable[[], object]:
        return lambda: sum(pool.map(np.sum, halves))

    tasks: dict[str, Callable[[], Callable[[], object]]] = {
        "read limit: X.sum(), 2 threads": sums,
        "sklearn SGDRegressor epoch": lambda: lambda: sklearn_fit().fit(X, y),
        "per-sample, compiled, default": lambda: epoch(*Xy, 1, True, "compiled"),
        "per-sample, compiled, rows": lambda: epoch(*Xy, 1, "rows", "compiled"),
        "per-sample, compiled, blocks": lambda: epoch(*Xy, 1, "blocks", "compiled"),
        "per-sample, fit(), compiled": lambda: (
            lambda: lingrad_fit("compiled", 1, True).fit(X, y)
        ),
        "sklearn SGDRegressor, n_nodes rows": lambda: lambda: sklearn_fit().fit(Xs, ys),
        "per-sample, nodes, n_nodes rows": lambda: epoch(Xs, ys, 1, "rows", "nodes"),
        "B=256, compiled, default": lambda: epoch(*Xy, 256, True, "compiled"),
        "B=256, compiled, rows": lambda: epoch(*Xy, 256, "rows", "compiled"),
        "B=256, compiled, blocks": lambda: epoch(*Xy, 256, "blocks", "compiled"),
        "B=256, nodes, default": lambda: epoch(*Xy, 256, True, "nodes"),
        "NumPy X.T @ (X @ w + b - y) / n": lambda: lambda: X.T @ (X @ w + b - y) / n,
        "full batch, compiled": lambda: epoch(*Xy, None, True, "compiled"),
        "full batch, nodes": lambda: epoch(*Xy, None, True, "nodes"),
    }
    times: dict[str, list[float]] = {name: [] for name in tasks}
    cpu = time.process_time if args.clock == "cpu" else time.perf_counter
    with threadpool_limits(1):
        for _ in range(repeat):  # round-robin
            for name, fn in tasks.items():
                clock = time.perf_counter if name.startswith("read") else cpu
                times[name].append(timed(fn, clock))
        J = {
            mode: objective(
                lingrad_fit("compiled", 256, mode, args.epochs).fit(X, y), X, y
            )
            for mode in ("rows", "blocks", False)
        }

    best = {name: min(ts) for name, ts in times.items()}
    med = {name: float(np.median(ts)) for name, ts in times.items()}
    read = best["read limit: X.sum(), 2 threads"]
    sk, sk_small = (
        best["sklearn SGDRegressor epoch"],
        best["sklearn SGDRegressor, n_nodes rows"],
    )
    numpy_grad = best["NumPy X.T @ (X @ w + b - y) / n"]
    peers = {
        "per-sample, compiled, default": (sk, "SGDRegressor", 0.5),
        "per-sample, compiled, rows": (sk, "SGDRegressor", 0.5),
        "per-sample, compiled, blocks": (sk, "SGDRegressor", 0.5),
        "per-sample, fit(), compiled": (sk, "SGDRegressor", 0.5),
        "per-sample, nodes, n_nodes rows": (sk_small, "SGDRegressor", 0.5),
        "B=256, compiled, default": (sk, "SGDRegressor", 0.2),
        "B=256, compiled, rows": (sk, "SGDRegressor", 0.2),
        "B=256, compiled, blocks": (sk, "SGDRegressor", 0.2),
        "B=256, nodes, default": (sk, "SGDRegressor", 0.2),
        "full batch, compiled": (numpy_grad, "NumPy gradient", 1.0),
        "full batch, nodes": (numpy_grad, "NumPy gradient", 1.0),
    }

    print(
        f"lingrad engines vs peers: n={n:,} (node path per sample: {n_nodes:,} "
        f"rows), d={d}, float64, one BLAS thread, {repeat} round-robin repeats, "
        f"{args.clock} clock"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}"
    )
    print(
        f"read limit X.sum() on 2 threads: {read:.4f} s "
        f"({X.nbytes / read / 1e9:.1f} GB/s)"
    )
    head = (
        f"{'what':<34}{'min s':>9}{'median s':>10}{'µs/row':>8}{'peer':>16}"
        f"{'peer min s':>11}{'lingrad/peer':>13}{'goal':>7}{'read limit':>11}"
    )
    print(head)
    print("-" * len(head))
    for name, (peer, peer_name, goal) in peers.items():
        rows = n_nodes if "n_nodes" in name else n
        ratio = best[name] / peer
        share = f"{read * rows / n / best[name]:>10.0%}" if "B=256" in name else ""
        mark = "ok" if ratio <= goal else "MISS"
        print(
            f"{name:<34}{best[name]:>9.4f}{med[name]:>10.4f}"
            f"{best[name] / rows * 1e6:>8.3f}{peer_name:>16}{peer:>11.4f}"
            f"{ratio:>9.2f} {mark:<4}{goal:>6}{share:>11}"
        )
    print(
        f"\nobjective ½ mean (y - pred)² after {args.epochs} epochs of B=256, "
        "lr=1e-3, by shuffle mode:"
    )
    for mode, value in J.items():
        rel = value / J["rows"] - 1
        print(f"  shuffle={mode!r:<9} J = {value:.6g}  ({rel:+.2%} vs rows)")


if __name__ == "__main__":
    main()
