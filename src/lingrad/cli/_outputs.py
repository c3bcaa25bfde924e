"""The files of a ``lingrad fit`` run: model, metrics, History, figures, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lingrad.cli._common import echo, warn_line
from lingrad.cli._prep import describe, final_estimator, name_inputs
from lingrad.cli._train import FitResult
from lingrad.errors import LingradError

MODEL_FILE = "model.lingrad"


def jsonable(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values; non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def figures(result: FitResult, folder: Path) -> list[Path]:
    """The figures that fit the model: training curves, decision boundary, fit."""
    import matplotlib

    matplotlib.use("Agg")
    from lingrad import plot

    out: list[Path] = []

    def draw(name: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        path = folder / name
        try:
            fn(*args, path=path, **kwargs)
        except (
            ValueError,
            TypeError,
            IndexError,
            KeyError,
            np.linalg.LinAlgError,
        ) as e:
            warn_line(f"skipped figure {name}: {e}")
            path.unlink(missing_ok=True)
            return
        out.append(path)

    h = result.history
    if h is not None and len(np.asarray(h.step_loss)):
        W = [np.asarray(v) for k, v in dict(h.params or {}).items() if k.endswith("W")]
        small = bool(W) and sum(w[0].size for w in W if len(w)) <= 12
        acc = np.asarray(h.accumulated_accuracy, dtype=np.float64)
        if small and len(W[0]):
            panel = "params"
        elif result.spec.is_classifier and acc.size and np.isfinite(acc).any():
            panel = "accuracy"
        else:
            panel = "loss"
        draw("training.png", plot.plot_history, h, panel=panel)
    X, y = result.X_sample, result.y_sample
    if X is not None and X.dtype == object:
        X = None  # text columns: no axes to draw the inputs on
    piped = hasattr(result.model, "steps")
    if X is not None and len(X) and result.spec.is_classifier and X.shape[1] >= 2:
        draw(
            "decision_boundary.png",
            plot.plot_decision_boundary,
            result.model,
            X,
            y,
            feature_names=result.feature_names,
            title=f"Decision boundary ({result.spec.name})",
        )
    if X is not None and len(X) and result.spec.task == "regression":
        draw("predicted_vs_true.png", _parity, result)
    one_d = X is not None and X.shape[1] == 1 and not piped
    if one_d and h is not None and any(np.asarray(v).size for v in h.params.values()):
        kind = "linear" if result.spec.task == "regression" else None
        if result.spec.name == "logistic" and len(result.model.classes_) == 2:
            kind = "logistic"
        if kind is not None:
            y_plot = (
                y if kind == "linear" else (y == result.model.classes_[1]).astype(float)
            )
            draw("fit.png", plot.plot_fit_from_history, X[:, 0], y_plot, h, kind=kind)
    return out


def _parity(result: FitResult, path: Path) -> None:
    """Predicted against true values (training and held-out rows); y = x is perfect."""
    from lingrad.plot._style import decorate, new_figure, save

    fig = new_figure((7.0, 6.5))
    ax = fig.add_subplot()
    sets = [("training rows", result.X_sample, result.y_sample, "tab:blue")]
    if result.X_test is not None:
        sets.append(("held-out rows", result.X_test, result.y_test, "tab:orange"))
    values = []
    for label, X, y, color in sets:
        pred = np.asarray(result.model.predict(X), dtype=np.float64).ravel()
        ax.scatter(y, pred, s=14, alpha=0.6, color=color, label=label)
        values += [np.asarray(y, dtype=np.float64), pred]
    lo, hi = float(min(v.min() for v in values)), float(max(v.max() for v in values))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1.2, label="pred = y")
    target = result.target or "y"
    decorate(ax, f"true {target}", f"predicted {target}", "Predicted vs true")
    ax.legend(loc="upper left")
    save(fig, path)


def model_meta(result: FitResult) -> dict[str, Any]:
    """What the model file keeps for predict and evaluate besides the model."""
    return jsonable(
        {
            "model": result.spec.name,
            "task": result.spec.task,
            "target": result.target,
            "features": list(result.feature_names),
            "scale": result.params.get("standardized inputs", False),
            "data": result.data_summary.get("source"),
            **result.meta,
        }
    )


def save_checked(result: FitResult, path: Path) -> None:
    """Save the model with its meta, read it back, and check that it predicts
    exactly (bit for bit) what the trained model predicts on the training rows."""
    import warnings

    from lingrad.modelfile import load, save

    # the first step knows the column names: lingrad.load(...).predict(DataFrame)
    # checks them (set last: sklearn would warn on every numpy X before)
    model = result.model
    name_inputs(model, result.feature_names)
    save(model, path, meta=model_meta(result))
    X = result.X_sample
    if X is None or not len(X):
        return
    X = X[:256]
    back = load(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        same = np.array_equal(np.asarray(model.predict(X)), np.asarray(back.predict(X)))
        if same and hasattr(model, "predict_proba"):
            same = np.array_equal(model.predict_proba(X), back.predict_proba(X))
    if not same:
        raise LingradError(
            f"{path.name}: the model read back from the file does not predict what "
            "the trained model predicts; nothing was written (please report this)"
        )


def write_run(result: FitResult, folder: Path, *, draw: bool, title: str) -> list[Path]:
    """Write every output of a run into ``folder``; returns the files written."""
    from lingrad.report import write_report

    figs = figures(result, folder) if draw else []
    model_path = folder / MODEL_FILE
    save_checked(result, model_path)
    written = [model_path]
    if result.history is not None:
        history_path = folder / "history.npz"
        result.history.save_npz(history_path)
        written.append(history_path)
    written += figs
    prep = describe(result.model)
    doc = {
        "model": result.spec.name,
        "estimator": type(final_estimator(result.model)).__name__,
        "preprocessing": prep or None,
        "scaled": bool(result.params.get("standardized inputs", False)),
        "hyperparams": result.params,
        "data": result.data_summary,
        "metrics": result.metrics,
        "reference": result.reference,
        "n_iter": getattr(final_estimator(result.model), "n_iter_", None),
    }
    metrics_path = folder / "metrics.json"
    text = json.dumps(jsonable(doc), indent=2) + "\n"
    metrics_path.write_text(text, encoding="utf-8")
    written.append(metrics_path)
    report = write_report(
        folder,
        title=title,
        model=f"{result.spec.name}: {result.spec.summary}"
        + (f"  (preprocessing: {prep})" if prep else ""),
        equation=result.spec.equation,
        data_summary=result.data_summary,
        hyperparams=result.params,
        metrics=_report_metrics(result.metrics),
        comparison=result.reference,
        figures=figs,
        notes="\n\n".join(result.notes),
    )
    written.append(report)
    return written


def check_finite_metrics(result: FitResult) -> None:
    """A fit whose training metrics are not finite is not a model: refuse it."""
    bad = [
        f"{name} {key}={value}"
        for name, values in result.metrics.items()
        for key, value in values.items()
        if name == "train"
        and key in ("accuracy", "log_loss", "mse", "rmse", "mae")
        and isinstance(value, float)
        and not np.isfinite(value)
    ]
    if bad:
        raise LingradError(
            f"training ended with non-finite metrics ({', '.join(bad)}); nothing "
            "was written. Try --scale, a smaller --lr, or look for extreme values in "
            "the data"
        )


def _report_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Scalar metrics as a grid: rows train / test, columns the metric names."""
    grid = {}
    for name, values in metrics.items():
        grid[name] = {
            k: v
            for k, v in values.items()
            if k not in ("classes", "confusion_matrix", "per_class")
        }
    return grid


def finish(
    result: Any,
    stage: Path,
    out: Path,
    draw: bool,
    scale: bool,
    seed: int,
    compare: bool,
) -> list[Path]:
    check_finite_metrics(result)
    if compare:
        from lingrad.cli._reference import reference

        result.reference = reference(result, scale, seed)
    title = f"lingrad fit: {result.spec.name} on {result.data_summary['source']}"
    written = write_run(result, stage, draw=draw, title=title)
    return [out / p.name for p in written]


def print_summary(result: Any, written: list[Path], out: Path) -> None:
    from lingrad.cli._metrics import headline

    d = result.data_summary
    rows = f"{d['training rows']} training rows"
    if "held-out rows" in d:
        rows += f", {d['held-out rows']} held out"
    est = final_estimator(result.model)
    n_iter, solver = getattr(est, "n_iter_", None), getattr(est, "solver", None)
    if "epochs over the file" in d:
        epochs = f" in {d['epochs over the file']} passes over the file ({solver})"
    elif "passes over the data" in d:  # streamed exact solver (--stream)
        epochs = f" streamed: {solver}, exact, {d['passes over the data']} passes"
    elif "Dask workers" in d:
        epochs = f" on Dask ({d['Dask workers']} workers, {solver})"
    elif solver == "normal":
        epochs = " (closed form: normal equation)"
    elif n_iter is not None:
        unit = "epochs" if solver in ("sgd", "minibatch", "batch") else "iterations"
        epochs = f" in {n_iter} {unit} ({solver})"
    else:
        epochs = ""
    echo(
        f"trained {result.spec.name} on {d['source']} ({rows}, {d['features']} "
        f"features){epochs}"
    )
    for name, values in result.metrics.items():
        echo(f"  {name:<5} {headline(values)}")
    if result.reference:
        for metric, row in result.reference.items():
            cells = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if v is not None)
            echo(f"  compare {metric}: {cells}")
    echo(f"wrote {', '.join(p.name for p in written)} to {out}/")
    report = out / "report.html"
    echo(f"report: {report}")
