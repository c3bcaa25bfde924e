"""The lines ``lingrad fit`` prints after a run (the demo prints its own)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lingrad.cli._common import echo

if TYPE_CHECKING:
    from lingrad.workflows.memory import FitResult


def print_summary(result: FitResult, written: list[Path], out: Path) -> None:
    """What ``lingrad fit`` prints: the data, the training, the metrics, the files."""
    from lingrad.workflows.metrics import headline
    from lingrad.workflows.pipeline import final_estimator

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
    width = f"{d['features']} features"
    n_in = getattr(est, "n_features_in_", None)
    if (
        isinstance(n_in, int)
        and isinstance(d["features"], int)
        and n_in > d["features"]
    ):
        width = f"{d['features']} columns, {n_in:,} features"  # text, one-hot codes
    echo(f"trained {result.spec.name} on {d['source']} ({rows}, {width}){epochs}")
    for name, values in result.metrics.items():
        echo(f"  {name:<5} {headline(values)}")
    if result.reference:
        for metric, row in result.reference.items():
            cells = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if v is not None)
            echo(f"  compare {metric}: {cells}")
        from lingrad.workflows.reference import penalty_note

        note = penalty_note(result)
        if note:
            echo(f"  note: {note}")
    echo(f"wrote {', '.join(p.name for p in written)} to {out}/")
    report = out / "report.html"
    echo(f"report: {report}")
