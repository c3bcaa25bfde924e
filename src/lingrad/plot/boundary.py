"""Decision regions, class probabilities and the decision boundary of any classifier,
drawn in a :class:`~lingrad.plot.plane.Plane` (the features themselves for D = 2;
for D > 2 the plane that agrees with the model, :mod:`.faithful`, or a slice
through two features), or the rows along the model's score where no plane does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.contour import QuadContourSet
from matplotlib.lines import Line2D
from matplotlib.typing import ColorType
from numpy.typing import ArrayLike

from .faithful import RegionView, agreement, choose_view, frame, predicted
from .plane import Plane, PlaneGrid
from .rules import BOUNDARY_GID, class_colors_hex
from .strip import plot_score_strip
from .style import (
    LABEL_SIZE,
    TICK_SIZE,
    FigureLike,
    PathLike,
    class_label,
    decorate,
    figure_and_axes,
    legend_outside,
    note_above,
    save,
)

__all__ = ["BOUNDARY_GID", "plot_decision_boundary"]
BINARY_CMAP = "RdBu_r"
PROBA_LEVELS = np.linspace(0.0, 1.0, 21)


def class_colors(K: int) -> list[tuple[float, float, float, float]]:
    """Blue/red for two classes, the tab10 (tab20) palette beyond."""
    return [to_rgba(c) for c in class_colors_hex(K)]


def as_class_proba(out: ArrayLike) -> np.ndarray:
    """(G,) P(class 1) or (G, 1) or (G, K) probabilities -> (G, K) with K >= 2."""
    P = np.asarray(out, dtype=np.float64)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    if P.ndim == 1:
        return np.column_stack([1.0 - P, P])
    return P


def scores_to_index(out: ArrayLike) -> np.ndarray:
    """Class index of scores: z (G,) or (G, 1) -> [z >= 0]; (G, K) -> argmax_k."""
    z = np.asarray(out, dtype=np.float64)
    if z.ndim == 2 and z.shape[1] == 1:
        z = z[:, 0]
    return (z >= 0).astype(np.int64) if z.ndim == 1 else z.argmax(axis=1)


def _contour_if_crossed(
    ax: Axes, U: np.ndarray, V: np.ndarray, Z: np.ndarray, level: float, **kw: Any
) -> Artist | None:
    """A contour line at ``level`` if Z crosses it (else None: no warning)."""
    if not np.nanmin(Z) < level < np.nanmax(Z):
        return None
    cs = ax.contour(U, V, Z, levels=[level], **kw)
    cs.set_gid(BOUNDARY_GID)
    return cs


def draw_regions(
    ax: Axes,
    grid: PlaneGrid,
    idx: np.ndarray,
    proba: np.ndarray | None,
    score: np.ndarray | None,
    colors: Sequence[ColorType],
) -> tuple[list[Artist], QuadContourSet | None]:
    """Class regions and boundary; returns the artists and the probability mappable.

    Binary with probabilities: P(class 1) shaded, boundary P = 0.5. Otherwise flat
    class colours (stronger where max P is higher), boundary at score 0 (binary) or
    around each class region.
    """
    U, V, shape = grid.U, grid.V, grid.U.shape
    K = len(colors)
    artists: list[Artist] = []
    mappable: QuadContourSet | None = None
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


def _class_index(classes: np.ndarray, pred: ArrayLike) -> np.ndarray:
    order = np.argsort(classes)
    return order[np.searchsorted(classes[order], np.asarray(pred))]


def _model_outputs(
    model: Any, points: np.ndarray, y: np.ndarray, proba: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """classes, predicted class index (G,), probabilities (G, K) or None, score."""
    if not hasattr(model, "predict") and callable(model):
        P_fn = as_class_proba(model(points))
        return np.unique(y), P_fn.argmax(axis=1), P_fn, None
    classes = np.asarray(getattr(model, "classes_", np.unique(y)))
    X_in = frame(model, points)
    idx = _class_index(classes, model.predict(X_in))
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
    ax: Axes,
    P: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    colors: Sequence[ColorType],
) -> None:
    """Data points (their plane coordinates P (N, 2)) coloured by class."""
    for k, c in enumerate(classes):
        mask = y == c
        if mask.any():
            ax.scatter(
                P[mask, 0],
                P[mask, 1],
                color=colors[k],
                s=26,
                edgecolors="k",
                linewidths=0.6,
                label=class_label(c),
                zorder=3,
            )


def feature_names_of(
    X: ArrayLike, model: Any, D: int, names: Sequence[str] | None
) -> list[str]:
    if names is not None:
        return list(names)
    for source in (
        getattr(X, "columns", None),
        getattr(model, "feature_names_in_", None),
    ):
        if source is not None:
            return [str(n) for n in source]
    return [f"x{f + 1}" for f in range(D)]


def make_plane(
    X: np.ndarray,
    names: Sequence[str],
    plane: Plane | None,
    feature_idx: tuple[int, int] | None,
    fixed: ArrayLike | None,
) -> Plane:
    """The given plane, else a slice (``feature_idx``) or the default plane."""
    if plane is not None:
        return plane
    if fixed is not None and feature_idx is None:
        feature_idx = (0, 1)
    return Plane.fit(X, names, features=feature_idx, held=fixed)


def missing_regions(
    classes: np.ndarray, grid_idx: np.ndarray, data_idx: np.ndarray
) -> list[object]:
    """Classes the model predicts on the data that have no region in the plane."""
    shown = set(np.unique(grid_idx).tolist())
    return [classes[k] for k in np.unique(data_idx) if int(k) not in shown]


def agreement_words(share: float) -> str:
    """What the figure says of its agreement with the model (never rounded up to
    "every row")."""
    if share >= 1.0:
        return "every row lies in the region of its predicted class"
    return (
        f"{np.floor(share * 1000) / 10:.1f}% of the rows lie in the region of "
        "their predicted class"
    )


def plot_decision_boundary(
    model_or_fn: Any | Callable[[np.ndarray], np.ndarray],
    X: ArrayLike,
    y: ArrayLike,
    *,
    plane: Plane | None = None,
    feature_idx: tuple[int, int] | None = None,
    fixed: ArrayLike | None = None,
    proba: bool = True,
    resolution: int = 200,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Class regions in a plane of feature space, P(class) shading, boundary, data.

    Parameters
    ----------
    model_or_fn : fitted classifier or callable
        An estimator with ``predict`` (``predict_proba`` / ``decision_function`` used
        when present; string ``classes_`` fine), or ``f(points (G, D)) -> P`` giving
        P(class 1) (G,) or class probabilities (G, K).
    X, y : array of shape (N, D) with D >= 2, and (N,)
    plane : Plane, optional
        Where to draw. Default: the features for D = 2; for D > 2 the plane that
        agrees with the model best (:mod:`lingrad.plot.faithful`): a linear
        model's weights (the boundary exactly a line, every row on its side), else
        the directions its scores grow along or the first two principal
        components, lifted off the plane to the nearby rows' average. Where no
        plane puts 95% of the rows in their predicted class's region, the rows are
        drawn along the model's score instead, and the figure says why. The note
        says how often a row's region is its own class.
    feature_idx, fixed : (i, j) and D values or {index: value}
        A slice instead: features i and j on the axes, the others held at ``fixed``
        (default their means); the figure says so.
    proba : bool
        Binary: shade P(class 1) with a diverging colormap, boundary at P = 0.5.
        Multiclass: region colour with alpha growing with max P. A model without
        ``predict_proba`` (a perceptron) gets flat regions and no colour bar.
    """
    X_arr = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X_arr.ndim != 2 or X_arr.shape[1] < 2:
        raise ValueError(f"X must be (N, D) with D >= 2, got shape {X_arr.shape}")
    names = feature_names_of(X, model_or_fn, X_arr.shape[1], feature_names)
    if title is None:
        name = getattr(model_or_fn, "__name__", type(model_or_fn).__name__)
        title = f"Decision boundary of {name}"
    view: RegionView | None = None
    if plane is None and feature_idx is None and fixed is None and X_arr.shape[1] > 2:
        view = choose_view(model_or_fn, X_arr, names)
        if view.plane is None:
            assert view.reason is not None
            classes = _classes(model_or_fn, y)
            return plot_score_strip(
                model_or_fn, X_arr, _label_index(classes, y),
                _own_index(model_or_fn, classes, X_arr), classes,
                class_colors(len(classes)), reason=view.reason, title=title, ax=ax,
                path=path,
            )  # fmt: skip
        plane = view.plane
    plane = make_plane(X_arr, names, plane, feature_idx, fixed)
    grid = plane.grid(X_arr, resolution)
    classes, idx, P, score = _model_outputs(model_or_fn, grid.points, y, proba)
    colors = class_colors(len(classes))

    fig, ax = figure_and_axes(ax, (10.5, 7.5))
    artists, mappable = draw_regions(ax, grid, idx, P, score, colors)
    scatter_classes(ax, plane.project(X_arr), y, classes, colors)
    if mappable is not None:
        cbar = fig.colorbar(mappable, ax=ax, pad=0.02, ticks=np.linspace(0, 1, 6))
        cbar.set_label(f"P(y = {classes[1]})", fontsize=LABEL_SIZE)
        cbar.ax.tick_params(labelsize=TICK_SIZE)
    decorate(ax, *plane.labels, title)
    ax.grid(False)
    notes = [plane.note()]
    data_idx = _own_index(model_or_fn, classes, X_arr)
    lost = missing_regions(classes, idx, data_idx)
    if lost:
        shown = ", ".join(str(c) for c in lost)
        notes.append(f"predicted on the data but no region in this plane: {shown}")
    if plane.kind != "features":  # D = 2: the plane is the features, exact
        share = (
            view.agreement
            if view is not None
            else agreement(model_or_fn, plane, X_arr, predicted(model_or_fn, X_arr))
        )
        notes.append(agreement_words(share))
    note_above(ax, " — ".join(n for n in notes if n), title)
    handles, _ = ax.get_legend_handles_labels()
    if any(a.get_gid() == BOUNDARY_GID for a in artists):
        label = "boundary P = 0.5" if mappable is not None else "decision boundary"
        handles.append(Line2D([], [], color="k", lw=2.0, label=label))
    legend_outside(ax, handles)
    save(fig, path)
    return fig


def _classes(model_or_fn: Any, y: np.ndarray) -> np.ndarray:
    if not hasattr(model_or_fn, "predict") and callable(model_or_fn):
        return np.unique(y)
    return np.asarray(getattr(model_or_fn, "classes_", np.unique(y)))


def _label_index(classes: np.ndarray, labels: ArrayLike) -> np.ndarray:
    """The index of each label in ``classes`` (-1: not a class)."""
    where = {c: k for k, c in enumerate(classes.tolist())}
    return np.array([where.get(c, -1) for c in np.asarray(labels).tolist()])


def _own_index(model_or_fn: Any, classes: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The class index the model predicts for each row X (N, D)."""
    own = predicted(model_or_fn, X)
    if not hasattr(model_or_fn, "predict") and callable(model_or_fn):
        return own  # already an index
    return _label_index(classes, own)
