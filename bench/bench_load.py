"""Cost of loading a model file in a fresh interpreter: wall time and peak RSS.

Runs ``python -c "import lingrad; lingrad.load(path)"`` ``--runs`` times per
model file and prints the median time and peak RSS, next to the floor that any
lingrad estimator pays (``import sklearn.base``) and a bare interpreter. Use
``--src`` to time another lingrad source tree (e.g. an export of main) on the
same files; ``--files`` to time given model files instead of fresh ones.

    python bench/bench_load.py --runs 7
    git archive main src | tar -x -C /tmp/main && \\
        python bench/bench_load.py --src /tmp/main/src --files m1.lingrad ...
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = (  # peak RSS: VmHWM, of this process's own memory (ru_maxrss would include
    # the parent's, inherited through fork and exec on Linux)
    "import time; t = time.perf_counter(); {code}; t = time.perf_counter() - t; "
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]; "
    "print(t, hwm[0].split()[1])"
)


def measure(code: str, runs: int, src: str | None) -> tuple[float, float, float]:
    """Median wall time of the whole process, of the code alone, and peak RSS (MB)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    if src:
        env["PYTHONPATH"] = src
    walls, inner, rss = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD.format(code=code)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout.split()  # fmt: skip
        walls.append(time.perf_counter() - t)
        inner.append(float(out[0]))
        rss.append(int(out[1]) / 1024)
    return statistics.median(walls), statistics.median(inner), statistics.median(rss)


def model_files(folder: Path) -> list[Path]:
    """A plain LogisticRegression and a scaled, one-hot Pipeline, saved by this tree."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    import lingrad
    from lingrad.models import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(["x", "y", "z"], 200)})
    y = (X["a"] > 0).astype(int)
    plain = folder / "logistic.lingrad"
    lingrad.save(LogisticRegression().fit(X[["a"]], y), plain)
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["a"]), ("cat", OneHotEncoder(drop="first"), ["b"])]
    )
    pipe = folder / "pipeline.lingrad"
    lingrad.save(
        Pipeline([("prep", prep), ("model", LogisticRegression())]).fit(X, y), pipe
    )
    return [plain, pipe]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="PYTHONPATH of the lingrad to time")
    parser.add_argument("--files", nargs="*", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = args.files or model_files(Path(tmp))
        rows = [
            ("python -c pass", "pass"),
            ("import sklearn.base (floor)", "import sklearn.base"),
        ]
        rows += [
            (f"lingrad.load({f.name})", f"import lingrad; lingrad.load({str(f)!r})")
            for f in files
        ]
        print(f"{'what':40s} {'process s':>10s} {'code s':>8s} {'peak RSS MB':>12s}")
        for name, code in rows:
            wall, inner, rss = measure(code, args.runs, args.src)
            print(f"{name:40s} {wall:10.2f} {inner:8.2f} {rss:12.0f}")


if __name__ == "__main__":
    main()
