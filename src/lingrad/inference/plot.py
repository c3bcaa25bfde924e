"""The coefficients with their confidence intervals, one row per coefficient."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lingrad.inference.result import Summary


def plot_coefficients(
    summary: Summary,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    intercept: bool = False,
) -> Figure:
    """Horizontal error bars ``coef`` in ``[ci_low, ci_high]``; one colour per equation.

    The intercept is left out unless ``intercept`` (its scale would flatten the
    rest); a dashed line marks 0: an interval that crosses it is not significant
    at the summary's level.
    """
    import matplotlib.pyplot as plt

    names = list(summary.names)
    keep = [j for j, n in enumerate(names) if intercept or n != "const"]
    coef, lo, hi = (
        np.atleast_2d(a) for a in (summary.coef, summary.ci_low, summary.ci_high)
    )
    eqs: list[str | None] = [None]
    if summary.equations:
        eqs = list(summary.equations)
    n_rows = len(keep) * len(eqs)
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.32 * max(n_rows, 1)))
    labels, pos = [], 0
    for e, eq in enumerate(eqs):
        ys = np.arange(pos, pos + len(keep))
        err = np.vstack([coef[e, keep] - lo[e, keep], hi[e, keep] - coef[e, keep]])
        ax.errorbar(coef[e, keep], ys, xerr=err, fmt="o", capsize=3,
                    label=eq if eq is not None else None)  # fmt: skip
        labels += [names[j] if eq is None else f"{names[j]} ({eq})" for j in keep]
        pos += len(keep)
    ax.axvline(0.0, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(np.arange(n_rows), labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"coefficient, {summary.level:.0%} confidence interval")
    ax.set_title(title or f"{summary.model}: coefficients")
    if summary.equations:
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
