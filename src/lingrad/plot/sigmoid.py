"""Sigmoid family: w sharpens σ(w x); b shifts σ(w x + b) to the boundary x = -b/w."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from scipy.special import expit

from .style import LEGEND_SIZE, FigureLike, PathLike, decorate, new_figure, save


def plot_sigmoid_shapes(
    ws: Sequence[float] = (0.5, 1.0, 2.0, 5.0),
    bs: Sequence[float] = (-2.0, 0.0, 2.0),
    *,
    w_for_shift: float = 1.0,
    x_range: tuple[float, float] = (-6.0, 6.0),
    axes: Sequence[Axes] | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Two panels: ŷ = σ(w x) for each w, and ŷ = σ(w x + b) = σ(w (x - (-b/w))) per b.

    The right panel marks each decision boundary x = -b/w (where ŷ = 0.5) with a
    dashed vertical line of the curve's colour.
    """
    if axes is None:
        fig: FigureLike = new_figure((13.0, 5.5))
        ax_w, ax_b = fig.subplots(1, 2, sharey=True)
    else:
        ax_w, ax_b = axes
        fig = ax_w.figure
    x = np.linspace(*x_range, 400)

    for i, w in enumerate(ws):
        ax_w.plot(x, expit(w * x), color=f"C{i}", lw=2.2, label=f"w = {w:g}")
    for i, b in enumerate(bs):
        color = f"C{i + len(ws)}"
        boundary = -b / w_for_shift + 0.0  # + 0.0: no "-0"
        ax_b.plot(
            x,
            expit(w_for_shift * x + b),
            color=color,
            lw=2.2,
            label=f"b = {b:g}  (x = -b/w = {boundary:g})",
        )
        ax_b.axvline(boundary, color=color, ls="--", lw=1.4)

    for ax in (ax_w, ax_b):
        ax.axhline(0.5, color="gray", ls=":", lw=1.2)
        ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=LEGEND_SIZE, loc="upper left", framealpha=0.9)
    decorate(ax_w, "x", "ŷ = σ(w x)", "w sharpens the step: ŷ = σ(w x)")
    decorate(
        ax_b,
        "x",
        "ŷ = σ(w x + b)",
        f"b shifts the boundary to x = -b/w  (w = {w_for_shift:g})",
    )
    save(fig, path)
    return fig
