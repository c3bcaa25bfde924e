"""The lecture figures, drawn on matplotlib's Agg canvas (no GUI, no pyplot state).

Every function takes plain arrays, returns the Figure, accepts ``ax=`` to draw into an
existing Axes and ``path=`` to save a PNG. ``from_history`` reads a History directly.
"""

from .animate import animate_decision_boundary, animate_fit
from .boundary import plot_decision_boundary
from .curves import (
    plot_accumulated_accuracy,
    plot_loss,
    plot_loss_and_accuracy,
    plot_loss_and_params,
    plot_params,
    wants_log_scale,
)
from .fit import plot_fit_evolution
from .from_history import (
    affine_proba,
    animate_boundary_from_history,
    animate_fit_from_history,
    history_snapshots,
    param_tracks,
    plot_fit_from_history,
    plot_history,
)
from .regpath import plot_regularization_path, plot_regularization_paths
from .sigmoid import plot_sigmoid_shapes
from .surface import bce_surface, mse_surface, plot_loss_surface

__all__ = [
    "affine_proba",
    "animate_boundary_from_history",
    "animate_decision_boundary",
    "animate_fit",
    "animate_fit_from_history",
    "bce_surface",
    "history_snapshots",
    "mse_surface",
    "param_tracks",
    "plot_accumulated_accuracy",
    "plot_decision_boundary",
    "plot_fit_evolution",
    "plot_fit_from_history",
    "plot_history",
    "plot_loss",
    "plot_loss_and_accuracy",
    "plot_loss_and_params",
    "plot_loss_surface",
    "plot_params",
    "plot_regularization_path",
    "plot_regularization_paths",
    "plot_sigmoid_shapes",
    "wants_log_scale",
]
