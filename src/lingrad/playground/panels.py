"""What the page draws, as plain JSON: the fit, J, the parameters, the metrics.

The fit follows the report's rules: a line for a 1-feature regression, predicted
against true values past one feature, a curve of P(class 1) (or the threshold's
output) for a 1-feature classifier, and decision regions for two features, in
the plane of the first two principal components past two (lifted off the plane to
the nearby rows' average, :mod:`lingrad.plot.plane`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lingrad.core.nodes import Array
from lingrad.playground.run import SMALL, Run
from lingrad.plot.rules import class_colors_hex
from lingrad.workflows.render import Names

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.plot.plane import Plane, PlaneGrid

GRID = 64  # decision-region cells per side
MAX_POINTS = 2000  # points drawn (a seeded subsample beyond)


def _round(a: ArrayLike, digits: int = 6) -> list[float | None]:
    """A flat list of floats with ``digits`` significant digits (None for NaN)."""
    out: list[float | None] = []
    for v in np.asarray(a, dtype=np.float64).ravel().tolist():
        out.append(float(f"{v:.{digits}g}") if np.isfinite(v) else None)
    return out


def _shown_rows(N: int) -> slice | NDArray[np.intp]:
    if N <= MAX_POINTS:
        return slice(None)
    return np.sort(np.random.default_rng(0).choice(N, MAX_POINTS, replace=False))


# ---------------------------------------------------------------- parameters


def entries(run: Run) -> list[tuple[str, tuple[int, ...], str]]:
    """(param key, index, shown name) of every parameter entry, lecture names:
    w, b for one feature; w1..wD; W[i,j] (1-based) for a matrix."""
    if run.trainer is None and not run.fitted:
        return []
    problem = run.est.training_problem(start="fitted" if run.trainer is None else "fit")
    chain = problem.chain if run.trainer is None else run.trainer.chain
    assert chain is not None  # a fitted model's problem has its chain
    names = Names(chain, problem.loss)
    out = []
    for key, p in chain.params.items():
        base = names.p(key)
        for idx in np.ndindex(p.shape):
            if p.size == 1:
                name = base.lower() if base in ("W", "V") else base
            elif p.ndim == 2 and p.shape[1] == 1:
                name = f"{base.lower()}{idx[0] + 1}"
            else:
                name = f"{base}[{','.join(str(i + 1) for i in idx)}]"
            out.append((key, idx, name))
    return out


def current_params(run: Run) -> dict[str, Array]:
    """The parameters now (as trained) by key."""
    if run.trainer is not None:
        return dict(run.trainer.chain.params)
    if not run.fitted:
        return {}
    chain = run.est.training_problem(start="fitted").chain
    assert chain is not None  # a fitted model's problem has its chain
    return dict(chain.params)


def truth(run: Run) -> dict[str, Array] | None:
    """The generator's true W, b where the model is one Affine that can hold them."""
    d = run.data
    params = current_params(run)
    if (
        d.true_W is None
        or run.settings.scale
        or list(params) != ["affine.W", "affine.b"]
    ):
        return None
    if params["affine.W"].shape != d.true_W.shape:
        return None
    return {"affine.W": np.asarray(d.true_W), "affine.b": np.asarray(d.true_b)}


def params_panel(run: Run) -> dict[str, object]:
    """Names, current values (table), truth and optimum per entry; or norms."""
    params = current_params(run)
    rows = entries(run)
    if not params:
        return {"small": True, "names": [], "values": []}
    if len(rows) > SMALL:
        return {
            "small": False,
            "names": [
                f"‖{_param_name(run, k)}‖ ({'x'.join(map(str, p.shape))})"
                for k, p in params.items()
            ],  # fmt: skip
            "values": _round([np.linalg.norm(p) for p in params.values()]),
        }
    true, opt = truth(run), run.optimum

    def pick(source: dict[str, Array] | None) -> list[float | None] | None:
        if source is None:
            return None
        return _round([source[k][i] for k, i, _ in rows])

    note = ""
    if true is not None and run.spec.is_classifier:
        note = (
            "the labels come from the true line; a classifier's boundary depends only "
            "on the direction of (w, b), so the fit need not reach the truth's size"
        )
    return {
        "small": True,
        "names": [name for _, _, name in rows],
        "values": pick(params),
        "truth": pick(true),
        "truth_note": note,
        "optimum": pick(opt.params if opt is not None else None),
    }


def _param_name(run: Run, key: str) -> str:
    chain = run.trainer.chain if run.trainer is not None else None
    if chain is None:
        return key
    return Names(chain, run.est.training_problem().loss).p(key)


def flat_values(run: Run, params: dict[str, Array] | None = None) -> list[float | None]:
    """One point of the parameter trajectory: every entry of a small model, the
    norm of each parameter of a larger one (``params``: default, the current)."""
    params = current_params(run) if params is None else params
    rows = entries(run)
    if len(rows) > SMALL:
        return _round([np.linalg.norm(p) for p in params.values()], 8)
    return _round([params[k][i] for k, i, _ in rows], 8)


# ---------------------------------------------------------------- metrics


def metrics(run: Run) -> dict[str, object]:
    """Training accuracy (classifiers) or R² (regressors) of the model now."""
    if not run.fitted:
        return {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = float(run.est.score(run.X, run.data.y))
    name = "accuracy" if run.spec.is_classifier else "R²"
    return {"name": name, "value": score if np.isfinite(score) else None}


# ---------------------------------------------------------------- the fit


def fit_panel(run: Run) -> dict[str, object]:
    """The data with the current fit, as the report would draw it."""
    X, y, spec = run.X, np.asarray(run.data.y), run.spec
    D = X.shape[1]
    rows = _shown_rows(len(X))
    names = list(run.data.feature_names)
    unit = " (standardized)" if run.settings.scale else ""
    if not run.fitted:
        return {"kind": "none"}
    est = run.est
    if spec.task == "regression" and D == 1:
        lo, hi = float(X[:, 0].min()), float(X[:, 0].max())
        ends = np.array([[lo], [hi]])
        out: dict[str, object] = {
            "kind": "line",
            "x": _round(X[rows, 0]),
            "y": _round(y[rows]),
            "line": _round(np.asarray(est.predict(ends)).ravel()),
            "ends": [lo, hi],
            "xlabel": names[0] + unit,
            "ylabel": run.data.target,
        }
        true = truth(run)
        if true is not None:
            out["truth"] = _round(
                ends[:, 0] * true["affine.W"][0, 0] + true["affine.b"][0]
            )
        return out
    if spec.task == "regression":
        return {
            "kind": "parity",
            "y": _round(y[rows]),
            "pred": _round(np.asarray(est.predict(X[rows])).ravel()),
            "xlabel": f"true {run.data.target}",
            "ylabel": f"predicted {run.data.target}",
        }
    classes = np.asarray(est.classes_)
    idx = np.searchsorted(classes, y)
    labels = [str(c) for c in classes.tolist()]
    if D == 1:
        return _curve(run, rows, idx, labels, names[0] + unit)
    plane, grid = _plane(run)
    P = _proba(est, grid.points, len(classes))
    uv = plane.project(X[rows])
    on_axes = "" if plane.kind == "pca" else unit
    return {
        "kind": "regions",
        "n": GRID,
        "u": [float(grid.u[0]), float(grid.u[-1])],
        "v": [float(grid.v[0]), float(grid.v[-1])],
        "cls": np.argmax(P, axis=1).tolist(),
        "conf": _round(np.max(P, axis=1), 2),
        "has_proba": hasattr(est, "predict_proba"),
        "points": {
            "u": _round(uv[:, 0], 4),
            "v": _round(uv[:, 1], 4),
            "c": idx[rows].tolist(),
        },
        "classes": labels,
        "colors": class_colors_hex(len(labels)),
        "xlabel": plane.labels[0] + on_axes,
        "ylabel": plane.labels[1] + on_axes,
        "note": plane.note() or "",
    }


def _plane(run: Run) -> tuple[Plane, PlaneGrid]:
    """The run's plane (lingrad.plot.plane, as the report's figures) and its grid of
    GRID x GRID points, made once (the grid's lift sums over the rows)."""
    from lingrad.plot.plane import Plane

    if run.plane is None:
        plane = Plane.fit(run.X, list(run.data.feature_names))
        run.plane = plane, plane.grid(run.X, resolution=GRID)
    return run.plane


def _proba(est: GradientEstimator, grid: Array, K: int) -> NDArray[np.float64]:
    """(G, K) class probabilities, or one-hot predictions for a perceptron."""
    if hasattr(est, "predict_proba"):
        proba: NDArray[np.float64] = np.asarray(est.predict_proba(grid))
        return proba
    hit = np.searchsorted(est.classes_, est.predict(grid))
    onehot: NDArray[np.float64] = np.eye(K)[hit]
    return onehot


def _curve(
    run: Run,
    rows: slice | NDArray[np.intp],
    idx: NDArray[np.intp],
    labels: list[str],
    xlabel: str,
) -> dict[str, object]:
    """1 feature: the points at 0 / 1 and P(class 1) (or the prediction) over x."""
    X, est = run.X, run.est
    lo, hi = float(X[:, 0].min()), float(X[:, 0].max())
    pad = 0.05 * (hi - lo or 1.0)
    xs = np.linspace(lo - pad, hi + pad, 200)
    if hasattr(est, "predict_proba") and len(labels) == 2:
        out = np.asarray(est.predict_proba(xs[:, None]))[:, 1]
        ylabel = f"P(y = {labels[1]})"
    else:
        out = np.searchsorted(est.classes_, est.predict(xs[:, None])).astype(float)
        ylabel = "predicted class"
    return {
        "kind": "curve",
        "x": _round(X[rows, 0]),
        "y": idx[rows].tolist(),
        "xs": _round(xs),
        "out": _round(out),
        "classes": labels,
        "colors": class_colors_hex(len(labels)),
        "xlabel": xlabel,
        "ylabel": ylabel,
    }


# ---------------------------------------------------------------- J


def decimate(
    t: ArrayLike, J: ArrayLike, most: int
) -> tuple[list[int], list[float | None]]:
    """At most ``most`` points: each bucket of steps as its last t and mean J."""
    t, J = np.asarray(t), np.asarray(J, dtype=np.float64)
    if len(t) <= most:
        return t.tolist(), _round(J)
    edges = np.linspace(0, len(t), most + 1).astype(int)
    ends = edges[1:] - 1
    means = np.add.reduceat(J, edges[:-1]) / np.diff(edges)
    return t[ends].tolist(), _round(means)
