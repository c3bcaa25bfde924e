"""Regularization paths: each weight against the penalty strength alpha (log x)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .style import (
    LEGEND_SIZE,
    FigureLike,
    PathLike,
    decorate,
    figure_and_axes,
    new_figure,
    save,
    weight_track,
)

Penalty = Literal["l1", "l2"]
TITLES = {
    "l1": "L1 penalty α‖W‖₁: weights reach exactly 0",
    "l2": "L2 penalty α‖W‖²: weights shrink smoothly",
}


def plot_regularization_path(
    alphas: ArrayLike,
    coefs: ArrayLike,
    penalty: Penalty = "l1",
    *,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Weights w_i(alpha) of the minimiser of J(W) + penalty, one line per feature.

    Parameters
    ----------
    alphas : array of shape (A,)
        Positive penalty strengths (any order; drawn sorted on a log x axis).
    coefs : array of shape (A, D) or (A, D, 1)
        The fitted weights at each alpha.
    penalty : {"l1", "l2"}
        Sets the title (L1 sparsifies, L2 shrinks).
    """
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    W = weight_track(coefs)
    if len(W) != len(alphas):
        raise ValueError(f"coefs has {len(W)} rows for {len(alphas)} alphas")
    if np.any(alphas <= 0):
        raise ValueError("alphas must be positive for a log axis")
    if penalty not in TITLES:
        raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
    order = np.argsort(alphas)
    alphas, W = alphas[order], W[order]
    D = W.shape[1]
    names = list(feature_names) if feature_names is not None else None
    if names is None:
        names = ["w"] if D == 1 else [f"w{i + 1}" for i in range(D)]
    if len(names) != D:
        raise ValueError(f"feature_names has {len(names)} entries for {D} weights")

    fig, ax = figure_and_axes(ax, (9.0, 6.0))
    styles = ["-", "--", "-.", ":"]  # colour repeats after 10: vary the dash too
    for i in range(D):
        ax.plot(
            alphas,
            W[:, i],
            color=f"C{i % 10}",
            ls=styles[(i // 10) % 4],
            lw=2.0,
            label=names[i],
        )
    ax.axhline(0.0, color="gray", lw=1.0)
    ax.set_xscale("log")
    decorate(ax, "penalty strength α (log scale)", "weight", title or TITLES[penalty])
    ncol = 1 if D <= 12 else 2
    ax.legend(
        fontsize=LEGEND_SIZE,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        ncol=ncol,
    )
    save(fig, path)
    return fig


def plot_regularization_paths(
    alphas: ArrayLike,
    coefs_l1: ArrayLike,
    coefs_l2: ArrayLike,
    *,
    alphas_l2: ArrayLike | None = None,
    feature_names: Sequence[str] | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """L1 and L2 paths side by side, sharing the weight axis (``alphas_l2`` defaults to
    ``alphas``)."""
    fig = new_figure((15.0, 6.0))
    ax_l1, ax_l2 = fig.subplots(1, 2, sharey=True)
    plot_regularization_path(
        alphas, coefs_l1, "l1", feature_names=feature_names, ax=ax_l1
    )
    plot_regularization_path(
        alphas if alphas_l2 is None else alphas_l2,
        coefs_l2,
        "l2",
        feature_names=feature_names,
        ax=ax_l2,
    )
    ax_l1.get_legend().remove()
    save(fig, path)
    return fig
