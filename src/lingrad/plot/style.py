"""Shared look of the lecture figures: font sizes, figure creation, saving.

Library code never touches pyplot's global state: figures are ``Figure`` objects with an
Agg canvas, so no GUI backend is ever imported.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from numpy.typing import ArrayLike

from lingrad.notebook.figures import LectureFigure

TITLE_SIZE = 15
LABEL_SIZE = 13
TICK_SIZE = 11
LEGEND_SIZE = 11
NOTE_SIZE = 11
DPI = 100

PathLike = str | os.PathLike[str]
FigureLike = Figure | SubFigure


def new_figure(figsize: tuple[float, float] = (9.0, 6.0)) -> Figure:
    """A Figure with an Agg canvas and constrained layout (no pyplot involved)."""
    fig = LectureFigure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_and_axes(
    ax: Axes | None, figsize: tuple[float, float] = (9.0, 6.0), **subplot_kw: Any
) -> tuple[FigureLike, Axes]:
    """Use ``ax`` when given, else a new one-panel figure."""
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot(**subplot_kw)


def root_figure(fig: FigureLike) -> Figure:
    """The top-level Figure holding ``fig`` (itself unless a SubFigure)."""
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def decorate(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    """Axis labels, title, tick sizes and a light grid."""
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, alpha=0.3)


def _legend(ax: Axes, handles: Sequence[Artist] | None, **placement: Any) -> None:
    if handles is None:
        handles = ax.get_legend_handles_labels()[0]
    if handles:
        kw = {"fontsize": LEGEND_SIZE, "frameon": False, **placement}
        ax.legend(handles=list(handles), **kw)


def legend_outside(
    ax: Axes, handles: Sequence[Artist] | None = None, *, ncol: int = 1
) -> None:
    """The legend to the right of the axes, off the data."""
    _legend(ax, handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0, ncol=ncol)  # fmt: skip


def legend_below(ax: Axes, handles: Sequence[Artist] | None = None) -> None:
    """The legend under the x-axis label, off the data, in up to three columns."""
    n = len(handles if handles is not None else ax.get_legend_handles_labels()[0])
    _legend(ax, handles, loc="upper center", bbox_to_anchor=(0.5, -0.14),
            ncol=max(1, min(n, 3)))  # fmt: skip


def note_above(ax: Axes, note: str | None, title: str, width: int = 72) -> None:
    """An italic note between the title and the axes (wrapped), or nothing."""
    if not note:
        return
    lines = textwrap.wrap(note, width)
    ax.set_title(title, fontsize=ax.title.get_fontsize(), pad=10 + 13 * len(lines))
    ax.text(
        0.5,
        1.01,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=NOTE_SIZE,
        style="italic",
    )


def wrap_label(text: str, width: int = 22) -> str:
    """A legend label broken into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width))


def class_label(c: object) -> str:
    """``"class 3"`` for a bare number, the name itself when it says "class"."""
    text = str(c)
    return text if "class" in text.lower() else f"class {text}"


def integer_axis(axis: Axis) -> None:
    """Ticks at whole numbers only (counts: mistakes, epochs, iterations)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def save(fig: FigureLike, path: PathLike | None) -> None:
    """Write ``fig`` as a PNG at ``DPI`` when ``path`` is given (makes folders)."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    root_figure(fig).savefig(path, dpi=DPI)


def weight_track(W_track: ArrayLike) -> np.ndarray:
    """W snapshots as (M, P): (M,) -> (M, 1); (M, D) kept; (M, D, K) -> (M, D * K)."""
    W = np.asarray(W_track, dtype=np.float64)
    if W.ndim == 1:
        return W[:, None]
    if W.ndim == 2:
        return W
    if W.ndim == 3:
        return W.reshape(len(W), -1)
    raise ValueError(f"W_track must have 1 to 3 dimensions, got shape {W.shape}")


def bias_track(b_track: ArrayLike | None) -> np.ndarray:
    """b snapshots as (M, K): (M,) -> (M, 1); (M, K) kept."""
    b = np.asarray(b_track, dtype=np.float64)
    if b.ndim == 1:
        return b[:, None]
    if b.ndim == 2:
        return b
    raise ValueError(f"b_track must have 1 or 2 dimensions, got shape {b.shape}")


def subsample_indices(M: int, n: int) -> np.ndarray:
    """``n`` evenly spread indices of ``range(M)``, first and last included.

    With ``n >= M`` every index is returned once; otherwise exactly ``n`` distinct ones.
    """
    if M <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= M:
        return np.arange(M)
    if n <= 1:
        return np.array([M - 1])
    return np.floor(np.linspace(0, M - 1, n) + 0.5).astype(np.int64)


def spread_indices(M: int, n: int) -> np.ndarray:
    """Exactly ``n`` indices of ``range(M)`` spread evenly (repeats when ``n > M``)."""
    if M <= 0:
        raise ValueError("need at least one snapshot")
    if n <= 1:
        return np.array([M - 1])[:n]
    return np.floor(np.linspace(0, M - 1, n) + 0.5).astype(np.int64)


def step_axis(steps: ArrayLike | None, M: int) -> np.ndarray:
    """Step numbers of M snapshots: ``steps`` as given, else 0 .. M-1."""
    if steps is None:
        return np.arange(M)
    given = np.asarray(steps)
    if given.shape != (M,):
        raise ValueError(f"steps has shape {given.shape}, expected ({M},)")
    return given
