"""Training curves: loss per step and epoch, parameters against the truth, accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ._style import (
    LEGEND_SIZE,
    NOTE_SIZE,
    FigureLike,
    PathLike,
    bias_track,
    decorate,
    figure_and_axes,
    new_figure,
    save,
    step_axis,
    weight_track,
)

# true value: thick dotted on top; optimum: thin dash-dot beneath (they often agree)
REF_STYLE = {":": {"lw": 2.4, "zorder": 2.2}, "-.": {"lw": 1.4, "zorder": 2.1}}


def wants_log_scale(values: Any, decades: float = 2.0) -> bool:
    """True when the finite positive values span more than ``decades`` powers of ten."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if len(v) < 2:
        return False
    return bool(np.log10(v.max() / v.min()) > decades)


def plot_loss(
    step_loss: Any = None,
    epoch_loss: Any = None,
    *,
    logy: bool | None = None,
    smooth: int | None = -1,
    ylabel: str = "loss J",
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Loss J per step (light) and its mean per epoch (bold).

    With both given, epoch e is drawn at the middle of its steps (S / E steps an epoch);
    the epoch curve is left out when it would repeat the steps (one step an epoch) or
    be a single point. ``logy=None`` switches the y axis to log scale when the positive
    losses span more than two decades. ``smooth``: window of a moving average drawn
    over the per-step loss (-1: automatic, S // 50 steps when S >= 100, < 5 epochs and
    the loss is noisy, i.e. rises at more than a tenth of the steps; None: off).
    """
    if step_loss is None and epoch_loss is None:
        raise ValueError("give step_loss, epoch_loss or both")
    fig, ax = figure_and_axes(ax, (10.0, 5.0))
    shown = []
    xlabel = "step"
    if step_loss is not None:
        J = np.asarray(step_loss, dtype=np.float64).ravel()
        (step_line,) = ax.plot(
            np.arange(len(J)),
            J,
            color="tab:blue",
            alpha=0.45,
            lw=1.0,
            label="per step (batch loss)",
        )
        shown.append(J)
        if smooth == -1:  # automatic: when the per-step noise hides the trend
            few_epochs = epoch_loss is None or np.size(epoch_loss) < 5
            rises = np.diff(J) > 1e-6 * np.abs(J[:-1])  # not rounding at the floor
            noisy = len(J) >= 100 and np.mean(rises) > 0.1
            smooth = max(len(J) // 50, 5) if noisy and few_epochs else None
        if smooth is not None and 1 < smooth <= len(J):
            J_smooth = np.convolve(J, np.ones(smooth) / smooth, mode="valid")
            x_smooth = np.arange(len(J_smooth)) + (smooth - 1) / 2
            ax.plot(
                x_smooth,
                J_smooth,
                color="darkblue",
                lw=2.2,
                label=f"moving average ({smooth} steps)",
            )
    J_epoch = None if epoch_loss is None else np.ravel(epoch_loss).astype(np.float64)
    if J_epoch is not None and (step_loss is None or 1 < len(J_epoch) < len(shown[0])):
        if step_loss is None:
            x_epoch, xlabel = np.arange(1, len(J_epoch) + 1), "epoch"
        else:
            per_epoch = len(shown[0]) / len(J_epoch)
            x_epoch = (np.arange(len(J_epoch)) + 0.5) * per_epoch
        ax.plot(
            x_epoch,
            J_epoch,
            "o-",
            color="black",
            lw=2.5,
            ms=4,
            label="per epoch (mean)",
        )
        shown.append(J_epoch)
    values = np.concatenate(shown)
    if wants_log_scale(values) if logy is None else logy:
        ax.set_yscale("log")
    decorate(ax, xlabel, ylabel, title or "Loss during training")
    if len(ax.get_lines()) > 1:
        ax.legend(fontsize=LEGEND_SIZE, loc="upper right", framealpha=0.9)
    elif step_loss is not None:  # nothing drawn over the steps: draw them bold
        step_line.set(alpha=1.0, lw=2.0)
    save(fig, path)
    return fig


def _param_names(P: int, K: int, names: Sequence[str] | None) -> tuple[list, list]:
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


def _reference(value: Any, n: int, what: str) -> np.ndarray | None:
    if value is None:
        return None
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size != n:
        raise ValueError(f"{what} has {v.size} values, expected {n}")
    return v


def plot_params(
    steps: Any,
    W_track: Any,
    b_track: Any = None,
    *,
    true_W: Any = None,
    true_b: Any = None,
    optimum_W: Any = None,
    optimum_b: Any = None,
    names: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Each weight w_i and the bias b against the step.

    The true value is a dotted horizontal line of the parameter's colour, the exact
    optimum (the normal equation's, or an exact solver's such as Newton's) a dash-dot
    one beneath it.
    ``W_track`` is (M,), (M, D) or (M, D, K) (flattened row-major); ``b_track`` (M,)
    or (M, K); ``steps`` (M,) or None for 0 .. M-1.
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
        (true_W, true_b, ":", "true value"),
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
        Line2D([], [], color="gray", ls=style, lw=1.8, label=what)
        for _, style, what in refs
    ]
    ax.legend(
        handles=handles,
        fontsize=LEGEND_SIZE,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
    )
    decorate(ax, "step", "parameter value", title or "Parameters during training")
    save(fig, path)
    return fig


def plot_accumulated_accuracy(
    acc: Any,
    *,
    steps: Any = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Running share of correct predictions before each update: n_correct / (t + 1)."""
    acc = np.asarray(acc, dtype=np.float64).ravel()
    steps = step_axis(steps, len(acc))
    fig, ax = figure_and_axes(ax, (10.0, 5.0))
    ax.plot(steps, acc, color="darkgreen", lw=2.0)
    ax.axhline(1.0, color="gray", ls=":", lw=1.2)
    ax.set_ylim(0.0, 1.05)
    if len(acc):
        ax.text(
            0.98,
            0.05,
            f"final: {acc[-1]:.3f}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=NOTE_SIZE,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )
    decorate(ax, "step", "accumulated accuracy", title or "Accumulated accuracy")
    save(fig, path)
    return fig


def plot_loss_and_params(
    step_loss: Any,
    W_track: Any,
    b_track: Any = None,
    *,
    steps: Any = None,
    epoch_loss: Any = None,
    true_W: Any = None,
    true_b: Any = None,
    optimum_W: Any = None,
    optimum_b: Any = None,
    names: Sequence[str] | None = None,
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """The lecture's two-row figure: loss J on top, parameters vs the truth below."""
    fig = new_figure((11.0, 8.0))
    ax_loss, ax_params = fig.subplots(2, 1, sharex=True)
    plot_loss(step_loss, epoch_loss, ax=ax_loss, title=title or "Loss during training")
    plot_params(
        steps,
        W_track,
        b_track,
        true_W=true_W,
        true_b=true_b,
        optimum_W=optimum_W,
        optimum_b=optimum_b,
        names=names,
        ax=ax_params,
        title="Parameters during training",
    )
    ax_loss.set_xlabel("")
    save(fig, path)
    return fig


def plot_loss_and_accuracy(
    step_loss: Any,
    acc: Any,
    *,
    epoch_loss: Any = None,
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """The lecture's classifier figure: loss J on top, accumulated accuracy below."""
    fig = new_figure((11.0, 8.0))
    ax_loss, ax_acc = fig.subplots(2, 1, sharex=True)
    plot_loss(step_loss, epoch_loss, ax=ax_loss, title=title or "Loss during training")
    plot_accumulated_accuracy(acc, ax=ax_acc)
    ax_loss.set_xlabel("")
    save(fig, path)
    return fig
