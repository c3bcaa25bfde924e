"""Issue 20's "Measure": lingrad on sparse text-like data beside its anchors, one run.

Data (``bench/_textgen.py``): n rows (``--rows``, default 1e6) plus a held-out
tenth, 2^20 hashed columns, about 50 nonzeros a row (Zipf tokens, class topic
words), rows unit-L2, float64 CSR with int32 indices; binary, then 5 classes.

Each fit runs alone in a child process (``_sparse_tasks.py``): warmed up on
3,000 held-out rows, timed once, its peak RSS above the RSS just before the fit
(the kernel's VmHWM, reset before the fit) printed as a multiple of the CSR's
own size (data + indices + indptr bytes), and its held-out log-loss.

Same objective, same rate rule (read in ``lingrad.core.penalties`` and
``lingrad.training.schedules``):

- lingrad's J = mean loss + alpha ‖w‖² (L2 = alpha Σ w², gradient 2 alpha w; the
  bias is not penalised). scikit-learn's SGDClassifier minimises mean loss +
  alpha_sk · ½ ‖w‖², so alpha_sk = 2 alpha: both take the step
  w ← (1 - 2 alpha lr_t) w - lr_t ∂loss/∂w per sample. Rates: ``constant``
  (lr_t = lr = eta0) or ``invscaling``: lingrad ``InverseTime(lr, k=1,
  power=½)`` gives lr / (1 + t)^½ with t from 0, scikit-learn's eta0 / t^½ with
  t from 1: the same sequence. Not matched: on sparse X scikit-learn moves the
  intercept by 0.01 × the step (its SPARSE_INTERCEPT_DECAY); lingrad by the step.
- Vowpal Wabbit, ``--sgd`` (plain updates; no adaptive/normalized/invariant),
  ``--loss_function logistic``, ``-l lr``, ``--l2 2·alpha`` (VW shrinks every
  weight by 1 - l2 · lr_t per example), ``-b 20``: column j is written as
  feature ``j`` (VW's index j, no extra collisions). Rates: ``--power_t 0``
  (constant); for invscaling ``--power_t 0.5 --initial_t 1``, VW's lr / (t + 1)^½
  with t from 1: the same sequence one step later (VW's rate is 0 with
  initial_t 0). Checked on 20,000 rows against a plain NumPy loop of the update
  above: VW --sgd's held-out log-loss agrees to 4e-7 relative (float32 weights; VW also
  shrinks its constant feature, the bias); SGDClassifier's coefficients agree
  to 4e-15 once the loop moves the bias by 0.01 × the step. Timed from its binary cache
  (the fastest VW pass) and from the text file (parse + learn), both printed;
  the CSR → VW text conversion is timed apart. VW runs a parser thread beside
  the learner. ``VW default`` (adaptive, normalized, invariant) is printed too.
- L-BFGS: scikit-learn's LogisticRegression(C) minimises C Σ loss + ½ ‖w‖², the
  same minimiser as lingrad's J with C = 1 / (2 n alpha); both hand scipy's
  L-BFGS-B gtol = tol, ftol = 64 eps and the same max_iter. Both J are printed.
- 5 classes: SoftmaxRegression (multinomial) against SGDClassifier, which is
  one-vs-rest (another model: reported for time only), and against
  scikit-learn's multinomial LogisticRegression(solver="lbfgs").
- CLI: a CSV of ``--csv-gb`` GB ("text,label" lines of words), then
  ``lingrad fit --text text --stream`` one SGD pass; time and the peak RSS of
  the command (wait4's rusage). "not available" when the option is missing.

Run: ``python bench/bench_sparse.py [--rows 1000000] [--csv-gb 1.0]
[--only sgd,vw,lbfgs,softmax,cli]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import _sparse_tasks as tasks
import _textgen as textgen
import _vwfile as vwfile

PARTS = ("sgd", "vw", "lbfgs", "softmax", "cli")


def child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one task in a fresh interpreter; its result, or {"error": line}."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in done.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[7:])  # type: ignore[no-any-return]
    lines = [s for s in done.stderr.splitlines() if s.strip()] or ["(no output)"]
    return {"error": lines[-1].strip()[:300]}


def fmt(r: dict[str, Any], csr: int | None) -> str:
    """One result as text: seconds, log-loss, memory multiple."""
    if "error" in r:
        return f"FAILED: {r['error']}"
    s = f"{r['seconds']:8.2f} s  log-loss {r['logloss']:.5f}"
    if "J" in r:
        s += f"  J {r['J']:.8f}  iters {r['n_iter']}"
    if csr:
        s += f"  peak +{r['extra_bytes'] / csr:.2f}× CSR"
    return s


def ratio(a: dict[str, Any], b: dict[str, Any], goal: float | None) -> str:
    """``a / b`` of seconds with the goal's verdict, or why there is none."""
    if "error" in a or "error" in b:
        return "ratio: n/a (a fit failed)"
    x = a["seconds"] / b["seconds"]
    verdict = "" if goal is None else (" MET" if x <= goal else " NOT MET")
    goal_s = "" if goal is None else f" (goal ≤ {goal:.1f}×){verdict}"
    return f"ratio {x:.2f}×{goal_s}"


def problem(args: argparse.Namespace, n_classes: int, folder: str) -> int:
    """Generate, save; print the data line; returns the train CSR's bytes."""
    t0 = time.perf_counter()
    p = textgen.text_problem(
        args.rows, args.test_rows, seed=args.seed, n_classes=n_classes,
        n_features=args.features, nnz=args.nnz,
    )  # fmt: skip
    gen = time.perf_counter() - t0
    os.makedirs(folder, exist_ok=True)
    tasks.save(folder, "train", p.X, p.y)
    tasks.save(folder, "test", p.X_test, p.y_test)
    size = textgen.csr_bytes(p.X)
    print(
        f"\n== {n_classes} classes: {p.X.shape[0]:,} × {p.X.shape[1]:,} CSR, "
        f"{p.X.nnz / p.X.shape[0]:.1f} nonzeros/row, {size / 1e6:.0f} MB "
        f"(+ {p.X_test.shape[0]:,} held out); generated in {gen:.1f} s"
    )
    if n_classes == 2 and "vw" in args.only:
        t0 = time.perf_counter()
        nb = vwfile.write_vw(p.X, p.y, os.path.join(folder, "train.vw"))
        vwfile.write_vw(p.X_test, p.y_test, os.path.join(folder, "test.vw"))
        conv = time.perf_counter() - t0
        print(f"   CSR → VW text: {conv:.1f} s ({nb / 1e6:.0f} MB train file)")
    return size


def pair(
    label: str, ours: dict[str, Any], anchor: str, theirs: dict[str, Any],
    csr: int, goal: float | None,
) -> None:  # fmt: skip
    """Print a lingrad fit beside its anchor and the time ratio."""
    print(f"  {label:<26} {fmt(ours, csr)}")
    print(f"  {anchor:<26} {fmt(theirs, csr)}")
    print(f"  {'':<26} {ratio(ours, theirs, goal)}")


def bench_binary(args: argparse.Namespace, spec: dict[str, Any]) -> None:
    csr = problem(args, 2, spec["dir"])
    T = args.timeout
    lg = child({**spec, "task": "lg_sgd"}, T) if {"sgd", "vw"} & set(args.only) else {}
    if "sgd" in args.only:
        print(f"- per-sample SGD epoch, logistic + L2 ({spec['schedule']} lr)")
        sk = child({**spec, "task": "sk_sgd"}, T)
        pair("lingrad sgd (compiled)", lg, "sklearn SGDClassifier", sk, csr, 0.5)
        floor = child({**spec, "task": "floor_sgd"}, T)
        print(f"  {'floor (bench/_sgd_floor)':<26} {fmt(floor, csr)}")
        if "error" not in floor:
            for name, r in (("lingrad", lg), ("sklearn", sk)):
                if "error" not in r:
                    x = r["seconds"] / floor["seconds"]
                    print(f"  {'':<26} {name} / floor {x:.2f}×")
    if "vw" in args.only:
        print("- one pass vs Vowpal Wabbit (goal ≤ 1.0× at log-loss ± 1%)")
        vw = child({**spec, "task": "vw", "vw_mode": "sgd"}, T)
        pair("lingrad sgd (compiled)", lg, "VW --sgd (cache)", vw, csr, 1.0)
        if "error" not in vw and "error" not in lg:
            rel = lg["logloss"] / vw["logloss"] - 1
            print(f"  {'':<26} log-loss lingrad/VW - 1 = {rel:+.2%} (goal ± 1%)")
            print(f"  {'VW --sgd from text':<26} {vw['seconds_text']:8.2f} s")
        vwd = child({**spec, "task": "vw", "vw_mode": "default"}, T)
        print(f"  {'VW default (adaptive)':<26} {fmt(vwd, None)}")
    if "lbfgs" in args.only:
        print(f"- L-BFGS logistic (tol {spec['tol']:g}, max_iter {spec['max_iter']})")
        lb = child({**spec, "task": "lg_lbfgs"}, T)
        sk = child({**spec, "task": "sk_lbfgs"}, T)
        pair("lingrad lbfgs", lb, "sklearn LogisticRegression", sk, csr, 1.0)


def bench_softmax(args: argparse.Namespace, spec: dict[str, Any]) -> None:
    csr = problem(args, 5, spec["dir"])
    T = args.timeout
    print(f"- per-sample SGD epoch, 5 classes ({spec['schedule']} lr)")
    lg = child({**spec, "task": "lg_softmax_sgd"}, T)
    sk = child({**spec, "task": "sk_sgd"}, T)
    pair("lingrad softmax sgd", lg, "sklearn SGD (one-vs-rest)", sk, csr, None)
    print("  (not the same model: one-vs-rest fits 5 binary problems)")
    print("- L-BFGS, 5 classes (multinomial both)")
    lg = child({**spec, "task": "lg_softmax_lbfgs"}, T)
    sk = child({**spec, "task": "sk_lbfgs"}, T)
    pair("lingrad softmax lbfgs", lg, "sklearn multinomial lbfgs", sk, csr, 1.0)


def bench_cli(args: argparse.Namespace, folder: str) -> None:
    print(f"\n== CLI: lingrad fit --text --stream on a {args.csv_gb:g} GB CSV")
    help_text = subprocess.run(
        [sys.executable, "-m", "lingrad.cli", "fit", "--help"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"},
    ).stdout  # fmt: skip
    if "--text" not in help_text:
        print("  not available (lingrad fit has no --text option yet)")
        return
    world = textgen.make_world(seed=args.seed, n_features=args.features, nnz=args.nnz)
    path, size, t0 = os.path.join(folder, "text.csv"), 0, time.perf_counter()
    target = int(args.csv_gb * 1e9)
    n = max(1000, target // 220)  # ~220 bytes a row; refined below
    with open(path, "wb") as f:
        for chunk in textgen.csv_chunks(world, n, args.seed + 1):
            f.write(chunk)
            size += len(chunk)
    took = time.perf_counter() - t0
    print(f"  wrote {size / 1e9:.2f} GB, {n:,} rows in {took:.0f} s")
    out = os.path.join(folder, "cli_out")
    cmd = [
        sys.executable, "-m", "lingrad.cli", "fit", "--data", path, "--target",
        "label", "--text", "text", "--model", "logistic", "--solver", "sgd",
        "--lr", repr(args.lr), "--alpha", repr(args.alpha), "--max-iter", "1",
        "--no-figures", "--no-compare", "--force", "--out", out,
    ]  # fmt: skip
    for extra in (["--stream"], []):
        label = "fit --text " + (" ".join(extra) or "(in memory)")
        t0 = time.perf_counter()
        with tempfile.TemporaryFile("w+") as log:
            proc = subprocess.Popen(cmd + extra, stdout=log, stderr=log, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t0
            log.seek(0)
            err = log.read()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode == 0:
            rss = usage.ru_maxrss * 1024
            print(f"  {label:<24} {seconds:8.1f} s  peak RSS {rss / 1e9:.2f} GB")
            return
        last = ([s for s in err.splitlines() if s.strip()] or ["(no message)"])[-1]
        print(f"  {label:<24} FAILED (exit {proc.returncode}): {last.strip()[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--test-rows", type=int, default=None)
    parser.add_argument("--features", type=int, default=2**20)
    parser.add_argument("--nnz", type=float, default=50.0)
    parser.add_argument("--alpha", type=float, default=1e-6, help="lingrad's alpha")
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--schedule", choices=["constant", "invscaling"])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100, help="L-BFGS's")
    parser.add_argument("--csv-gb", type=float, default=1.0)
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="per fit, s")
    parser.add_argument("--workdir", default=None, help="data folder (default: temp)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        run = tasks.run_vw if spec["task"] == "vw" else tasks.run_fit
        print("RESULT " + json.dumps(run(spec)))
        return
    args.schedule = args.schedule or "constant"
    args.test_rows = args.test_rows or max(args.rows // 10, tasks.WARM_ROWS)
    args.only = [p for p in args.only.split(",") if p]
    folder = args.workdir or tempfile.mkdtemp(prefix="bench_sparse_")
    print(f"bench_sparse: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"alpha {args.alpha:g} (sklearn SGD alpha {2 * args.alpha:g}), "
          f"lr {args.lr:g} {args.schedule}; data in {folder}")  # fmt: skip
    spec = {
        "alpha": args.alpha, "lr": args.lr, "schedule": args.schedule,
        "tol": args.tol, "max_iter": args.max_iter,
    }  # fmt: skip
    try:
        if {"sgd", "vw", "lbfgs"} & set(args.only):
            bench_binary(args, {**spec, "dir": os.path.join(folder, "binary")})
            shutil.rmtree(os.path.join(folder, "binary"), ignore_errors=True)
        if "softmax" in args.only:
            bench_softmax(args, {**spec, "dir": os.path.join(folder, "five")})
            shutil.rmtree(os.path.join(folder, "five"), ignore_errors=True)
        if "cli" in args.only:
            bench_cli(args, folder)
    finally:
        if args.workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
