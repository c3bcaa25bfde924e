"""GIF animations of training: the fitted line moving, the decision boundary moving."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.animation import PillowWriter
from matplotlib.artist import Artist
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import ArrayLike
from PIL import Image

from .boundary import (
    as_class_proba,
    class_colors,
    draw_regions,
    feature_names_of,
    make_plane,
    scatter_classes,
    scores_to_index,
)
from .fit import Kind, draw_data, model_curve, model_curve_x, one_feature, scalar_tracks
from .plane import Plane
from .style import (
    DPI,
    LABEL_SIZE,
    NOTE_SIZE,
    TICK_SIZE,
    PathLike,
    decorate,
    legend_outside,
    new_figure,
    spread_indices,
    step_axis,
)


def _frame_counter(fig: Figure) -> Text:
    """Small 'frame i/n' text; it also keeps every frame distinct, so GIF writers
    never merge two identical frames and the frame count stays exact."""
    return fig.text(0.995, 0.005, "", ha="right", va="bottom", fontsize=9, color="gray")


def _write_frames(
    fig: Figure, path: PathLike, n: int, fps: float, draw: Callable[[int], None]
) -> int:
    """Draw frame 0, freeze the layout, then grab ``n`` frames into the GIF ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    counter = _frame_counter(fig)
    draw(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # no jitter as titles change length
    writer = PillowWriter(fps=fps)  # type: ignore[arg-type]  # stub: int; any number works
    with writer.saving(fig, str(path), dpi=DPI):
        for f in range(n):
            draw(f)
            counter.set_text(f"frame {f + 1}/{n}")
            writer.grab_frame()
    with Image.open(path) as gif:
        return int(getattr(gif, "n_frames", 1))


def animate_fit(
    x: ArrayLike,
    y: ArrayLike,
    W_track: ArrayLike,
    b_track: ArrayLike | None,
    kind: Kind = "linear",
    path: PathLike = "fit.gif",
    *,
    frames: int = 40,
    fps: float = 10,
    steps: ArrayLike | None = None,
    x_range: Sequence[float] | None = None,
    trail: bool = True,
) -> int:
    """GIF of ŷ = w x + b (or σ(w x + b)) over the data, one snapshot per frame.

    ``frames`` snapshots are picked evenly from the track (repeated when there are
    fewer); earlier frames' lines stay as a faint rainbow trail. Returns the number of
    frames in the written GIF (equal to ``frames``).
    """
    if frames < 1:
        raise ValueError("frames must be >= 1")
    x = one_feature(x)
    y = np.asarray(y, dtype=np.float64).ravel()
    w_track, b_track_ = scalar_tracks(W_track, b_track)
    steps = step_axis(steps, len(w_track))
    idx = spread_indices(len(w_track), frames)
    x_curve = model_curve_x(x, kind, x_range)
    curves = [model_curve(w_track[i], b_track_[i], x_curve, kind) for i in idx]
    cmap = colormaps["rainbow"]
    span = max(float(steps[-1] - steps[0]), 1.0)

    fig = new_figure((9.0, 6.0))
    ax = fig.add_subplot()
    draw_data(ax, x, y, kind)
    if kind == "linear":
        lo = min(y.min(), min(c.min() for c in curves))
        hi = max(y.max(), max(c.max() for c in curves))
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    pad = 0.03 * (x_curve[-1] - x_curve[0])
    ax.set_xlim(x_curve[0] - pad, x_curve[-1] + pad)
    (current,) = ax.plot([], [], lw=3.0, zorder=2.5)
    decorate(ax, "x", ax.get_ylabel(), "")
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="k", lw=3.0, label="model at this step")]
    if trail:
        handles += [Line2D([], [], color="gray", lw=1.0, label="earlier steps")]
    legend_outside(ax, handles)

    def draw(f: int) -> None:
        i = idx[f]
        color = cmap((steps[i] - steps[0]) / span)
        if trail and f > 0:  # the previous frame's line stays, faint
            prev = idx[f - 1]
            ax.plot(
                x_curve,
                curves[f - 1],
                lw=1.0,
                alpha=0.35,
                zorder=2,
                color=cmap((steps[prev] - steps[0]) / span),
            )
        current.set_data(x_curve, curves[f])
        current.set_color(color)
        ax.set_title(
            f"step {steps[i]}:  w = {w_track[i]:.3f},  b = {b_track_[i]:.3f}",
            fontsize=LABEL_SIZE + 1,
        )

    return _write_frames(fig, path, frames, fps, draw)


def animate_decision_boundary(
    X: ArrayLike,
    y: ArrayLike,
    snapshots: Sequence[Any],
    path: PathLike = "boundary.gif",
    *,
    proba_fn: Callable[[Any, np.ndarray], Any] | None = None,
    score_fn: Callable[[Any, np.ndarray], Any] | None = None,
    frames: int = 40,
    fps: float = 10,
    steps: ArrayLike | None = None,
    plane: Plane | None = None,
    feature_idx: tuple[int, int] | None = None,
    fixed: ArrayLike | None = None,
    resolution: int = 100,
    feature_names: Sequence[str] | None = None,
) -> int:
    """GIF of the class regions and boundary as the parameters move.

    Parameters
    ----------
    snapshots : sequence of length M
        Parameter snapshots (e.g. dicts ``{"affine.W": W, "affine.b": b}``) given to
        ``proba_fn(snapshot, points (G, D)) -> P``; or, with ``proba_fn=None``,
        callables ``points -> P``. P is P(class 1) (G,) or probabilities (G, K).
    score_fn : callable ``(snapshot, points) -> z``, optional
        For a model without probabilities (a perceptron): scores z (G,) (class 1
        where z >= 0) or (G, K) (argmax). Flat regions, boundary z = 0, no colour
        bar.
    plane, feature_idx, fixed
        Where to draw, as in :func:`~lingrad.plot.plot_decision_boundary`.
    frames : int
        Exactly this many frames, snapshots picked evenly (repeated if fewer).

    Returns
    -------
    int
        The number of frames in the written GIF.
    """
    if frames < 1:
        raise ValueError("frames must be >= 1")
    fig, draw = boundary_animation(
        X, y, snapshots, proba_fn=proba_fn, score_fn=score_fn, frames=frames,
        steps=steps, plane=plane, feature_idx=feature_idx, fixed=fixed,
        resolution=resolution, feature_names=feature_names,
    )  # fmt: skip
    return _write_frames(fig, path, frames, fps, draw)


def boundary_animation(
    X: ArrayLike,
    y: ArrayLike,
    snapshots: Sequence[Any],
    *,
    proba_fn: Callable[[Any, np.ndarray], Any] | None = None,
    score_fn: Callable[[Any, np.ndarray], Any] | None = None,
    frames: int = 40,
    steps: ArrayLike | None = None,
    plane: Plane | None = None,
    feature_idx: tuple[int, int] | None = None,
    fixed: ArrayLike | None = None,
    resolution: int = 100,
    feature_names: Sequence[str] | None = None,
) -> tuple[Figure, Callable[[int], None]]:
    """The figure of :func:`animate_decision_boundary` and ``draw(f)``, which draws
    frame f into it (f < ``frames``)."""
    X_arr = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    classes = np.unique(y)
    names = feature_names_of(X, None, X_arr.shape[1], feature_names)
    plane = make_plane(X_arr, names, plane, feature_idx, fixed)
    grid = plane.grid(X_arr, resolution)
    steps = step_axis(steps, len(snapshots))
    idx = spread_indices(len(snapshots), frames)
    colors = class_colors(len(classes))

    def regions(snapshot: Any) -> tuple[np.ndarray, Any, Any]:
        """(class index, P or None, binary score or None) on the grid."""
        if score_fn is not None:
            z = np.asarray(score_fn(snapshot, grid.points), dtype=np.float64)
            binary = z.ndim == 1 or z.shape[1] == 1
            return scores_to_index(z), None, z.ravel() if binary else None
        if proba_fn is None:
            out = snapshot(grid.points)
        else:
            out = proba_fn(snapshot, grid.points)
        P = as_class_proba(out)
        return P.argmax(axis=1), P, None

    fig = new_figure((10.5, 7.5))
    ax = fig.add_subplot()
    scatter_classes(ax, plane.project(X_arr), y, classes, colors)
    decorate(ax, *plane.labels, "")
    ax.grid(False)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="k", lw=2.0, label="decision boundary"))
    legend_outside(ax, handles)
    note = plane.note()
    if note:
        ax.text(
            0.5,
            1.01,
            note,
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=NOTE_SIZE,
            style="italic",
            wrap=True,
        )
    artists: list[Artist] = []
    has_colorbar: list[Colorbar] = []  # the one Colorbar, once drawn

    def draw(f: int) -> None:
        for artist in artists:
            artist.remove()
        k, P, score = regions(snapshots[idx[f]])
        new, mappable = draw_regions(ax, grid, k, P, score, colors)
        artists[:] = new
        if mappable is not None and not has_colorbar:
            cbar = fig.colorbar(mappable, ax=ax, pad=0.02, ticks=np.linspace(0, 1, 6))
            cbar.set_label(f"P(y = {classes[-1]})", fontsize=LABEL_SIZE)
            cbar.ax.tick_params(labelsize=TICK_SIZE)
            has_colorbar.append(cbar)
        ax.set_title(
            f"Decision boundary at step {steps[idx[f]]}",
            fontsize=LABEL_SIZE + 2,
            pad=24 if note else 6,
        )

    return fig, draw
