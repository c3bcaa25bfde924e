"""Decision regions, class probabilities and the decision boundary of any classifier."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from ._style import (
    LABEL_SIZE,
    LEGEND_SIZE,
    NOTE_SIZE,
    TICK_SIZE,
    FigureLike,
    PathLike,
    decorate,
    figure_and_axes,
    save,
)

BOUNDARY_GID = "decision-boundary"
BINARY_CMAP = "RdBu_r"
BINARY_COLORS = ("#2166ac", "#b2182b")  # the ends of RdBu_r: class 0 blue, class 1 red
PROBA_LEVELS = np.linspace(0.0, 1.0, 21)


class FeatureGrid:
    """A grid over two features (U, V), the other features held at ``base``."""

    def __init__(
        self,
        X: Any,
        feature_idx: tuple[int, int] = (0, 1),
        fixed: Any = None,
        resolution: int = 200,
        margin: float = 0.08,
    ) -> None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < 2:
            raise ValueError(f"X must be (N, D) with D >= 2, got shape {X.shape}")
        self.D = X.shape[1]
        self.i, self.j = feature_idx
        self.base = X.mean(axis=0)
        self.fixed_given = fixed is not None
        if isinstance(fixed, Mapping):
            for k, value in fixed.items():
                self.base[int(k)] = float(value)
        elif fixed is not None:
            self.base = np.asarray(fixed, dtype=np.float64).ravel().copy()
            if self.base.shape != (self.D,):
                raise ValueError(f"fixed must hold {self.D} values or be a mapping")
        axes = []
        for f in (self.i, self.j):
            lo, hi = X[:, f].min(), X[:, f].max()
            pad = margin * (hi - lo) if hi > lo else 1.0
            axes.append(np.linspace(lo - pad, hi + pad, resolution))
        self.U, self.V = np.meshgrid(*axes)
        self.points = np.tile(self.base, (self.U.size, 1))  # (R * R, D)
        self.points[:, self.i] = self.U.ravel()
        self.points[:, self.j] = self.V.ravel()

    def others(self) -> list[int]:
        return [f for f in range(self.D) if f not in (self.i, self.j)]


def class_colors(K: int) -> list[tuple[float, float, float, float]]:
    """Blue/red for two classes, the tab10 (tab20) palette beyond."""
    if K <= 2:
        return [to_rgba(c) for c in BINARY_COLORS[:K]]
    palette = "tab10" if K <= 10 else "tab20"
    from matplotlib import colormaps

    cmap = colormaps[palette]
    return [cmap(k % cmap.N) for k in range(K)]


def as_class_proba(out: Any) -> np.ndarray:
    """(G,) P(class 1) or (G, 1) or (G, K) probabilities -> (G, K) with K >= 2."""
    P = np.asarray(out, dtype=np.float64)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    if P.ndim == 1:
        return np.column_stack([1.0 - P, P])
    return P


def _contour_if_crossed(ax: Axes, U, V, Z, level: float, **kw: Any) -> Artist | None:
    """A contour line at ``level`` if Z crosses it (else None: no warning)."""
    if not np.nanmin(Z) < level < np.nanmax(Z):
        return None
    cs = ax.contour(U, V, Z, levels=[level], **kw)
    cs.set_gid(BOUNDARY_GID)
    return cs


def draw_regions(
    ax: Axes,
    grid: FeatureGrid,
    idx: np.ndarray,
    proba: np.ndarray | None,
    score: np.ndarray | None,
    colors: Sequence[Any],
) -> tuple[list[Artist], Any]:
    """Class regions and boundary; returns the artists and the probability mappable."""
    U, V, shape = grid.U, grid.V, grid.U.shape
    K = len(colors)
    artists: list[Artist] = []
    mappable = None
    if K == 2 and proba is not None:
        P1 = proba[:, 1].reshape(shape)
        mappable = ax.contourf(
            U, V, P1, levels=PROBA_LEVELS, cmap=BINARY_CMAP, alpha=0.7
        )
        artists.append(mappable)
        lines = [_contour_if_crossed(ax, U, V, P1, 0.5, colors="k", linewidths=2.2)]
    else:
        rgba = np.array(colors, dtype=np.float64)[idx.reshape(shape)]
        if proba is not None and K > 1:  # stronger colour where the model is surer
            top = proba.max(axis=1).reshape(shape)
            rgba[..., 3] = 0.12 + 0.55 * np.clip((top - 1 / K) / (1 - 1 / K), 0, 1)
        else:
            rgba[..., 3] = 0.35
        extent = (U.min(), U.max(), V.min(), V.max())
        image = ax.imshow(
            rgba, extent=extent, origin="lower", aspect="auto", interpolation="nearest"
        )
        artists.append(image)
        if K == 2 and score is not None:
            Z = score.reshape(shape)
            lines = [_contour_if_crossed(ax, U, V, Z, 0.0, colors="k", linewidths=2.2)]
        else:  # outline of each class region, smooth where P is known
            lines = []
            for k in range(1 if K == 2 else K):
                if proba is not None:  # P_k - max_(j != k) P_j = 0 on the boundary
                    rest = np.delete(proba, k, axis=1).max(axis=1)
                    Z, level = (proba[:, k] - rest).reshape(shape), 0.0
                else:
                    Z, level = (idx == k).reshape(shape).astype(np.float64), 0.5
                lines.append(
                    _contour_if_crossed(ax, U, V, Z, level, colors="k", linewidths=1.6)
                )
    artists += [cs for cs in lines if cs is not None]
    return artists, mappable


def _model_outputs(
    model: Any, points: np.ndarray, y: np.ndarray, proba: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """classes, predicted class index (G,), probabilities (G, K) or None, score."""
    if not hasattr(model, "predict") and callable(model):
        P = as_class_proba(model(points))
        return np.unique(y), P.argmax(axis=1), P, None
    classes = np.asarray(getattr(model, "classes_", np.unique(y)))
    X_in: Any = points
    names = getattr(model, "feature_names_in_", None)
    if names is not None:  # fitted on a DataFrame: keep its column names
        import pandas as pd

        X_in = pd.DataFrame(points, columns=names)
    pred = np.asarray(model.predict(X_in))
    order = np.argsort(classes)
    idx = order[np.searchsorted(classes[order], pred)]
    P = (
        as_class_proba(model.predict_proba(X_in))
        if proba and hasattr(model, "predict_proba")
        else None
    )
    score = None
    if P is None and len(classes) == 2 and hasattr(model, "decision_function"):
        score = np.asarray(model.decision_function(X_in), dtype=np.float64).ravel()
    return classes, idx, P, score


def scatter_classes(
    ax: Axes, X: np.ndarray, y: np.ndarray, classes: np.ndarray, colors, i: int, j: int
) -> None:
    """Data points coloured by class, one legend entry per class."""
    for k, c in enumerate(classes):
        mask = y == c
        if mask.any():
            ax.scatter(
                X[mask, i],
                X[mask, j],
                color=colors[k],
                s=26,
                edgecolors="k",
                linewidths=0.6,
                label=f"class {c}",
                zorder=3,
            )


def fixed_note(grid: FeatureGrid, names: Sequence[str]) -> str:
    """'other features fixed at their means: x3 = 0.12, ...' (at most four listed)."""
    where = "given values" if grid.fixed_given else "their means"
    others = grid.others()
    shown = ", ".join(f"{names[f]} = {grid.base[f]:.3g}" for f in others[:4])
    more = ", ..." if len(others) > 4 else ""
    return f"other features fixed at {where}: {shown}{more}"


def feature_names_of(X: Any, model: Any, D: int, names: Sequence[str] | None) -> list:
    if names is not None:
        return list(names)
    for source in (
        getattr(X, "columns", None),
        getattr(model, "feature_names_in_", None),
    ):
        if source is not None:
            return [str(n) for n in source]
    return [f"x{f + 1}" for f in range(D)]


def plot_decision_boundary(
    model_or_fn: Any | Callable[[np.ndarray], np.ndarray],
    X: Any,
    y: Any,
    *,
    feature_idx: tuple[int, int] = (0, 1),
    fixed: Any = None,
    proba: bool = True,
    resolution: int = 200,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Class regions over two features, P(class) shading, boundary and the data.

    Parameters
    ----------
    model_or_fn : fitted classifier or callable
        An estimator with ``predict`` (``predict_proba`` / ``decision_function`` used
        when present; string ``classes_`` fine), or ``f(points (G, D)) -> P`` giving
        P(class 1) (G,) or class probabilities (G, K).
    X, y : array of shape (N, D) with D >= 2, and (N,)
    feature_idx : (i, j)
        The two features on the axes. The others are held at ``fixed`` (array of D
        values or {index: value}; default their means) and the figure says so.
    proba : bool
        Binary: shade P(class 1) with a diverging colormap, boundary at P = 0.5.
        Multiclass: region colour with alpha growing with max P.
    """
    X_arr = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    grid = FeatureGrid(X_arr, feature_idx, fixed, resolution)
    classes, idx, P, score = _model_outputs(model_or_fn, grid.points, y, proba)
    colors = class_colors(len(classes))
    names = feature_names_of(X, model_or_fn, grid.D, feature_names)

    fig, ax = figure_and_axes(ax, (9.5, 7.5))
    artists, mappable = draw_regions(ax, grid, idx, P, score, colors)
    scatter_classes(ax, X_arr, y, classes, colors, grid.i, grid.j)
    if mappable is not None:
        cbar = fig.colorbar(mappable, ax=ax, pad=0.02, ticks=np.linspace(0, 1, 6))
        cbar.set_label(f"P(y = {classes[1]})", fontsize=LABEL_SIZE)
        cbar.ax.tick_params(labelsize=TICK_SIZE)
    if title is None:
        name = getattr(model_or_fn, "__name__", type(model_or_fn).__name__)
        title = f"Decision boundary of {name}"
    decorate(ax, names[grid.i], names[grid.j], title)
    ax.grid(False)
    if grid.D > 2:
        note = textwrap.wrap(fixed_note(grid, names), 64)  # long names: wrap
        ax.set_title(title, fontsize=ax.title.get_fontsize(), pad=10 + 13 * len(note))
        ax.text(
            0.5,
            1.01,
            "\n".join(note),
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=NOTE_SIZE,
            style="italic",
        )
    handles, _ = ax.get_legend_handles_labels()
    if any(a.get_gid() == BOUNDARY_GID for a in artists):
        label = "boundary P = 0.5" if mappable is not None else "decision boundary"
        handles.append(Line2D([], [], color="k", lw=2.0, label=label))
    ax.legend(handles=handles, fontsize=LEGEND_SIZE, loc="best", framealpha=0.85)
    save(fig, path)
    return fig
