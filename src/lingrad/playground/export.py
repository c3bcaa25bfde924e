"""Export: the current run's files, written as ``lingrad fit`` writes them.

The model as trained so far (behind a fitted ``StandardScaler`` in a Pipeline
when the inputs were standardized, as ``lingrad fit --scale`` saves it), its
History, metrics, figures and ``report.html`` go through
``lingrad.workflows.outputs.finish`` into a staged folder that appears whole or not
at all: ``<out>/<preset or model>-NNN/``.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingrad.playground.session import Session
from lingrad.playground.settings import SettingsError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from lingrad.models._base import GradientEstimator
    from lingrad.workflows.types import Dense, Model

_FIGURES = threading.Lock()  # matplotlib draws one figure set at a time


def export(session: Session, out_root: Path) -> tuple[Path, list[str]]:
    """Write the run's model file and report; returns the folder and file names."""
    from lingrad.playground.console import note
    from lingrad.workflows.memory import (
        FitResult,
        effective_params,
        evaluate,
        summarize,
    )
    from lingrad.workflows.outputs import finish
    from lingrad.workflows.staging import staged_output
    from lingrad.workflows.tables import Data

    with session.lock:
        session.pause()
        run, trainer = session.run, session.run.trainer
        if not run.fitted or (trainer is not None and trainer.t == 0):
            raise SettingsError(
                {"export": "nothing trained yet: press Step or Play first"}
            )
        est = copy.deepcopy(run.est)
        history = copy.deepcopy(getattr(est, "history_", None))
        settings, spec, data = run.settings, run.spec, run.data
        notes = [
            f"Exported from lingrad playground after {trainer.t} steps "
            f"({trainer.epoch} epochs) of {settings.solver}."
            if trainer is not None
            else f"Exported from lingrad playground ({settings.solver}).",
            run.init_note,
            *run.notes,
        ]
        mean, std = run.mean, run.std
        name = settings.model if session.custom else session.preset
    est.forget_training()  # nothing of the live trainer travels
    model: Model = est
    X = np.asarray(data.X, dtype=np.float64)
    if settings.scale:
        model = _scaled(est, X, mean, std)
    y = data.y
    table = Data(X, y, list(data.feature_names), data.target, data.source, None)
    params = effective_params(spec, est.get_params(deep=False), settings.scale)
    result = FitResult(
        model,
        spec,
        params,
        list(data.feature_names),
        data.target,
        {"train": evaluate(spec, model, X, y)},
        summarize(table, len(X), 0, data.classes),
        history=history,
        X_sample=X,
        y_sample=y,
        y_train=y,
        notes=[n for n in notes if n],
    )
    folder = _next_folder(out_root, name)
    with _FIGURES, staged_output(folder) as stage:
        written = finish(
            result, stage, folder, True, settings.scale, settings.seed, compare=True,
            warn=note,
        )  # fmt: skip
    return folder, [p.name for p in written]


def _scaled(
    est: GradientEstimator, X: Dense, mean: Dense | None, std: Dense | None
) -> Pipeline:
    """``Pipeline([scale, model])``, the scaler exactly the run's (x - mean) / std."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    assert mean is not None and std is not None  # settings.scale: the run's
    scaler = StandardScaler().fit(X)  # the fitted attributes, then the run's values
    scaler.mean_, scaler.scale_, scaler.var_ = mean, std, std**2
    return Pipeline([("scale", scaler), ("model", est)])


def _next_folder(root: Path, name: str) -> Path:
    k = 1
    while (root / f"{name}-{k:03d}").exists():
        k += 1
    return root / f"{name}-{k:03d}"
