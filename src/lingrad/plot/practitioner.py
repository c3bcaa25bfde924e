"""The figures a practitioner reads after a fit: a confusion matrix, a reliability
diagram (are the probabilities honest?) and residuals against the prediction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .style import (
    LABEL_SIZE,
    NOTE_SIZE,
    TICK_SIZE,
    FigureLike,
    PathLike,
    decorate,
    figure_and_axes,
    legend_outside,
    new_figure,
    save,
)

SET_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")  # training rows blue, held-out orange


def confusion_counts(
    y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence[object]
) -> np.ndarray:
    """C[i, j] = examples of true class i predicted as class j (K, K) int."""
    labels = np.asarray(classes)
    K = len(labels)
    order = np.argsort(labels)
    true_idx = order[np.searchsorted(labels[order], np.asarray(y_true))]
    pred_idx = order[np.searchsorted(labels[order], np.asarray(y_pred))]
    C = np.zeros((K, K), dtype=np.int64)
    np.add.at(C, (true_idx, pred_idx), 1)
    return C


def plot_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    classes: Sequence[object],
    *,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Counts of true class (rows) against predicted class (columns).

    Each cell holds its count; its colour is the share of its row (of the examples
    of that true class), so a good classifier shows a dark diagonal whatever the
    class sizes.
    """
    C = confusion_counts(y_true, y_pred, classes)
    K = len(C)
    rows = C.sum(axis=1, keepdims=True)
    share = np.divide(C, rows, out=np.zeros(C.shape), where=rows > 0)
    fig, ax = figure_and_axes(ax, (2.2 + 0.62 * max(K, 4), 1.6 + 0.55 * max(K, 4)))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    size = TICK_SIZE if K <= 12 else TICK_SIZE - 3
    for i in range(K):
        for j in range(K):
            ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=size,
                    color="white" if share[i, j] > 0.6 else "black")  # fmt: skip
    labels = [str(c) for c in classes]
    ax.set_xticks(range(K), labels, rotation=45 if max(map(len, labels)) > 4 else 0)
    ax.set_yticks(range(K), labels)
    accuracy = np.trace(C) / max(C.sum(), 1)
    head = title or "Confusion matrix"
    decorate(
        ax,
        "predicted class",
        "true class",
        f"{head}\n(accuracy {accuracy:.3f}, {C.sum()} examples)",
    )
    ax.grid(False)
    cbar = fig.colorbar(image, ax=ax, pad=0.02, shrink=0.85)
    cbar.set_label("share of the true class", fontsize=LABEL_SIZE)
    cbar.ax.tick_params(labelsize=TICK_SIZE)
    save(fig, path)
    return fig


def reliability_bins(
    confidence: ArrayLike, correct: ArrayLike, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin of [0, 1]: mean predicted probability, observed frequency, count.

    Bins without examples are left out (all three arrays skip them)."""
    p = np.asarray(confidence, dtype=np.float64).ravel()
    hit = np.asarray(correct, dtype=np.float64).ravel()
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    sum_p = np.bincount(which, weights=p, minlength=n_bins)
    sum_hit = np.bincount(which, weights=hit, minlength=n_bins)
    kept = count > 0
    return sum_p[kept] / count[kept], sum_hit[kept] / count[kept], count[kept]


def plot_reliability(
    y_true: ArrayLike,
    proba: ArrayLike,
    classes: Sequence[object],
    *,
    n_bins: int = 10,
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Reliability diagram: predicted probability against how often it came true.

    Two classes: P(class 1) against the share of class 1 in each bin. More classes:
    the top probability (the model's confidence) against its accuracy. Points on
    the diagonal are calibrated; below it the model is over-confident. The lower
    panel counts the examples in each bin.
    """
    P = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true).ravel()
    labels = np.asarray(classes)
    if len(labels) == 2:
        confidence = P[:, 1] if P.ndim == 2 else P
        correct = y == labels[1]
        xlabel, ylabel = (
            f"predicted P(y = {labels[1]})",
            f"observed share of {labels[1]}",
        )
    else:
        confidence = P.max(axis=1)
        correct = labels[P.argmax(axis=1)] == y
        xlabel, ylabel = "confidence: the top predicted probability", "accuracy"
    mean_p, freq, count = reliability_bins(confidence, correct, n_bins)
    fig = new_figure((8.0, 8.0))
    ax, ax_count = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot(
        [0, 1], [0, 1], ls="--", color="gray", lw=1.4, label="calibrated: P = share"
    )
    ax.plot(mean_p, freq, "o-", color="tab:blue", lw=2.0, ms=7,
            label=f"model ({n_bins} bins of P)")  # fmt: skip
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.03, 1.03)
    ece = float(np.sum(count * np.abs(freq - mean_p)) / max(count.sum(), 1))
    head = title or "Reliability diagram"
    decorate(ax, "", ylabel, f"{head}\n(expected calibration error {ece:.3f})")
    ax.legend(loc="upper left", fontsize=NOTE_SIZE, framealpha=0.9)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    in_bin = np.histogram(np.clip(confidence, 0.0, 1.0), bins=edges)[0]
    ax_count.bar(edges[:-1], in_bin, width=0.9 / n_bins, align="edge",
                 color="tab:blue", alpha=0.6)  # fmt: skip
    decorate(ax_count, xlabel, "examples", "")
    save(fig, path)
    return fig


def plot_residuals(
    sets: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    target: str = "y",
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Residuals y − ŷ against the prediction ŷ, one colour per set of rows.

    ``sets``: ``{"training rows": (y, pred), "held-out rows": (y, pred)}``. A good
    fit scatters evenly around 0 at every ŷ; a bend or a funnel shows what the
    linear model misses. The bold line is the mean residual in bins of ŷ.
    """
    fig, ax = figure_and_axes(None, (10.0, 6.0))
    spread = []
    for k, (label, (y, pred)) in enumerate(sets.items()):
        y = np.asarray(y, dtype=np.float64).ravel()
        pred = np.asarray(pred, dtype=np.float64).ravel()
        r = y - pred
        color = SET_COLORS[k % len(SET_COLORS)]
        ax.scatter(pred, r, s=16, alpha=0.55, color=color, label=f"{label} ({len(y)})")
        if len(pred) >= 20:
            edges = np.quantile(pred, np.linspace(0, 1, 9))
            mid, mean = [], []
            for lo, hi in zip(edges[:-1], edges[1:], strict=True):
                inside = (pred >= lo) & (pred <= hi)
                if inside.any():
                    mid.append(pred[inside].mean())
                    mean.append(r[inside].mean())
            ax.plot(mid, mean, "-", color=color, lw=2.4,
                    label=f"{label}: mean residual per bin of ŷ")  # fmt: skip
        spread.append(r)
    ax.axhline(0.0, color="black", lw=1.2, ls="--", label="residual 0")
    rms = float(np.sqrt(np.mean(np.concatenate(spread) ** 2)))
    decorate(
        ax,
        f"predicted {target} (ŷ)",
        f"residual {target} − ŷ",
        title or f"Residuals against the prediction (root mean square {rms:.4g})",
    )
    legend_outside(ax)
    save(fig, path)
    return fig
