"""The files of a ``lingrad fit`` run: model, metrics, History, figures, report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lingrad.errors import LingradError
from lingrad.report.values import jsonable
from lingrad.workflows.figures import Warn, as_warning, figures
from lingrad.workflows.memory import FitResult
from lingrad.workflows.pipeline import describe, final_estimator, name_inputs

MODEL_FILE = "model.lingrad"


def model_meta(result: FitResult) -> dict[str, object]:
    """What the model file keeps for predict and evaluate besides the model."""
    meta = jsonable(
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
    assert isinstance(meta, dict)  # a dict stays a dict
    return meta


def save_checked(result: FitResult, path: Path) -> None:
    """Save the model with its meta, read it back, and check that it predicts
    exactly (bit for bit) what the trained model predicts on the training rows."""
    import warnings

    from lingrad.persist.modelfile import load, save

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


def write_run(
    result: FitResult,
    folder: Path,
    *,
    draw: bool,
    title: str,
    boundary: tuple[int, int] | None = None,
    compare: bool = True,
    warn: Warn = as_warning,
) -> list[Path]:
    """Write every output of a run into ``folder``; returns the files written."""
    from lingrad.report import write_report
    from lingrad.workflows.reference import comparison_words

    figs, captions = figures(result, folder, boundary, warn) if draw else ([], {})
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
    from lingrad.workflows.coefficients import coefficient_html, fit_summary

    if (coefficients := fit_summary(result)) is not None:
        doc["summary"] = coefficients  # se, tests, intervals (lingrad summary)
    metrics_path = folder / "metrics.json"
    text = json.dumps(jsonable(doc), indent=2) + "\n"
    metrics_path.write_text(text, encoding="utf-8")
    written.append(metrics_path)
    compared = comparison_words(result, compare)
    spec = result.spec.for_loss(getattr(final_estimator(result.model), "loss", None))
    report = write_report(
        folder,
        title=title,
        model=f"{result.spec.name}: {spec.summary}"
        + (f"  (preprocessing: {prep})" if prep else ""),
        equation=spec.equation,
        data_summary=result.data_summary,
        hyperparams=result.params,
        metrics=_report_metrics(result.metrics),
        comparison=result.reference,
        comparison_title=compared[0],
        comparison_note=compared[1],
        figures=figs,
        captions=captions,
        notes="\n\n".join(result.notes),
        coefficients=coefficient_html(result),
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


def _report_metrics(
    metrics: Mapping[str, Mapping[str, object]],
) -> dict[str, dict[str, object]]:
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
    result: FitResult,
    stage: Path,
    out: Path,
    draw: bool,
    scale: bool,
    seed: int,
    compare: bool,
    boundary: tuple[int, int] | None = None,
    warn: Warn = as_warning,
) -> list[Path]:
    """Check, compare with scikit-learn (``compare``), write every output into
    ``stage``; returns the paths the files will have in ``out``."""
    check_finite_metrics(result)
    if compare:
        from lingrad.workflows.reference import reference

        result.reference = reference(result, scale, seed)
    title = f"lingrad fit: {result.spec.name} on {result.data_summary['source']}"
    written = write_run(
        result, stage, draw=draw, title=title, boundary=boundary, compare=compare,
        warn=warn,
    )  # fmt: skip
    return [out / p.name for p in written]
