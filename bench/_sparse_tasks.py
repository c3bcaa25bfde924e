"""One fit of bench_sparse.py, run alone in a child process (time, memory, log-loss).

``run_task(spec)`` loads the saved CSR, warms the estimator up on 3,000
held-out rows (numba compiles, imports load), resets the process's peak RSS,
fits once on the train rows and returns seconds, the peak RSS above the RSS
just before the fit, and the held-out log-loss. Vowpal Wabbit tasks learn from
the VW text file (or its cache) written by the parent.
"""

from __future__ import annotations

import os
import resource
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

WARM_ROWS = 3_000


def load(folder: str, part: str) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows saved by ``save`` as (CSR, labels)."""
    arrays = [np.load(os.path.join(folder, f"{part}_{k}.npy")) for k in "dipys"]
    data, indices, indptr, y, shape = arrays
    return sp.csr_matrix((data, indices, indptr), shape=tuple(shape)), y


def save(folder: str, part: str, X: sp.csr_matrix, y: np.ndarray) -> None:
    """Save CSR parts and labels as .npy files (loaded without pickle)."""
    parts = [X.data, X.indices, X.indptr, y, np.array(X.shape)]
    for k, a in zip("dipys", parts, strict=True):
        np.save(os.path.join(folder, f"{part}_{k}.npy"), a)


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> bool:
    """Reset the kernel's VmHWM (Linux ≥ 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _schedule(spec: dict[str, Any], lingrad: bool) -> dict[str, Any]:
    lr, rule = spec["lr"], spec["schedule"]
    if rule == "constant":
        if lingrad:
            return {"lr": lr, "schedule": "constant"}
        return {"learning_rate": "constant", "eta0": lr}
    if lingrad:  # lr_t = lr / (1 + t)^½, t from 0 == sklearn's eta0 / t'^½, t' from 1
        from lingrad.training.schedules import InverseTime

        return {"lr": lr, "schedule": InverseTime(lr, k=1.0, power=0.5)}
    return {"learning_rate": "invscaling", "eta0": lr, "power_t": 0.5}


def make_estimator(spec: dict[str, Any], n: int) -> Any:
    """The estimator a task names, configured as the bench's docstring says."""
    task, alpha = spec["task"], spec["alpha"]
    one_pass = {"max_iter": 1, "tol": None, "shuffle": False}
    if task in ("lg_sgd", "lg_softmax_sgd"):
        from lingrad.models.logistic import LogisticRegression
        from lingrad.models.softmax import SoftmaxRegression

        cls = LogisticRegression if task == "lg_sgd" else SoftmaxRegression
        return cls(
            solver="sgd", penalty="l2", alpha=alpha, engine="compiled",
            random_state=0, **one_pass, **_schedule(spec, True),
        )  # fmt: skip
    if task == "floor_sgd":
        from _sgd_floor import FloorModel

        if spec["schedule"] != "constant":
            raise ValueError("the floor runs a constant lr only")
        return FloorModel(spec["lr"], alpha)
    if task == "sk_sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(
            loss="log_loss", penalty="l2", alpha=2 * alpha, random_state=0,
            n_jobs=1, **one_pass, **_schedule(spec, False),
        )  # fmt: skip
    lbfgs = {"max_iter": spec["max_iter"], "tol": spec["tol"]}
    if task in ("lg_lbfgs", "lg_softmax_lbfgs"):
        from lingrad.models.logistic import LogisticRegression
        from lingrad.models.softmax import SoftmaxRegression

        cls = LogisticRegression if task == "lg_lbfgs" else SoftmaxRegression
        return cls(solver="lbfgs", penalty="l2", alpha=alpha, **lbfgs)
    if task == "sk_lbfgs":
        from sklearn.linear_model import LogisticRegression as SkLogistic

        return SkLogistic(solver="lbfgs", C=1 / (2 * n * alpha), **lbfgs)
    raise ValueError(f"unknown task {task!r}")


def objective(est: Any, X: sp.csr_matrix, y: np.ndarray, alpha: float) -> float:
    """lingrad's J = mean log-loss + alpha ‖W‖² (bias not penalised)."""
    from sklearn.metrics import log_loss

    W = np.asarray(est.coef_)
    return float(log_loss(y, est.predict_proba(X)) + alpha * np.sum(W * W))


def run_fit(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit the task's estimator once; time, memory above the data, log-loss."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss

    X_test, y_test = load(spec["dir"], "test")
    warm = make_estimator(spec, WARM_ROWS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X_test[:WARM_ROWS], y_test[:WARM_ROWS])
        X, y = load(spec["dir"], "train")
        est = make_estimator(spec, X.shape[0])
        rss0, exact = _rss_now(), _reset_peak()
        t0 = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - t0
        peak = _peak()
    out = {
        "seconds": seconds,
        "logloss": float(log_loss(y_test, est.predict_proba(X_test))),
        "extra_bytes": max(peak - rss0, 0),
        "peak_exact": exact,
        "n_iter": int(np.max(getattr(est, "n_iter_", 0))),
    }
    if "lbfgs" in spec["task"]:
        out["J"] = objective(est, X, y, spec["alpha"])
    return out


def vw_args(spec: dict[str, Any]) -> str:
    """VW's options: logistic loss, 2^20 columns, the bench's rate rule and L2."""
    const = spec["schedule"] == "constant"  # else VW's lr / (t + 1)^½, t from 1
    rule = "--power_t 0" if const else "--power_t 0.5 --initial_t 1"
    common = "--loss_function logistic --link logistic -b 20 --quiet"
    common += f" --l2 {2 * spec['alpha']!r}"
    if spec["vw_mode"] == "sgd":
        return f"{common} --sgd -l {spec['lr']!r} {rule}"
    return common  # VW's default: adaptive, normalized, invariant updates


def run_vw(spec: dict[str, Any]) -> dict[str, Any]:
    """One VW pass from text (and from its binary cache); held-out log-loss."""
    from sklearn.metrics import log_loss
    from vowpalwabbit import pyvw

    d = spec["dir"]
    train, test = os.path.join(d, "train.vw"), os.path.join(d, "test.vw")
    model, cache = os.path.join(d, "vw.model"), os.path.join(d, "train.vw.cache")
    args = vw_args(spec)
    rss0, exact = _rss_now(), _reset_peak()
    t0 = time.perf_counter()
    pyvw.Workspace(f"{args} -d {train}").finish()
    seconds_text = time.perf_counter() - t0
    peak = _peak()
    if os.path.exists(cache):
        os.remove(cache)
    pyvw.Workspace(f"{args} -d {train} --cache_file {cache}").finish()  # writes it
    t0 = time.perf_counter()
    pyvw.Workspace(f"{args} -d {train} --cache_file {cache} -f {model}").finish()
    seconds_cache = time.perf_counter() - t0
    preds = os.path.join(d, "vw.preds")
    pyvw.Workspace(f"-t -i {model} -d {test} -p {preds} --quiet").finish()
    p = np.loadtxt(preds, usecols=0)
    y_test = np.load(os.path.join(d, "test_y.npy"))
    return {
        "seconds": seconds_cache,
        "seconds_text": seconds_text,
        "logloss": float(log_loss(y_test, np.c_[1 - p, p], labels=[0, 1])),
        "extra_bytes": max(peak - rss0, 0),
        "peak_exact": exact,
    }
