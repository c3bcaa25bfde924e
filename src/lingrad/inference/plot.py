"""The coefficients with their confidence intervals, one row per coefficient."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot_coefficients(
    summary: Any, *, path: Any = None, title: str | None = None, intercept: bool = False
) -> Any:
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
    eqs = summary.equations or [None]
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
