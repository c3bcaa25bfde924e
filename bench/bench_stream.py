"""``lingrad fit --stream`` against one pyarrow iter_batches pass feeding partial_fit.

For each size (default 0.5 and 2 GB of Parquet: seeded standard-normal
features, a linear target), written into a temporary folder and deleted
afterwards, each run in its own process (wall seconds and peak RSS from
``resource.getrusage(RUSAGE_CHILDREN)``):

- baseline: ``ParquetFile.iter_batches`` → NumPy → ``partial_fit`` of
  ``LinearRegression(solver="minibatch")``, one pass, nothing else;
- ``lingrad fit --stream`` with the same solver, ``--max-iter 1`` (one
  epoch: a target-column pass, the shuffled epoch with the metrics);
- ``lingrad fit --stream`` with the default solver (the closed form: a Gram
  pass, then the metrics pass).

Each run ``--repeat`` times (default 3), round-robin (one of each before the
next round). Printed: min and median seconds, the ratio of the mins to the
baseline's (goal: ≤ 1.3 for the same solver), peak RSS (the largest of the
runs). Run: ``python bench/bench_stream.py [--gb 0.5 2] [--d 20] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

BASELINE = """
import sys, numpy as np, pyarrow.parquet as pq
from lingrad.models import LinearRegression
path, d, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
est = LinearRegression(solver="minibatch", random_state=0)
names = [f"x{j}" for j in range(d)]
for batch in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=names + ["y"]):
    X = np.column_stack([batch.column(n).to_numpy() for n in names])
    est.partial_fit(X, batch.column("y").to_numpy())
"""


def write_file(path: str, gb: float, d: int) -> int:
    """A Parquet file of about ``gb`` GB (row groups of 100,000); its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = int(gb * 1e9 / (8 * (d + 1)))
    rng = np.random.default_rng(0)
    w = rng.standard_normal(d)
    schema = pa.schema(
        [(f"x{j}", pa.float64()) for j in range(d)] + [("y", pa.float64())]
    )
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            X = rng.standard_normal((m, d))
            cols = [pa.array(X[:, j]) for j in range(d)]
            cols.append(pa.array(X @ w + 0.1 * rng.standard_normal(m)))
            writer.write_table(pa.Table.from_arrays(cols, schema=schema))
    return n


PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN)"
    ".ru_maxrss)"
)  # a fresh parent per run: its children's peak RSS is that one run's


def run(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command run in its own process."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *argv], check=True,
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    return wall, int(done.stdout.split()[-1]) / 1024  # ru_maxrss: KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, nargs="+", default=[0.5, 2.0])
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lingrad = [os.path.join(os.path.dirname(sys.executable), "lingrad")]
    folder = tempfile.mkdtemp(prefix="lingrad-bench-stream-")
    print(f"lingrad fit --stream vs one iter_batches + partial_fit pass, d={args.d}")
    head = (
        f"{'size':>6} {'run':<34} {'min s':>7} {'median':>7} {'/ base':>7} "
        f"{'peak RSS MB':>12}"
    )
    print(head + "\n" + "-" * len(head))
    try:
        for gb in args.gb:
            path = os.path.join(folder, "data.parquet")
            n = write_file(path, gb, args.d)
            common = ["fit", "--data", path, "--target", "y", "--model", "linear",
                      "--stream", "--chunk-rows", str(args.chunk_rows),
                      "--no-figures", "--no-compare", "--force"]  # fmt: skip
            runs = {
                "baseline iter_batches+partial_fit": [sys.executable, "-c", BASELINE,
                                                      path, str(args.d),
                                                      str(args.chunk_rows)],
                "fit --stream minibatch, 1 epoch": lingrad + common + [
                    "--solver", "minibatch", "--max-iter", "1", "--out",
                    os.path.join(folder, "out1")],
                "fit --stream (exact: Gram pass)": lingrad + common + [
                    "--out", os.path.join(folder, "out2")],
            }  # fmt: skip
            walls: dict[str, list[float]] = {name: [] for name in runs}
            rss: dict[str, float] = dict.fromkeys(runs, 0.0)
            for _ in range(max(args.repeat, 1)):  # round-robin
                for name, argv in runs.items():
                    wall, peak = run(argv)
                    walls[name].append(wall)
                    rss[name] = max(rss[name], peak)
            base = min(walls["baseline iter_batches+partial_fit"])
            for name, ts in walls.items():
                print(
                    f"{gb:5.1f}G {name:<34} {min(ts):7.2f} {np.median(ts):7.2f} "
                    f"{min(ts) / base:7.2f} {rss[name]:12.0f}"
                )
            print(f"{'':>6} ({n:,} rows)")
            os.remove(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
