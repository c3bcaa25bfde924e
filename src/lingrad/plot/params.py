"""Parameters during training: each weight and bias against the step, the truth
dotted and the exact optimum dash-dot beneath; the lecture's loss-and-parameters
figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from .curves import plot_loss
from .rules import step_words
from .style import (
    FigureLike,
    PathLike,
    bias_track,
    decorate,
    figure_and_axes,
    integer_axis,
    legend_outside,
    new_figure,
    save,
    step_axis,
    weight_track,
    wrap_label,
)

# true value: thick dotted on top; optimum: thin dash-dot beneath (they often agree)
REF_STYLE = {":": {"lw": 2.4, "zorder": 2.2}, "-.": {"lw": 1.4, "zorder": 2.1}}


def _param_names(
    P: int, K: int, names: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    if names is not None:
        if len(names) != P:
            raise ValueError(f"names has {len(names)} entries for {P} weights")
        w_names = list(names)
    elif P == 1:
        w_names = ["w"]
    else:
        w_names = [f"w{i + 1}" for i in range(P)]
    b_names = ["b"] if K == 1 else [f"b{k + 1}" for k in range(K)]
    return w_names, b_names


def _reference(value: ArrayLike | None, n: int, what: str) -> np.ndarray | None:
    if value is None:
        return None
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size != n:
        raise ValueError(f"{what} has {v.size} values, expected {n}")
    return v


def plot_params(
    steps: ArrayLike | None,
    W_track: ArrayLike,
    b_track: ArrayLike | None = None,
    *,
    true_W: ArrayLike | None = None,
    true_b: ArrayLike | None = None,
    optimum_W: ArrayLike | None = None,
    optimum_b: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    kind: str = "step",
    true_label: str = "true value",
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Each weight w_i and the bias b against the step.

    The true value is a dotted horizontal line of the parameter's colour, the exact
    optimum (the normal equation's, or an exact solver's such as Newton's) a dash-dot
    one beneath it. ``true_label`` names the dotted lines in the legend: where the
    fit cannot reach them (separable classes: no finite minimiser) say so, e.g.
    ``"generating value (unreachable: separable classes)"``.
    ``W_track`` is (M,), (M, D) or (M, D, K) (flattened row-major); ``b_track`` (M,)
    or (M, K); ``steps`` (M,) or None for 0 .. M-1; ``kind`` names a step.
    """
    W = weight_track(W_track)
    b = bias_track(b_track) if b_track is not None else np.zeros((len(W), 0))
    steps = step_axis(steps, len(W))
    P, K = W.shape[1], b.shape[1]
    w_names, b_names = _param_names(P, K, names)
    tracks = np.hstack([W, b])
    labels = w_names + b_names
    if P == 1 and K == 1:
        colors = ["darkred", "darkblue"]  # the lecture's colours
    else:
        palette = [f"C{i % 10}" for i in range(P + K)]
        colors = palette[:P] + (["black"] if K == 1 else palette[P:])
    refs = []
    for value_W, value_b, style, what in (
        (true_W, true_b, ":", true_label),
        (optimum_W, optimum_b, "-.", "exact optimum"),
    ):
        parts = [_reference(value_W, P, what + " of W"), _reference(value_b, K, "b")]
        if parts[0] is None and parts[1] is None:
            continue
        full = np.full(P + K, np.nan)
        if parts[0] is not None:
            full[:P] = parts[0]
        if parts[1] is not None:
            full[P:] = parts[1]
        refs.append((full, style, what))

    fig, ax = figure_and_axes(ax, (10.0, 5.0))
    for i, (label, color) in enumerate(zip(labels, colors, strict=True)):
        ax.plot(steps, tracks[:, i], color=color, lw=2.0, label=label)
        for full, style, _ in refs:
            if np.isfinite(full[i]):
                ax.axhline(full[i], color=color, ls=style, **REF_STYLE[style])
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="gray", ls=style, lw=1.8, label=wrap_label(what))
        for _, style, what in refs
    ]
    legend_outside(ax, handles)
    xlabel = step_words(kind).axis
    decorate(ax, xlabel, "parameter value", title or "Parameters during training")
    integer_axis(ax.xaxis)
    save(fig, path)
    return fig


def plot_loss_and_params(
    step_loss: ArrayLike | None,
    W_track: ArrayLike,
    b_track: ArrayLike | None = None,
    *,
    steps: ArrayLike | None = None,
    loss_steps: ArrayLike | None = None,
    epoch_loss: ArrayLike | None = None,
    true_W: ArrayLike | None = None,
    true_b: ArrayLike | None = None,
    optimum_W: ArrayLike | None = None,
    optimum_b: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    kind: str = "step",
    true_label: str = "true value",
    loss_label: str = "loss J",
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """The lecture's two-row figure: loss J on top, parameters vs the truth below.

    ``steps``: the step of each parameter snapshot; ``loss_steps``: of each loss
    record (default 0 .. S-1); ``kind``: what one step is (see :func:`plot_loss`).
    """
    fig = new_figure((11.0, 8.0))
    ax_loss, ax_params = fig.subplots(2, 1, sharex=True)
    plot_loss(step_loss, epoch_loss, steps=loss_steps, kind=kind, ylabel=loss_label,
              ax=ax_loss, title=title or "Loss during training")  # fmt: skip
    plot_params(
        steps,
        W_track,
        b_track,
        true_W=true_W,
        true_b=true_b,
        optimum_W=optimum_W,
        optimum_b=optimum_b,
        names=names,
        kind=kind,
        true_label=true_label,
        ax=ax_params,
        title="Parameters during training",
    )
    ax_loss.set_xlabel("")
    save(fig, path)
    return fig
