"""The lecture's fit-evolution figure: the data and the model after every update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from numpy.typing import ArrayLike
from scipy.special import expit

from .style import (
    LABEL_SIZE,
    TICK_SIZE,
    FigureLike,
    PathLike,
    bias_track,
    decorate,
    figure_and_axes,
    legend_below,
    save,
    step_axis,
    subsample_indices,
    weight_track,
)

Kind = Literal["linear", "logistic"]


def one_feature(x: ArrayLike) -> np.ndarray:
    """x as (N,): accepts (N,) or (N, 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"the fit is drawn for one feature; x has shape {x.shape}")
    return np.asarray(x)


def scalar_tracks(
    W_track: ArrayLike, b_track: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """(M,) tracks of the single weight w and bias b."""
    W = weight_track(W_track)
    b = bias_track(b_track)
    if W.shape[1] != 1 or b.shape[1] != 1:
        raise ValueError(
            f"the fit is drawn for one weight and one bias; got W of {W.shape[1]} "
            f"and b of {b.shape[1]} values per snapshot"
        )
    if len(W) != len(b):
        raise ValueError(f"W_track has {len(W)} snapshots, b_track {len(b)}")
    return W[:, 0], b[:, 0]


def model_curve_x(
    x: np.ndarray, kind: Kind, x_range: Sequence[float] | None = None
) -> np.ndarray:
    """x values where the model is drawn: the data's ends (linear) or a fine grid."""
    lo, hi = (x.min(), x.max()) if x_range is None else map(float, x_range)
    if kind == "linear":
        return np.array([lo, hi])
    if kind == "logistic":
        pad = 0.1 * (hi - lo) if x_range is None else 0.0
        return np.linspace(lo - pad, hi + pad, 200)
    raise ValueError(f"kind must be 'linear' or 'logistic', got {kind!r}")


def model_curve(w: float, b: float, x_curve: np.ndarray, kind: Kind) -> np.ndarray:
    """pred = w x + b (linear) or pred = sigma(w x + b) (logistic)."""
    z = w * x_curve + b
    return z if kind == "linear" else expit(z)


def draw_data(ax: Axes, x: np.ndarray, y: np.ndarray, kind: Kind) -> None:
    """Scatter of the training data, on top of the model lines."""
    ax.scatter(
        x,
        y,
        s=22,
        c="black",
        edgecolors="white",
        linewidths=0.5,
        zorder=3,
        label="data",
    )
    if kind == "logistic":
        ax.set_ylim(-0.2, 1.2)
    ylabel = "y,  ŷ = w x + b" if kind == "linear" else "y,  ŷ = σ(w x + b)"
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)


def plot_fit_evolution(
    x: ArrayLike,
    y: ArrayLike,
    W_track: ArrayLike,
    b_track: ArrayLike | None,
    kind: Kind = "linear",
    *,
    steps: ArrayLike | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
    max_lines: int = 200,
    x_range: Sequence[float] | None = None,
    cmap: str = "rainbow",
    title: str | None = None,
) -> FigureLike:
    """Data and the model ŷ = w x + b (or σ(w x + b)) drawn for every snapshot.

    Parameters
    ----------
    x, y : array of shape (N,) or (N, 1), and (N,)
        One-feature training data.
    W_track, b_track : array of shape (M,), (M, 1) or (M, 1, 1), and (M,) or (M, 1)
        Parameters at each snapshot (the lecture's ``w_track``, ``b_track``).
    kind : {"linear", "logistic"}
        Straight line, or sigmoid curve over a grid spanning the data.
    steps : array of shape (M,), optional
        Step number of each snapshot (default 0 .. M-1); sets the colours.
    max_lines : int
        At most this many snapshots are drawn, evenly spread, first and last included.

    Returns
    -------
    Figure
        One Line2D per drawn snapshot, coloured along ``cmap`` by step (colorbar
        "step"); the last one is drawn bold.
    """
    x = one_feature(x)
    y = np.asarray(y, dtype=np.float64).ravel()
    w_track, b_track_ = scalar_tracks(W_track, b_track)
    steps = step_axis(steps, len(w_track))
    idx = subsample_indices(len(w_track), max_lines)
    fig, ax = figure_and_axes(ax, (10.0, 6.5))

    x_curve = model_curve_x(x, kind, x_range)
    lo, hi = float(steps[0]), float(steps[-1])
    norm = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0)
    colormap = ScalarMappable(norm=norm, cmap=cmap)
    alpha = 0.5 if kind == "linear" else 0.35
    for j, i in enumerate(idx):
        last = j == len(idx) - 1
        ax.plot(
            x_curve,
            model_curve(w_track[i], b_track_[i], x_curve, kind),
            color=colormap.to_rgba(steps[i]),
            alpha=1.0 if last else alpha,
            lw=2.8 if last else 1.2,
            zorder=2.5 if last else 2,
            label=f"model at step {steps[i]}" if last or j == 0 else None,
        )
    draw_data(ax, x, y, kind)

    colormap.set_array(np.asarray(steps[idx], dtype=np.float64))
    cbar = fig.colorbar(colormap, ax=ax, pad=0.02)
    cbar.set_label("step", fontsize=LABEL_SIZE)
    cbar.ax.tick_params(labelsize=TICK_SIZE)

    if title is None:
        what = "w x + b" if kind == "linear" else "σ(w x + b)"
        shown = f"{len(idx)} of {len(w_track)}" if len(idx) < len(w_track) else "all"
        title = f"Model ŷ = {what} after each update ({shown} steps drawn)"
    decorate(ax, "x", ax.get_ylabel(), title)
    legend_below(ax)  # the rainbow of lines fills the axes
    save(fig, path)
    return fig
