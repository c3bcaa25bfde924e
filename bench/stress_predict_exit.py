"""Exit codes of many ``lingrad predict`` runs under CPU load (issue 14's exit 134).

Under load, some ``predict`` runs printed their output and then aborted with exit
134 ("terminate called without an active exception"): a pyarrow CSV reader thread
still held the Python ``invalid_row_handler`` while the interpreter shut down. This
script fits one small model, starts ``--burners`` busy processes (CPU load), runs
``--runs`` predictions on a CSV (``--rows`` rows, read in several blocks),
``--parallel`` at a time, each writing to stdout and to a file, and counts the exit
codes. Every run must exit 0 with the full output.

Run: ``python bench/stress_predict_exit.py [--runs 80] [--parallel 2] [--burners 2]``.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def burn(stop: float) -> None:
    """Keep one core busy until ``stop`` (a time.time() value)."""
    x = 0
    while time.time() < stop:
        x += 1


def make_csv(path: Path, rows: int, with_y: bool) -> None:
    rng = random.Random(0)
    lines = ["a,b,c,y" if with_y else "a,b,c"]
    for _ in range(rows):
        a, b, c = (rng.gauss(0.0, 1.0) for _ in range(3))
        lines.append(f"{a:.6g},{b:.6g},{c:.6g}" + (f",{int(a + b > 0)}" * with_y))
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=80)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_csv(folder / "train.csv", 500, with_y=True)
        make_csv(folder / "new.csv", args.rows, with_y=False)
        subprocess.run(
            [py, "-m", "lingrad.cli", "fit", "-d", str(folder / "train.csv"), "-t",
             "y", "-m", "logistic", "--no-figures", "--no-compare", "-o",
             str(folder / "run")],
            check=True, capture_output=True,
        )  # fmt: skip
        model = str(folder / "run" / "model.lingrad")

        def one(i: int) -> tuple[int, str, int]:
            out = folder / f"p{i}.csv"
            argv = [py, "-m", "lingrad.cli", "predict", "-m", model, "-d",
                    str(folder / "new.csv")]  # fmt: skip
            if i % 2:
                argv += ["--out", str(out)]
            res = subprocess.run(argv, capture_output=True, text=True, check=False)
            text = out.read_text() if i % 2 and out.exists() else res.stdout
            return res.returncode, res.stderr.strip()[-200:], text.count("\n")

        stop = time.time() + 24 * 3600
        burners = [
            multiprocessing.Process(target=burn, args=(stop,), daemon=True)
            for _ in range(args.burners)
        ]
        for b in burners:
            b.start()
        t0 = time.perf_counter()
        try:
            with ThreadPoolExecutor(args.parallel) as pool:
                results = list(pool.map(one, range(args.runs)))
        finally:
            for b in burners:
                b.terminate()
                b.join()
        wall = time.perf_counter() - t0
    codes = collections.Counter(code for code, _, _ in results)
    short = sum(1 for code, _, n in results if code == 0 and n != args.rows + 1)
    print(
        f"{args.runs} predict runs on {args.rows} rows, {args.parallel} at a time, "
        f"{args.burners} busy processes, {os.cpu_count()} cores, {wall:.0f} s"
    )
    print("exit codes:", dict(sorted(codes.items())))
    print("non-zero exits:", args.runs - codes[0], "| exit 0 with short output:", short)
    for code, err, _ in results:
        if code != 0:
            print(f"  exit {code}: {err}")
            break


if __name__ == "__main__":
    main()
