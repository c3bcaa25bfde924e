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

Run: ``python bench/bench_startup.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("matplotlib", "numba", "dask", "distributed", "pandas", "sklearn", "scipy")
PROBE = """
import sys
from lingrad.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))
print('IMPORTED', ','.join(heavy), file=sys.stderr)
sys.exit(code)
""".replace("HEAVY", repr(HEAVY))


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
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, new = make_data(folder)
        fit = [py, "-m", "lingrad.cli", "fit", "-d", str(train), "-t", "y", "-m",
               "logistic", "--scale", "--no-figures", "--no-compare", "-o",
               str(folder / "run")]  # fmt: skip
        extra = ["--id", "id"]
        res = subprocess.run(fit + extra, capture_output=True, text=True, check=False)
        if res.returncode != 0:  # an older lingrad: no --id, no categoricals
            fit[fit.index(str(train))] = str(folder / "num.csv")
            numeric = [
                ",".join(line.split(",")[1:4] + line.split(",")[5:])
                for line in train.read_text().splitlines()
            ]
            (folder / "num.csv").write_text("\n".join(numeric) + "\n")
            subprocess.run(fit, check=True, capture_output=True)
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
