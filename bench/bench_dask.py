"""lingrad on Dask against the in-memory fit and dask-ml, in one run.

On n rows × d features (default 4,000,000 × 100 float64, 3.2 GB), standard-
normal, written as Parquet files of ``--rows-per-file`` rows into a temporary
folder (deleted afterwards), read by a 2-worker ``LocalCluster`` into a
persisted Dask array; the in-memory fits read the same files into one NumPy
array. Printed per problem: seconds of each fit (min and median of
``--repeat`` round-robin repeats), the ratio to lingrad in memory, and the
largest |coefficient difference| from lingrad in memory:

- least squares, closed form: lingrad ``LinearRegression()`` (Gram pass,
  Cholesky) vs dask-ml ``LinearRegression(solver="lbfgs")``;
- L2 logistic regression (C = 1): lingrad ``LogisticRegression()`` (L-BFGS)
  vs dask-ml ``LogisticRegression(solver="lbfgs")``.

``--dask-ml-default`` adds dask-ml's default solver (ADMM), 500× slower than
its lbfgs on 200,000 × 20 (280 s), and off by 1e-3 in the coefficients.

Stochastic (``--sgd-epochs``, default 3; 0 leaves it out; ``--only-sgd``
runs it alone): ``lingrad fit --engine dask`` (the CLI's LocalCluster) against
``lingrad fit --stream`` on the same files, per-sample SGD logistic
regression, each a fresh process, round-robin; wall seconds and the ratio
(goal: Dask ≤ 1.3× --stream on one machine).

dask-ml is in the ``bench`` extra (``pip install -e ".[bench,dask]"``); without
it its rows are left out. Run:
``python bench/bench_dask.py [--n 4000000] [--d 100] [--repeat 3]
[--sgd-epochs 3] [--only-sgd]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


def write_files(folder: str, n: int, d: int, rows_per_file: int) -> None:
    """Seeded features, a linear and a logistic target, as Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    w = rng.standard_normal(d) / np.sqrt(d)
    for i, start in enumerate(range(0, n, rows_per_file)):
        m = min(rows_per_file, n - start)
        X = rng.standard_normal((m, d))
        z = X @ w + 0.25
        cols = {f"x{j}": X[:, j] for j in range(d)}
        cols["y"] = z + 0.1 * rng.standard_normal(m)
        cols["label"] = (rng.random(m) < 1 / (1 + np.exp(-3 * z))).astype(np.int64)
        pq.write_table(pa.table(cols), os.path.join(folder, f"part{i:04d}.parquet"))


def _read_file(path: str, d: int) -> tuple[Any, Any, Any]:
    import pyarrow.parquet as pq

    data = pq.read_table(path)
    X = np.column_stack([data.column(f"x{j}").to_numpy() for j in range(d)])
    return X, data.column("y").to_numpy(), data.column("label").to_numpy()


def read_dask(folder: str, d: int) -> tuple[Any, Any, Any]:
    """One block per file, read on the workers."""
    import dask.array as da
    import pyarrow.parquet as pq
    from dask.delayed import delayed

    parts: list[list[Any]] = [[], [], []]
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        m = pq.ParquetFile(path).metadata.num_rows
        X, y, label = delayed(_read_file, nout=3)(path, d)
        parts[0].append(da.from_delayed(X, (m, d), dtype=np.float64))
        parts[1].append(da.from_delayed(y, (m,), dtype=np.float64))
        parts[2].append(da.from_delayed(label, (m,), dtype=np.int64))
    return tuple(da.concatenate(p) for p in parts)  # type: ignore[return-value]


def timed(fits: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {name: ([], None) for name in fits}
    for _ in range(repeat):
        for name, fit in fits.items():
            t0 = time.perf_counter()
            model = fit()
            out[name] = (out[name][0] + [time.perf_counter() - t0], model)
    return out


def table(title: str, results: dict[str, Any], ref: str) -> None:
    t_ref = min(results[ref][0])
    coef_ref = np.ravel(results[ref][1].coef_)
    print(f"\n{title}")
    head = (
        f"{'fit':<32} {'min s':>8} {'median s':>9} {'/ memory':>9} {'max |Δcoef|':>12}"
    )
    print(head + "\n" + "-" * len(head))
    for name, (times, model) in results.items():
        diff = float(np.max(np.abs(np.ravel(model.coef_) - coef_ref)))
        print(
            f"{name:<32} {min(times):8.2f} {np.median(times):9.2f} "
            f"{min(times) / t_ref:9.2f} {diff:12.1e}"
        )


def cli_sgd(folder: str, epochs: int, repeat: int) -> None:
    """``lingrad fit`` per-sample SGD on Dask vs --stream: wall seconds, ratio."""
    base = [sys.executable, "-m", "lingrad.cli", "fit", "--data", folder,
            "--target", "label", "--exclude", "y", "--model", "logistic",
            "--solver", "sgd", "--max-iter", str(epochs), "--no-figures",
            "--no-compare", "--force"]  # fmt: skip
    engines = {"--engine dask": ["--engine", "dask"], "--stream": ["--stream"]}
    times: dict[str, list[float]] = {name: [] for name in engines}
    with tempfile.TemporaryDirectory(prefix="lingrad-bench-sgd-") as out:
        for _ in range(repeat):
            for name, flags in engines.items():
                t0 = time.perf_counter()
                subprocess.run([*base, *flags, "--out", out], check=True,
                               capture_output=True)  # fmt: skip
                times[name].append(time.perf_counter() - t0)
    ref = min(times["--stream"])
    print(f"\nSGD logistic regression, {epochs} epochs, lingrad fit (CLI)")
    head = f"{'engine':<16} {'min s':>8} {'median s':>9} {'/ --stream':>11}"
    print(head + "\n" + "-" * len(head))
    for name, ts in times.items():
        print(f"{name:<16} {min(ts):8.2f} {np.median(ts):9.2f} {min(ts) / ref:11.2f}")
    print("goal: --engine dask <= 1.3x --stream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--dask-ml-default",
        action="store_true",
        help="also dask-ml's default solver (admm): 500x slower than lbfgs here",
    )
    parser.add_argument("--sgd-epochs", type=int, default=3)
    parser.add_argument("--only-sgd", action="store_true")
    args = parser.parse_args()
    n, d = args.n, args.d

    import dask
    from distributed import Client, LocalCluster

    from lingrad.models import LinearRegression, LogisticRegression

    try:
        import dask_ml.linear_model as dml
    except ImportError:
        dml = None
        print("dask-ml is not installed (pip install -e '.[bench]'): rows left out")

    folder = tempfile.mkdtemp(prefix="lingrad-bench-dask-")
    try:
        write_files(folder, n, d, args.rows_per_file)
        if args.sgd_epochs:
            cli_sgd(folder, args.sgd_epochs, args.repeat)
        if args.only_sgd:
            return
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=":0"
        )
        with cluster, Client(cluster) as client:
            X, y, label = read_dask(folder, d)
            X, y, label = client.persist([X, y, label])
            Xn, yn, ln = dask.compute(X, y, label)  # the in-memory copy
            print(
                f"lingrad on Dask ({args.workers} workers) vs in memory vs dask-ml: "
                f"n={n:,}, d={d}, {X.nbytes / 1e9:.1f} GB float64 "
                f"({size / 1e9:.1f} GB of Parquet), {X.numblocks[0]} blocks"
            )
            C = 1.0
            alpha = 1 / (2 * C * n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = {
                    "lingrad in memory (normal)": lambda: LinearRegression().fit(
                        Xn, yn
                    ),
                    "lingrad on Dask (normal)": lambda: LinearRegression().fit(X, y),
                }
                cls = {
                    "lingrad in memory (lbfgs)": lambda: LogisticRegression(
                        alpha=alpha).fit(Xn, ln),
                    "lingrad on Dask (lbfgs)": lambda: LogisticRegression(
                        alpha=alpha).fit(X, label),
                }  # fmt: skip
                if dml is not None and args.dask_ml_default:
                    reg["dask-ml LinearRegression"] = lambda: dml.LinearRegression(
                        fit_intercept=True
                    ).fit(X, y)
                    cls["dask-ml LogisticRegression"] = lambda: dml.LogisticRegression(
                        C=C
                    ).fit(X, label)
                if dml is not None:
                    reg["dask-ml LinearRegression lbfgs"] = lambda: (
                        dml.LinearRegression(solver="lbfgs").fit(X, y)
                    )
                    cls["dask-ml LogisticRegression lbfgs"] = lambda: (
                        dml.LogisticRegression(C=C, solver="lbfgs").fit(X, label)
                    )
                table(
                    "least squares",
                    timed(reg, args.repeat),
                    "lingrad in memory (normal)",
                )
                table("L2 logistic regression (C = 1)", timed(cls, args.repeat),
                      "lingrad in memory (lbfgs)")  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
