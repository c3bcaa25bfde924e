"""The files of a ``lingrad fit`` run: model, metrics, History, figures, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lingrad.cli._common import echo
from lingrad.cli._train import FitResult

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


def write_run(
    result: FitResult,
    folder: Path,
    *,
    draw: bool,
    title: str,
    boundary: tuple[int, int] | None = None,
    compare: bool = True,
) -> list[Path]:
    """Write every output of a run into ``folder``; returns the files written."""
    from lingrad.cli._reference import comparison_words
    from lingrad.cli._report_figures import figures
    from lingrad.io import save_model
    from lingrad.report import write_report

    figs, captions = figures(result, folder, boundary) if draw else ([], {})
    # predict matches the columns by these names (set last: sklearn would warn on
    # every numpy X given to the model before)
    result.model.feature_names_in_ = np.asarray(result.feature_names, dtype=object)
    model_path = folder / MODEL_FILE
    save_model(result.model, model_path)
    written = [model_path]
    if result.history is not None:
        history_path = folder / "history.npz"
        result.history.save_npz(history_path)
        written.append(history_path)
    written += figs
    doc = {
        "model": result.spec.name,
        "estimator": type(result.model).__name__,
        "scaled": hasattr(result.model, "estimator_"),
        "hyperparams": result.params,
        "data": result.data_summary,
        "metrics": result.metrics,
        "reference": result.reference,
        "n_iter": getattr(
            getattr(result.model, "estimator_", result.model), "n_iter_", None
        ),
    }
    metrics_path = folder / "metrics.json"
    text = json.dumps(jsonable(doc), indent=2) + "\n"
    metrics_path.write_text(text, encoding="utf-8")
    written.append(metrics_path)
    compared = comparison_words(result, compare)
    report = write_report(
        folder,
        title=title,
        model=f"{result.spec.name}: {result.spec.summary}"
        + ("  (inputs standardized: (x - mean) / std)" if doc["scaled"] else ""),
        equation=result.spec.equation,
        data_summary=result.data_summary,
        hyperparams=result.params,
        metrics=_report_metrics(result.metrics),
        comparison=result.reference,
        comparison_title=compared[0],
        comparison_note=compared[1],
        figures=figs,
        captions=captions,
        notes="\n\n".join(result.notes),
    )
    written.append(report)
    return written


def _report_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Scalar metrics as a grid: rows train / test, columns the metric names."""
    grid = {}
    for name, values in metrics.items():
        grid[name] = {
            k: v for k, v in values.items() if k not in ("classes", "confusion_matrix")
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
    boundary: tuple[int, int] | None = None,
) -> list[Path]:
    if compare:
        from lingrad.cli._reference import reference

        result.reference = reference(result, scale, seed)
    title = f"lingrad fit: {result.spec.name} on {result.data_summary['source']}"
    written = write_run(
        result, stage, draw=draw, title=title, boundary=boundary, compare=compare
    )
    return [out / p.name for p in written]


def print_summary(result: Any, written: list[Path], out: Path) -> None:
    from lingrad.cli._metrics import headline

    d = result.data_summary
    rows = f"{d['training rows']} training rows"
    if "held-out rows" in d:
        rows += f", {d['held-out rows']} held out"
    est = getattr(result.model, "estimator_", result.model)
    n_iter, solver = getattr(est, "n_iter_", None), getattr(est, "solver", None)
    if "epochs over the file" in d:
        epochs = f" in {d['epochs over the file']} passes over the file ({solver})"
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
