"""Training curves: loss per step and epoch, parameters against the truth, accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .rules import class_colors_hex, step_words
from .style import (
    NOTE_SIZE,
    FigureLike,
    PathLike,
    class_label,
    decorate,
    figure_and_axes,
    integer_axis,
    legend_outside,
    new_figure,
    save,
    step_axis,
    wrap_label,
)

EXACT = ("lbfgs", "newton")  # one record per iteration of an exact solver


def wants_log_scale(values: ArrayLike, decades: float = 2.0) -> bool:
    """True when the finite positive values span more than ``decades`` powers of ten
    and hardly any value is 0 (a log axis would silently drop the zeros: the
    perceptron criterion of every correctly classified example)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if np.mean(v <= 0) > 0.02 if len(v) else False:
        return False
    v = v[v > 0]
    if len(v) < 2:
        return False
    return bool(np.log10(v.max() / v.min()) > decades)


def iteration_losses(
    step_loss: ArrayLike | None, epoch_loss: ArrayLike | None
) -> np.ndarray:
    """J at iteration 0 (the start) and after each iteration of an exact solver.

    L-BFGS and Newton record one step per iteration: its J before (``step_loss``)
    and after (``epoch_loss``)."""
    after = np.ravel(epoch_loss if epoch_loss is not None else []).astype(float)
    before = np.ravel(step_loss if step_loss is not None else []).astype(float)
    if before.size:
        return np.r_[before[:1], after] if after.size else before
    return after


def plot_loss(
    step_loss: ArrayLike | None = None,
    epoch_loss: ArrayLike | None = None,
    *,
    steps: ArrayLike | None = None,
    kind: str = "step",
    logy: bool | None = None,
    smooth: int | None = -1,
    ylabel: str = "loss J",
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Loss J per step (light) and its mean per epoch (bold), named by ``kind``.

    ``kind`` says what one step is (:data:`lingrad.plot.rules.STEP_WORDS`):
    ``"sample"`` (one example), ``"minibatch"``, ``"batch"`` (all the data),
    ``"lbfgs"`` / ``"newton"`` (one iteration of an exact solver: a single curve of J
    from the start, iteration 0, to the end), or ``"step"`` (unknown). ``steps``:
    the global step of each record (``History.step_index`` when per-step records
    are thinned; default 0 .. S-1). With both curves given, epoch e is drawn at the
    middle of its steps; the epoch curve is left out when it would repeat the steps
    (one step an epoch) or be a single point. ``logy=None`` switches the y axis to
    log scale when the positive losses span more than two decades. ``smooth``:
    window of a moving average over the per-step loss (-1: automatic, S // 50 steps
    when S >= 100, < 5 epochs and the loss is noisy, i.e. rises at more than a
    tenth of the steps; None: off).
    """
    if step_loss is None and epoch_loss is None:
        raise ValueError("give step_loss, epoch_loss or both")
    fig, ax = figure_and_axes(ax, (10.0, 5.0))
    words = step_words(kind)
    if kind in EXACT:
        J = iteration_losses(step_loss, epoch_loss)
        ax.plot(np.arange(len(J)), J, "o-" if len(J) <= 60 else "-", color="tab:blue",
                lw=2.0, ms=4, label=words.curve)  # fmt: skip
        _finish_loss(ax, J, logy, words.axis, ylabel, title)
        save(fig, path)
        return fig
    shown = []
    xlabel = words.axis
    if step_loss is not None:
        J = np.asarray(step_loss, dtype=np.float64).ravel()
        x = step_axis(steps, len(J)).astype(np.float64)
        (step_line,) = ax.plot(
            x, J, color="tab:blue", alpha=0.45, lw=1.0, label=words.curve
        )
        shown.append(J)
        if smooth == -1:  # automatic: when the per-step noise hides the trend
            few_epochs = epoch_loss is None or np.size(epoch_loss) < 5
            rises = np.diff(J) > 1e-6 * np.abs(J[:-1])  # not rounding at the floor
            noisy = len(J) >= 100 and np.mean(rises) > 0.1
            smooth = max(len(J) // 50, 5) if noisy and few_epochs else None
        if smooth is not None and 1 < smooth <= len(J):
            unit = "steps" if steps is None else "records"
            J_smooth = np.convolve(J, np.ones(smooth) / smooth, mode="valid")
            x_smooth = np.convolve(x, np.ones(smooth) / smooth, mode="valid")
            ax.plot(
                x_smooth,
                J_smooth,
                color="darkblue",
                lw=2.2,
                label=f"moving average ({smooth} {unit})",
            )
    J_epoch = None if epoch_loss is None else np.ravel(epoch_loss).astype(np.float64)
    if J_epoch is not None and (step_loss is None or 1 < len(J_epoch) < len(shown[0])):
        if step_loss is None:
            x_epoch, xlabel = np.arange(1, len(J_epoch) + 1), "epoch"
        else:
            per_epoch = (x[-1] + 1) / len(J_epoch)
            x_epoch = (np.arange(len(J_epoch)) + 0.5) * per_epoch
        ax.plot(
            x_epoch,
            J_epoch,
            "o-",
            color="black",
            lw=2.5,
            ms=4,
            label="per epoch: mean J over the epoch",
        )
        shown.append(J_epoch)
    if len(ax.get_lines()) == 1 and step_loss is not None:
        step_line.set(alpha=1.0, lw=2.0)  # nothing drawn over the steps: bold
    _finish_loss(ax, np.concatenate(shown), logy, xlabel, ylabel, title)
    save(fig, path)
    return fig


def _finish_loss(
    ax: Axes,
    values: ArrayLike,
    logy: bool | None,
    xlabel: str,
    ylabel: str,
    title: str | None,
) -> None:
    """Scale, labels, whole-number x ticks and a legend placed off the curves."""
    if wants_log_scale(values) if logy is None else logy:
        ax.set_yscale("log")
    decorate(ax, xlabel, ylabel, title or "Loss during training")
    integer_axis(ax.xaxis)
    handles = ax.get_legend_handles_labels()[0]
    for line in handles:
        line.set_label(wrap_label(str(line.get_label()), 26))
    legend_outside(ax, handles)


def plot_class_losses(
    curves: Sequence[ArrayLike],  # J of each class, one 1-D sequence per class
    classes: Sequence[object],
    *,
    kind: str = "lbfgs",
    logy: bool | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """One-vs-rest: J of each class's own binary problem, one curve per class.

    ``curves[k]`` holds J of column k from its start (iteration 0) to the end; the
    columns are independent problems, solved one after the other.
    """
    if len(curves) != len(classes):
        raise ValueError(f"{len(curves)} curves for {len(classes)} classes")
    fig, ax = figure_and_axes(ax, (10.0, 5.0))
    colors = class_colors_hex(len(classes))
    for J, c, color in zip(curves, classes, colors, strict=True):
        J = np.asarray(J, dtype=np.float64).ravel()
        ax.plot(np.arange(len(J)), J, "o-" if len(J) <= 60 else "-", color=color,
                lw=2.0, ms=3.5, label=f"{class_label(c)} vs the rest")  # fmt: skip
    values = np.concatenate([np.ravel(J) for J in curves])
    if wants_log_scale(values) if logy is None else logy:
        ax.set_yscale("log")
    words = step_words(kind)
    decorate(
        ax,
        words.axis,
        "loss J of the class's binary problem",
        title or "One-vs-rest: one binary problem per class, each solved alone",
    )
    integer_axis(ax.xaxis)
    legend_outside(ax, ncol=1 if len(classes) <= 14 else 2)
    save(fig, path)
    return fig


def plot_accumulated_accuracy(
    acc: ArrayLike,
    *,
    steps: ArrayLike | None = None,
    kind: str = "step",
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
    xlabel = step_words(kind).axis
    decorate(ax, xlabel, "accumulated accuracy", title or "Accumulated accuracy")
    integer_axis(ax.xaxis)
    save(fig, path)
    return fig


def plot_loss_and_accuracy(
    step_loss: ArrayLike | None,
    acc: ArrayLike,
    *,
    steps: ArrayLike | None = None,
    epoch_loss: ArrayLike | None = None,
    kind: str = "step",
    loss_label: str = "loss J",
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """The lecture's classifier figure: loss J on top, accumulated accuracy below.

    ``steps``: the step of each record (default 0 .. S-1); ``kind``: what one step
    is (see :func:`plot_loss`); ``loss_label``: the loss panel's y label.
    """
    fig = new_figure((11.0, 8.0))
    ax_loss, ax_acc = fig.subplots(2, 1, sharex=True)
    plot_loss(step_loss, epoch_loss, steps=steps, kind=kind, ylabel=loss_label,
              ax=ax_loss, title=title or "Loss during training")  # fmt: skip
    plot_accumulated_accuracy(acc, steps=steps, kind=kind, ax=ax_acc)
    ax_loss.set_xlabel("")
    save(fig, path)
    return fig
