"""The few demo figures that lingrad.plot does not draw: several curves on one axes,
the Gaussian likelihood slice, and the bipolar sigmoid beside its relatives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from scipy.special import expit

from lingrad.plot.rules import RUN_COLORS
from lingrad.plot.style import (
    LABEL_SIZE,
    LEGEND_SIZE,
    TICK_SIZE,
    FigureLike,
    decorate,
    integer_axis,
    legend_below,
    new_figure,
)

COLORS = RUN_COLORS  # one colour per run, the same in every panel of a demo


def run_colors(names: Sequence[str]) -> dict[str, str]:
    """``{run name: colour}``: every panel of a demo draws a run in its colour."""
    return {name: COLORS[k % len(COLORS)] for k, name in enumerate(names)}


def plot_curves(
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    hline: tuple[float, str] | None = None,
    logy: bool = False,
    styles: Sequence[str] = ("-",),
    colors: Mapping[str, str] | None = None,
    whole_x: bool = False,
    ax: Axes | None = None,
) -> FigureLike:
    """One line per ``{label: (x, y)}``, an optional labelled horizontal reference.

    ``colors``: the colour of each run by label (default: the run colours in
    order); ``whole_x``: ticks at whole numbers only (steps, epochs)."""
    fig = ax.figure if ax is not None else new_figure((10.0, 5.0))
    ax = ax if ax is not None else fig.add_subplot()
    colors = colors or run_colors(list(curves))
    for k, (label, (x, y)) in enumerate(curves.items()):
        ax.plot(
            x,
            y,
            styles[k % len(styles)],
            color=colors[label],
            lw=2.0,
            label=label,
            alpha=0.9,
        )
    if hline is not None:
        ax.axhline(hline[0], color="gray", ls="-.", lw=1.4, label=hline[1])
    if logy:
        ax.set_yscale("log")
    decorate(ax, xlabel, ylabel, title)
    if whole_x:
        integer_axis(ax.xaxis)
    ax.legend(fontsize=LEGEND_SIZE, loc="best", framealpha=0.9)
    return fig


def plot_likelihood_slice(
    values: ArrayLike,
    log_p: ArrayLike,
    sse: ArrayLike,
    best: float,
    name: str,
    sigma2: float,
) -> Figure:
    """ln P and the squared error along one parameter: the peak sits on the valley."""
    fig = new_figure((10.0, 5.5))
    ax = fig.add_subplot()
    ax.plot(values, log_p, color="tab:blue", lw=2.4, label="log-likelihood ln P")
    ax.set_ylabel("ln P  (Gaussian, σ² fixed)", fontsize=LABEL_SIZE, color="tab:blue")
    twin = ax.twinx()
    twin.plot(values, sse, color="tab:red", lw=2.0, ls="--", label="Σ (y − xᵀw − b)²")
    twin.set_ylabel("squared error Σ (y − ŷ)²", fontsize=LABEL_SIZE, color="tab:red")
    twin.tick_params(labelsize=TICK_SIZE)
    ax.axvline(best, color="black", ls=":", lw=1.6, label=f"normal equation {name}*")
    decorate(
        ax,
        f"{name} (the other parameters at the optimum)",
        ax.get_ylabel(),
        f"Maximising ln P = minimising the squared error  (σ̂² = {sigma2:.3g})",
    )
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    legend_below(ax, lines)  # off the curves: the peak and the valley stay clear
    return fig


def plot_bipolar_shape(x_range: tuple[float, float] = (-8.0, 8.0)) -> Figure:
    """f(z) = (1 − e^−z)/(1 + e^−z) = tanh(z/2) = 2σ(z) − 1 beside σ(z) and tanh(z)."""
    z = np.linspace(*x_range, 400)
    fig = new_figure((10.0, 5.5))
    ax = fig.add_subplot()
    f = np.tanh(z / 2)
    ax.plot(z, f, color="tab:red", lw=3.0, label="f(z) = (1 − e⁻ᶻ)/(1 + e⁻ᶻ)")
    ax.plot(z, expit(z), color="tab:blue", lw=1.8, ls="--", label="σ(z) = 1/(1 + e⁻ᶻ)")
    ax.plot(z, np.tanh(z), color="tab:green", lw=1.8, ls=":", label="tanh(z)")
    ax.plot(z, 0.5 * (1 - f**2), color="tab:orange", lw=1.8, label="f′(z) = (1 − f²)/2")
    for level in (-1.0, 0.0, 1.0):
        ax.axhline(level, color="gray", lw=0.8)
    decorate(ax, "z = wᵀx", "value", "The bipolar sigmoid: f = 2σ(z) − 1 = tanh(z/2)")
    ax.legend(fontsize=LEGEND_SIZE, loc="upper left", framealpha=0.9)
    return fig


def plot_agreement(
    pairs: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
) -> Figure:
    """One panel per ``{label: (a, b)}``: the values b against a, on the diagonal."""
    fig = new_figure((6.5 * len(pairs), 6.0))
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    for k, (ax, (label, (a, b))) in enumerate(zip(axes, pairs.items(), strict=True)):
        a, b = np.ravel(a), np.ravel(b)
        lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
        pad = 0.05 * (hi - lo or 1.0)
        ax.plot(
            [lo - pad, hi + pad],
            [lo - pad, hi + pad],
            color="gray",
            ls="--",
            lw=1.2,
            label="b = a",
            zorder=0,
        )
        ax.scatter(
            a,
            b,
            s=30,
            color=COLORS[k % len(COLORS)],
            alpha=0.7,
            label=f"{a.size} values",
        )
        decorate(ax, xlabel, ylabel, label)
        ax.legend(fontsize=LEGEND_SIZE, loc="upper left", framealpha=0.9)
    fig.suptitle(title, fontsize=LABEL_SIZE + 3)
    return fig
