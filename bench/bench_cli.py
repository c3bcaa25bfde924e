"""``lingrad fit`` against the same pipeline written by hand in scikit-learn.

Writes a Parquet file (``--rows`` rows, default 300,000: ``--d`` standard-normal
features, one text column ``city`` of 40 values, a 0/1 target; the issue's
figure is 3M rows, 0.62 GB) into a temporary folder, then runs, each in its own
process and each ``--repeat`` times round-robin:

- ``script``: pyarrow read → OneHotEncoder on the text column + StandardScaler
  on the numbers → ``SGDClassifier(loss="log_loss")``, the same epochs — the anchor;
- ``fit``: ``lingrad fit`` in memory, ``--no-figures --no-compare``;
- ``fit+figures``: ``lingrad fit`` in memory with the figures and report
  (``--no-compare``);
- ``fit --stream``: ``lingrad fit --stream --no-figures --no-compare``.

Each child's CPU seconds (user + system) and peak RSS come from ``os.wait4``
(its own ``rusage``; this process imports no NumPy, so a child's peak does not
start from ours). The machine may be shared: the table shows the min over the
repeats of CPU and of wall seconds, and the largest peak RSS. Goals beside their
anchors: ``fit`` ≤ 1.2× the script's time and ≤ 1.5× its peak memory; figures
and report ≤ 20% on top of ``fit``.

``--no-stream`` leaves out the streamed fit. ``--before SRC`` also runs ``fit``,
``fit+figures`` and ``fit --stream`` with ``PYTHONPATH=SRC`` (another checkout's
``src``, e.g. ``git archive main src | tar -x -C /tmp/m``): before and after in
one run, on the same file and machine.

Run: ``python bench/bench_cli.py [--rows 300000] [--d 20] [--repeat 3]
[--before /tmp/m/src]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITE = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
w = rng.standard_normal(d)
cities = np.array([f"city{k:02d}" for k in range(40)], dtype=object)
shift = rng.standard_normal(40)
schema = pa.schema([(f"x{j}", pa.float64()) for j in range(d)]
                   + [("city", pa.string()), ("y", pa.int64())])
with pq.ParquetWriter(path, schema) as writer:
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        X = rng.standard_normal((m, d))
        k = rng.integers(0, 40, m)
        z = X @ w + shift[k] + rng.standard_normal(m)
        cols = [pa.array(X[:, j]) for j in range(d)]
        cols += [pa.array(cities[k], pa.string()), pa.array((z > 0).astype(np.int64))]
        writer.write_table(pa.Table.from_arrays(cols, schema=schema))
"""

SCRIPT = """
import sys, numpy as np, pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
path, epochs = sys.argv[1], int(sys.argv[2])
frame = pq.read_table(path).to_pandas()
y = frame.pop("y").to_numpy()
numeric = [c for c in frame.columns if c != "city"]
prep = ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), ["city"]),
                          ("num", StandardScaler(), numeric)])
model = make_pipeline(prep, SGDClassifier(loss="log_loss", learning_rate="constant",
                      eta0=0.01, alpha=1e-4, max_iter=epochs, tol=None, random_state=0))
model.fit(frame, y)
print(model.score(frame, y))
"""


def run(argv: list[str], src: str | None = None) -> tuple[float, float, float]:
    """CPU seconds (user + system), wall seconds and peak RSS (MiB) of ``argv``
    (with ``PYTHONPATH=src`` when given)."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err.decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=None, help="src folder of the baseline")
    parser.add_argument("--no-stream", action="store_true", help="skip --stream")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "table.parquet")
        subprocess.run([py, "-c", WRITE, path, str(args.rows), str(args.d)], check=True)
        size = os.path.getsize(path) / 1e9
        fit = [py, "-m", "lingrad.cli", "fit", "-d", path, "-t", "y", "-m",
               "logistic", "--scale", "--solver", "sgd", "--lr", "0.01",
               "--max-iter", str(args.epochs), "--seed", "0", "--no-compare",
               "--force"]  # fmt: skip
        cases = {
            "script": [py, "-c", SCRIPT, path, str(args.epochs)],
            "fit": [*fit, "--no-figures", "-o", f"{tmp}/a"],
            "fit+figures": [*fit, "-o", f"{tmp}/b"],
            "fit --stream": [*fit, "--stream", "--no-figures", "-o", f"{tmp}/c"],
        }
        if args.no_stream:
            del cases["fit --stream"]
        src: dict[str, str | None] = dict.fromkeys(cases)
        if args.before:
            for name in [c for c in cases if c.startswith("fit")]:
                cases[f"{name} before"] = [*cases[name][:-1], f"{tmp}/before"]
                src[f"{name} before"] = args.before
        runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cases}
        for _ in range(args.repeat):
            for name, argv in cases.items():
                runs[name].append(run(argv, src[name]))
    best = {
        k: (min(r[0] for r in v), min(r[1] for r in v), max(r[2] for r in v))
        for k, v in runs.items()
    }
    print(f"{args.rows:,} rows, {args.d} numbers + 1 text column, {size:.3f} GB;")
    print(f"{args.epochs} SGD epochs; min of {args.repeat} (CPU, wall), max RSS")
    print(f"{'case':<19} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9}")
    for name, (cpu, wall, rss) in best.items():
        print(f"{name:<19} {cpu:>8.2f} {wall:>8.2f} {rss:>9.0f}")
    for tag in ["", " before"] if args.before else [""]:
        goals(best, tag)
    if "fit --stream" in best:
        for tag in ["", " before"] if args.before else [""]:
            ratio = best["fit --stream" + tag][0] / best["fit" + tag][0]
            print(f"fit --stream CPU / fit CPU{tag}: {ratio:.2f}")


def goals(best: dict[str, tuple[float, float, float]], tag: str) -> None:
    """The goals of ``fit{tag}`` beside their anchors."""
    s_cpu, _, s_rss = best["script"]
    f_cpu, _, f_rss = best["fit" + tag]
    g_cpu = best["fit+figures" + tag][0]
    print(f"goal{tag:<31}  value  anchor  met")
    for label, value, goal in (
        ("fit CPU / script CPU       <= 1.2", f_cpu / s_cpu, 1.2),
        ("fit peak / script peak     <= 1.5", f_rss / s_rss, 1.5),
        ("fit+figures CPU / fit CPU  <= 1.2", g_cpu / f_cpu, 1.2),
    ):
        met = "yes" if value <= goal else "NO"
        print(f"{label}  {value:>6.2f}  {goal:>6.2f}  {met}")


if __name__ == "__main__":
    main()
