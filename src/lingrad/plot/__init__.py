"""The lecture figures, drawn on matplotlib's Agg canvas (no GUI, no pyplot state).

Every function takes plain arrays, returns the Figure, accepts ``ax=`` to draw into an
existing Axes and ``path=`` to save a PNG. ``from_history`` reads a History directly.

The names load lazily: ``lingrad.plot.plane`` (the plane of a decision-region figure)
and ``lingrad.plot.labels`` (what a curve is called) are pure NumPy and import no
matplotlib, so a web server can share the figures' rules without it.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "animate_decision_boundary": "animate",
    "animate_fit": "animate",
    "plot_decision_boundary": "boundary",
    "plot_accumulated_accuracy": "curves",
    "plot_class_losses": "curves",
    "plot_loss": "curves",
    "plot_loss_and_accuracy": "curves",
    "plot_loss_and_params": "curves",
    "plot_params": "curves",
    "wants_log_scale": "curves",
    "plot_fit_evolution": "fit",
    "affine_proba": "from_history",
    "affine_score": "from_history",
    "animate_boundary_from_history": "from_history",
    "animate_fit_from_history": "from_history",
    "history_snapshots": "from_history",
    "param_tracks": "from_history",
    "plot_fit_from_history": "from_history",
    "plot_history": "from_history",
    "Plane": "plane",
    "plot_confusion_matrix": "practitioner",
    "plot_reliability": "practitioner",
    "plot_residuals": "practitioner",
    "plot_regularization_path": "regpath",
    "plot_regularization_paths": "regpath",
    "plot_sigmoid_shapes": "sigmoid",
    "bce_surface": "surface",
    "mse_surface": "surface",
    "plot_loss_surface": "surface",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'lingrad.plot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
