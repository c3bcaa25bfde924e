"""Start-up time and peak memory of ``lingrad predict`` (and ``lingrad --help``).

Fits a small model once (a CSV of 200 rows: 3 numeric features, one categorical
column, an ID column), then runs, each ``--repeat`` times as a fresh process:

- ``python -c pass`` and ``python -c "import numpy"``: the floor;
- ``lingrad --help``;
- ``lingrad predict --model M --data new.csv --out preds.csv``: the command a
  user waits for;

and prints the median wall time, the peak resident memory of the child
(``ru_maxrss`` from ``os.wait4``) and, for predict, which heavy packages it
imported (matplotlib, numba, dask, distributed, pandas, sklearn, scipy).

With ``--compile``, instead: the first fit of each model family with an empty
numba cache (``NUMBA_CACHE_DIR`` a new folder), with ``engine="auto"`` (the
default: the node path while a background process compiles the kernel) and
with ``engine="compiled"`` (compiles in the process), beside the same fit with
that cache filled (a second process) and a second fit in the same process;
then how long the background compile takes to fill the cache and an ``auto``
fit in the next process; and ``lingrad demo --quick`` with an empty cache
beside a warm one. Goals: the first fit of each family ≤ 2 s; the first demo
within 3 s of a warm one. The fit seconds are measured inside the child
(``time.process_time``: CPU, so a busy machine does not inflate them; wall
seconds beside them); the demo's as the child's CPU seconds.

Run: ``python bench/bench_startup.py [--repeat 7] [--compile]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEAVY = ("matplotlib", "numba", "dask", "distributed", "pandas", "sklearn", "scipy")
PROBE = """
import sys
from lingrad.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))
print('IMPORTED', ','.join(heavy), file=sys.stderr)
sys.exit(code)
""".replace("HEAVY", repr(HEAVY))


FAMILY = """
import json, sys, time, warnings, numpy as np
import lingrad.models as m
from lingrad.training.compiled import warm
warnings.simplefilter("ignore")
kind, solver, engine = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
X = rng.standard_normal((500, 4))
y = X @ np.array([1.0, -1.0, 0.5, 0.0])
if kind != "LinearRegression":
    y = np.digitize(y, [-0.5, 0.5]) if kind in ("SoftmaxRegression",
                                                 "MulticlassPerceptron") else (y > 0)
    y = y.astype(int)
est = getattr(m, kind)(solver=solver, max_iter=3, engine=engine, random_state=0)
out = {"cpu": [], "wall": [], "engine": []}
for _ in range(2):
    w0, t0 = time.perf_counter(), time.process_time()
    est.fit(X, y)
    out["cpu"].append(time.process_time() - t0)
    out["wall"].append(time.perf_counter() - w0)
    out["engine"].append(est._trainer.last_engine)
if sys.argv[4:] == ["wait"]:  # until the background compile has filled the cache
    w0 = time.perf_counter()
    out["codes"] = warm.wait()
    out["waited"] = time.perf_counter() - w0
print(json.dumps(out))
"""
FAMILIES = (
    ("LinearRegression", "sgd"),
    ("LogisticRegression", "sgd"),
    ("SoftmaxRegression", "sgd"),
    ("Perceptron", "sgd"),
    ("MulticlassPerceptron", "sgd"),
    ("BipolarSigmoidClassifier", "sgd"),
    ("LogisticRegression", "minibatch"),
)


def _family(py: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run([py, "-c", FAMILY, *args], env=env, capture_output=True,
                          text=True)  # fmt: skip
    if proc.returncode:
        raise SystemExit(f"{args}: failed: {proc.stderr[-300:]}")
    return dict(json.loads(proc.stdout))


def first_fits(py: str) -> None:
    """Each family's first fit: empty cache (auto, compiled), filled, in-process."""
    print("first fit (CPU s of est.fit, 500 rows, 3 epochs; wall s); goal <= 2 s")
    print(f"{'family':<32} {'auto, empty cache':>17} {'compiled, empty':>16}"
          f" {'cached':>7} {'2nd fit':>8}")  # fmt: skip
    for kind, solver in FAMILIES:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            auto = _family(py, env, kind, solver, "auto")  # ends its compile at exit
            assert auto["engine"][0] != "compiled", "the cache was not empty"
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            cold = _family(py, env, kind, solver, "compiled")
            warm = _family(py, env, kind, solver, "compiled")
        name = f"{kind} ({solver})"
        print(f"{name:<32} {auto['cpu'][0]:>7.2f} ({auto['wall'][0]:5.2f} s)"
              f" {cold['cpu'][0]:>6.2f} ({cold['wall'][0]:5.2f} s)"
              f" {warm['cpu'][0]:>7.2f} {cold['cpu'][1]:>8.3f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        first = _family(py, env, "LogisticRegression", "sgd", "auto", "wait")
        after = _family(py, env, "SoftmaxRegression", "sgd", "auto")
    print(f"auto, empty cache: the background compile filled it "
          f"{first['waited']:.1f} s after the fit returned ({first['engine'][0]});"
          f" the next process's auto fit: {after['cpu'][0]:.2f} CPU s"
          f" ({after['wall'][0]:.2f} s wall, {after['engine'][0]})")  # fmt: skip


def first_demo(py: str) -> None:
    """``lingrad demo --quick``: an empty numba cache, then the warm one."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        argv = [py, "-m", "lingrad.cli", "demo", "--quick", "--force", "-o", out]
        cpu = []
        for _ in range(2):
            t0 = time.perf_counter()
            with open(os.devnull, "wb") as null:
                proc = subprocess.Popen(argv, env=env, stdout=null, stderr=null)
                _, status, usage = os.wait4(proc.pid, 0)
            if os.waitstatus_to_exitcode(status):
                raise SystemExit("lingrad demo failed")
            cpu.append((usage.ru_utime + usage.ru_stime, time.perf_counter() - t0))
    (c0, w0), (c1, w1) = cpu
    print("lingrad demo --quick (linear-1d): CPU s / wall s; goal: first <= warm + 3")
    print(f"  empty cache {c0:.2f} / {w0:.2f}   warm {c1:.2f} / {w1:.2f}"
          f"   difference {c0 - c1:.2f} CPU s")  # fmt: skip


def timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of one run of ``argv``.

    The child's ``ru_maxrss`` counts the pages of this process at the fork, so this
    process stays small (no numpy): ``python -c pass`` shows the floor.
    """
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(argv, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def make_data(folder: Path) -> tuple[Path, Path]:
    rng = random.Random(0)  # numpy stays out of this process: see ``timed``
    lines = ["id,x1,x2,x3,city,y"]
    for i in range(200):
        a, b, c = (rng.gauss(0.0, 1.0) for _ in range(3))
        city = rng.choice(["Oslo", "Lima", "Pune"])
        y = int(a - b + (city == "Oslo") > 0)
        lines.append(f"r{i},{a:.6g},{b:.6g},{c:.6g},{city},{y}")
    train = folder / "train.csv"
    train.write_text("\n".join(lines) + "\n")
    new = folder / "new.csv"
    new.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    return train, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--plain",
        action="store_true",
        help="numbers only (no ID, no text column): runs on lingrad 0.1 too",
    )
    parser.add_argument(
        "--compile", action="store_true", help="first compiled fits and demo"
    )
    args = parser.parse_args()
    py = sys.executable
    if args.compile:
        first_fits(py)
        first_demo(py)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, new = make_data(folder)
        fit = [py, "-m", "lingrad.cli", "fit", "-d", str(train), "-t", "y", "-m",
               "logistic", "--scale", "--no-figures", "--no-compare", "-o",
               str(folder / "run")]  # fmt: skip
        extra = ["--id", "id"]
        res = None
        if not args.plain:
            res = subprocess.run(fit + extra, capture_output=True, text=True)
        if res is None or res.returncode != 0:  # numbers only (lingrad 0.1 too)
            fit[fit.index(str(train))] = str(folder / "num.csv")
            numeric = [
                ",".join(line.split(",")[1:4] + line.split(",")[5:])
                for line in train.read_text().splitlines()
            ]
            (folder / "num.csv").write_text("\n".join(numeric) + "\n")
            subprocess.run(fit, check=True, capture_output=True)
            new = folder / "num_new.csv"
            new.write_text(
                "\n".join(",".join(line.split(",")[:3]) for line in numeric) + "\n"
            )
        model = str(folder / "run" / "model.lingrad")
        predict = ["predict", "--model", model, "--data", str(new), "--out",
                   str(folder / "preds.csv")]  # fmt: skip
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import numpy'": [py, "-c", "import numpy"],
            "lingrad --help": [py, "-m", "lingrad.cli", "--help"],
            "lingrad predict": [py, "-m", "lingrad.cli", *predict],
        }
        print(f"python {sys.version.split()[0]}, {args.repeat} runs each (median)")
        print(f"{'command':<28} {'wall s':>8} {'peak MiB':>9}")
        for name, argv in cases.items():
            runs = [timed(argv) for _ in range(args.repeat)]
            codes = {c for _, _, c in runs}
            if codes != {0}:
                raise SystemExit(f"{name}: exit codes {codes}")
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            print(f"{name:<28} {wall:>8.3f} {rss:>9.1f}")
        probe = subprocess.run(
            [py, "-c", PROBE, *predict], capture_output=True, text=True, check=False
        )
        line = [s for s in probe.stderr.splitlines() if s.startswith("IMPORTED")]
        print("predict imports:", line[0].split(" ", 1)[1] if line else probe.stderr)


if __name__ == "__main__":
    main()
