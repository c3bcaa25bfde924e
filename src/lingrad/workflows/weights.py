"""The largest weights of a model on sparse text features, by name (``weights.png``).

A model on hashed or TF-IDF columns has up to 2^24 weights, one per column of
``x``: the figure shows the ``TOP`` largest ``|w_j|`` of each output (class),
found in O(D) (``argpartition``), each named by
:func:`lingrad.workflows.text.column_namer` ("review: great", "review: hash
#12345": a hashed column has only its number, and words that collide share it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lingrad.workflows.figures import _Drawer
    from lingrad.workflows.memory import FitResult
    from lingrad.workflows.types import Model

TOP = 15  # bars per panel
MAX_PANELS = 6


def largest(w: np.ndarray, n: int = TOP) -> np.ndarray:
    """Indices of the ``n`` largest ``|w_j|``, largest first (ties: lower j)."""
    n = min(n, len(w))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-np.abs(w), n - 1)[:n]
    return top[np.lexsort((top, -np.abs(w[top])))]


def weight_rows(model: Model) -> tuple[np.ndarray, list[str]]:
    """(K, D) weights of the final estimator and a title per row."""
    from lingrad.workflows.pipeline import final_estimator

    est = final_estimator(model)
    W = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    classes = getattr(est, "classes_", None)
    if classes is None:
        return W, ["weights"]
    if len(W) == 1:
        return W, [f"toward class {classes[-1]}"]
    return W, [f"class {c}" for c in classes]


def weight_figure(result: FitResult, draw: _Drawer) -> None:
    """Draw ``weights.png`` for a linear model on sparse text features."""
    from lingrad.workflows.pipeline import final_estimator
    from lingrad.workflows.text import column_namer, sparse_input

    if not sparse_input(result.model) or not hasattr(
        final_estimator(result.model), "coef_"
    ):
        return
    name = column_namer(result.model, result.feature_names, result.X_sample)
    assert name is not None  # a sparse input comes from the prep step
    hashed = hashes(result.model)
    draw(
        "weights.png",
        f"The {TOP} largest weights w_j of each output, by feature name"
        + (" (a hashed column: its number and training words)" if hashed else ""),
        plot_largest_weights,
        result.model,
        name,
        hashed=hashed,
    )


def hashes(model: Model) -> bool:
    """Whether some of the model's input columns are hashed."""
    prep = model.steps[0][1]
    return any(
        type(t).__name__ == "HashingVectorizer" for _, t, _ in prep.transformers_
    )


def plot_largest_weights(
    model: Model,
    name: Callable[[int], str],
    hashed: bool = False,
    path: Path | None = None,
) -> Figure:
    """Horizontal bars of the largest weights, one panel per output (class)."""
    from lingrad.plot.style import decorate, new_figure, save

    W, titles = weight_rows(model)
    panels = min(len(W), MAX_PANELS)
    fig = new_figure((8.5, 1.2 + 0.32 * TOP * panels))
    for k in range(panels):
        ax = fig.add_subplot(panels, 1, k + 1)
        top = largest(W[k])
        values = W[k][top]
        ax.barh(
            np.arange(len(top)), values,
            color=np.where(values >= 0, "tab:blue", "tab:red"),
        )  # fmt: skip
        ax.set_yticks(np.arange(len(top)), [name(int(j)) for j in top])
        ax.invert_yaxis()
        ax.axvline(0.0, color="k", lw=0.8)
        shown = f"{titles[k]}: the {len(top)} largest of {W.shape[1]:,}"
        decorate(ax, "weight w_j" if k == panels - 1 else "", "", shown)
    more = len(W) - panels
    notes = [
        "hash #j (words): column j of the hashing space, and the training rows' "
        "words hashed to it (words that collide share a weight)"
    ] if hashed else []  # fmt: skip
    notes += [f"{more} more classes not shown"] if more > 0 else []
    fig.suptitle("Largest weights by feature name", fontsize=12)
    if notes:
        fig.supxlabel("; ".join(notes), fontsize=8)
    save(fig, path)
    return fig
