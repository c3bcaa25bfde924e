"""The rows along a classifier's score: what a region figure draws where no plane
shows the model faithfully (:mod:`.faithful`). Exact for every row.

Two classes: each row at its score z (x axis, the boundary z = 0 a vertical line,
each side in its class's colour), in the strip of its true class (y). More: each
row in the band of its predicted class (y), at the margin of that class's score
over the runner-up (x), coloured by its true class: a row whose colour is not its
band's is one the model gets wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.typing import ColorType

from .faithful import scores
from .rules import BOUNDARY_GID
from .style import (
    TICK_SIZE,
    FigureLike,
    PathLike,
    class_label,
    decorate,
    figure_and_axes,
    legend_outside,
    note_above,
    save,
)

JITTER = 0.3  # rows spread ± this across their strip


def _jitter(N: int) -> np.ndarray:
    out: np.ndarray = np.random.default_rng(0).uniform(-JITTER, JITTER, N)
    return out


def plot_score_strip(
    model_or_fn: Any,
    X: np.ndarray,
    true_idx: np.ndarray,
    own_idx: np.ndarray,
    classes: Sequence[object] | np.ndarray,
    colors: Sequence[ColorType],
    *,
    reason: str,
    title: str,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """The rows X (N, D) along the model's score, their true class index
    ``true_idx`` (N,) and predicted one ``own_idx`` (N,); ``reason`` says why."""
    S = scores(model_or_fn, X)  # (N, K')
    K = len(classes)
    fig, ax = figure_and_axes(ax, (10.5, 7.5))
    jitter = _jitter(len(X))
    if S.shape[1] == 1:
        z = S[:, 0]
        rows_y, x = true_idx + jitter, z
        span = float(np.abs(z).max(initial=1.0)) * 1.08
        ax.axvspan(-span, 0.0, color=colors[0], alpha=0.18, lw=0)
        ax.axvspan(0.0, span, color=colors[1], alpha=0.18, lw=0)
        ax.axvline(0.0, color="k", lw=2.2, gid=BOUNDARY_GID)
        ax.set_xlim(-span, span)
        xlabel = f"the model's score z ({class_label(classes[1])} right of 0)"
        ylabel = "true class"
        how = "each side of z = 0 in the colour of the class the model predicts there"
        extra = [Line2D([], [], color="k", lw=2.0, label="decision boundary z = 0")]
    else:
        top = np.sort(S, axis=1)
        x = top[:, -1] - top[:, -2]  # the predicted class's lead over the next
        rows_y = own_idx + jitter
        for k in range(K):
            ax.axhspan(k - 0.5, k + 0.5, color=colors[k], alpha=0.15, lw=0)
        xlabel = "margin: the predicted class's score minus the runner-up's"
        ylabel = "predicted class"
        how = (
            "each band in the colour of the class the model predicts for its rows; a "
            "row of another colour is one it gets wrong"
        )
        extra = []
    for k in range(K):
        mask = true_idx == k
        if mask.any():
            ax.scatter(
                x[mask], rows_y[mask], color=colors[k], s=26, edgecolors="k",
                linewidths=0.6, label=class_label(classes[k]), zorder=3,
            )  # fmt: skip
    ax.set_ylim(-0.5, K - 0.5)
    ax.set_yticks(range(K), [class_label(c) for c in classes], fontsize=TICK_SIZE)
    decorate(ax, xlabel, ylabel, title)
    ax.grid(False)
    note_above(ax, f"{reason}; {how}", title)
    handles, _ = ax.get_legend_handles_labels()
    legend_outside(ax, [*handles, *extra])
    save(fig, path)
    return fig
