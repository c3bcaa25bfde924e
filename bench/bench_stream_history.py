"""``fit --stream`` with per-sample SGD: peak RSS and ``history.npz`` stay bounded.

On ``--rows`` rows (default 2,000,000) × ``--d`` features of Parquet (written
into a temporary folder, deleted afterwards), ``lingrad fit --stream`` for
``--epochs`` epochs (default 3) with ``--solver sgd`` (one step per row: 6e6
steps) and ``--solver minibatch``, each in its own process. Printed: wall
seconds, peak RSS (MB) and the size of ``history.npz`` (MB), and the number
of per-step records kept. Before the bounded History (issue 14): 854 MB peak
and a 288 MB ``history.npz`` for sgd (270 MB peak with minibatch).
Run: ``python bench/bench_stream_history.py [--rows 2000000] [--d 10]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stream import run, write_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    lingrad = os.path.join(os.path.dirname(sys.executable), "lingrad")
    folder = tempfile.mkdtemp(prefix="lingrad-bench-history-")
    try:
        path = os.path.join(folder, "data.parquet")
        n = write_file(path, args.rows * 8 * (args.d + 1) / 1e9, args.d)
        print(f"fit --stream, {n:,} rows x {args.d} features, {args.epochs} epochs")
        head = (
            f"{'solver':<10} {'wall s':>7} {'peak RSS MB':>12} {'history.npz MB':>15}"
        )
        print(head + " steps kept\n" + "-" * (len(head) + 11))
        for solver in ("sgd", "minibatch"):
            out = os.path.join(folder, solver)
            wall, peak = run([lingrad, "fit", "--data", path, "--target", "y",
                              "--model", "linear", "--stream", "--solver", solver,
                              "--max-iter", str(args.epochs), "--no-figures",
                              "--no-compare", "--out", out])  # fmt: skip
            hist = os.path.join(out, "history.npz")
            with np.load(hist) as h:
                kept = len(h["step_loss"]) if "step_loss" in h else -1
            print(
                f"{solver:<10} {wall:7.1f} {peak:12.0f} "
                f"{os.path.getsize(hist) / 1e6:15.1f} {kept:>10,}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
