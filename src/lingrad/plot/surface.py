"""The loss surface J(w, b) in weight space, with the optimizers' descent paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike
from scipy.special import log_expit

from .style import (
    LABEL_SIZE,
    LEGEND_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    FigureLike,
    PathLike,
    decorate,
    new_figure,
    save,
)

LossFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
PATH_COLORS = ("tab:red", "tab:orange", "magenta", "cyan", "lime", "white")


def mse_surface(x: ArrayLike, y: ArrayLike) -> LossFn:
    """J(w, b) = mean_j (y_j - (w x_j + b))^2, vectorised over grids of w and b."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    Sxx, Sx, Sxy, Sy, Syy = (
        (x * x).mean(),
        x.mean(),
        (x * y).mean(),
        y.mean(),
        (y * y).mean(),
    )

    def J(w: np.ndarray, b: np.ndarray) -> np.ndarray:
        w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
        J = Syy - 2 * w * Sxy - 2 * b * Sy + w * w * Sxx + 2 * w * b * Sx + b * b
        return np.asarray(J)

    return J


def bce_surface(x: ArrayLike, y: ArrayLike) -> LossFn:
    """J(w, b) = -mean_j [y log σ(z_j) + (1 - y) log(1 - σ(z_j))], z_j = w x_j + b."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()

    def J(w: np.ndarray, b: np.ndarray) -> np.ndarray:
        w, b = np.broadcast_arrays(np.asarray(w, float), np.asarray(b, float))
        total = np.zeros(w.shape)
        for x_j, y_j in zip(x, y, strict=True):  # O(grid) memory for any N
            z = w * x_j + b
            total -= y_j * log_expit(z) + (1 - y_j) * log_expit(-z)
        return total / len(x)

    return J


def contour_levels(J: np.ndarray, n: int) -> np.ndarray:
    """Levels quadratic in the step from min to max: even rings for a quadratic bowl."""
    lo, hi = float(np.nanmin(J)), float(np.nanmax(J))
    if not hi > lo:
        hi = lo + 1.0
    return lo + (hi - lo) * np.linspace(0.0, 1.0, n) ** 2


def _path_color(colors: Mapping[str, str] | None, name: str, k: int) -> str:
    if colors is not None and name in colors:
        return colors[name]
    return PATH_COLORS[k % len(PATH_COLORS)]


Paths = dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (w track, b track)


def _draw_contour(
    ax: Axes,
    w_grid: np.ndarray,
    b_grid: np.ndarray,
    J: np.ndarray,
    paths: Paths,
    optimum: tuple[float, float] | None,
    levels: int,
    names: tuple[str, str],
    colors: Mapping[str, str] | None,
) -> None:
    lv = contour_levels(J, levels)
    filled = ax.contourf(w_grid, b_grid, J, levels=lv, cmap="Blues_r", alpha=0.9)
    ax.contour(w_grid, b_grid, J, levels=lv, colors="k", linewidths=0.4, alpha=0.4)
    cbar = ax.figure.colorbar(filled, ax=ax, pad=0.02)
    cbar.set_label("loss J(w, b)", fontsize=LABEL_SIZE)
    cbar.ax.tick_params(labelsize=TICK_SIZE)
    for k, (name, (w_path, b_path)) in enumerate(paths.items()):
        color = _path_color(colors, name, k)
        ax.plot(w_path, b_path, "-", color=color, lw=1.6, alpha=0.9, label=name)
        ms = max(13 - 3 * k, 5)  # shared starts stay visible as nested rings
        ax.plot(w_path[0], b_path[0], "o", color=color, ms=ms, mec="k")
    if optimum is not None:
        ax.plot(*optimum, "*", color="gold", ms=20, mec="k", label="optimum (w*, b*)")
    ax.plot([], [], "o", color="gray", mec="k", label="start")
    ax.set_xlim(w_grid.min(), w_grid.max())
    ax.set_ylim(b_grid.min(), b_grid.max())
    decorate(ax, names[0], names[1], "Contours of J and the descent paths")
    ax.legend(fontsize=LEGEND_SIZE, loc="best", framealpha=0.9)


def _draw_3d(
    ax: Any,  # matplotlib's Axes3D (untyped)
    w_grid: np.ndarray,
    b_grid: np.ndarray,
    J: np.ndarray,
    loss_fn: LossFn,
    paths: Paths,
    optimum: tuple[float, float] | None,
    names: tuple[str, str],
    colors: Mapping[str, str] | None,
) -> None:
    ax.plot_surface(
        w_grid,
        b_grid,
        J,
        cmap="Blues_r",
        alpha=0.55,
        linewidth=0,
        rstride=2,
        cstride=2,
        zorder=1,
    )
    lift = 0.01 * (J.max() - J.min())  # keep the paths visible above the surface
    for k, (name, (w_path, b_path)) in enumerate(paths.items()):
        color = _path_color(colors, name, k)
        J_path = np.asarray(loss_fn(w_path, b_path), dtype=np.float64) + lift
        ax.plot(w_path, b_path, J_path, "-", color=color, lw=1.8, label=name, zorder=10)
        ax.scatter(
            [w_path[0]],
            [b_path[0]],
            [J_path[0]],
            color=color,
            s=max(150 - 40 * k, 30),
            edgecolors="k",
            zorder=11,
        )
    if optimum is not None:
        J_opt = float(np.asarray(loss_fn(np.array(optimum[0]), np.array(optimum[1]))))
        ax.scatter(
            [optimum[0]],
            [optimum[1]],
            [J_opt + lift],
            marker="*",
            s=350,
            color="gold",
            edgecolors="k",
            label="optimum (w*, b*)",
            zorder=12,
        )
    ax.set_xlabel(names[0], fontsize=LABEL_SIZE)
    ax.set_ylabel(names[1], fontsize=LABEL_SIZE)
    ax.set_zlabel("loss J", fontsize=LABEL_SIZE)
    ax.set_title("Loss surface J(w, b)", fontsize=TITLE_SIZE)
    ax.tick_params(labelsize=TICK_SIZE - 1)
    ax.view_init(elev=30, azim=-60)
    if paths or optimum is not None:
        ax.legend(fontsize=LEGEND_SIZE - 1, loc="upper left")


def plot_loss_surface(
    loss_fn: LossFn,
    w_range: tuple[float, float],
    b_range: tuple[float, float],
    *,
    paths: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    optimum: tuple[float, float] | None = None,
    kind: Literal["both", "contour", "3d"] = "both",
    resolution: int = 120,
    levels: int = 25,
    names: tuple[str, str] = ("w", "b"),
    colors: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Loss J over a (w, b) grid with each descent path drawn on it.

    Parameters
    ----------
    loss_fn : callable (w_grid, b_grid) -> J_grid
        Vectorised loss, e.g. ``mse_surface(x, y)`` or ``bce_surface(x, y)``.
    paths : {name: (w_path, b_path)}
        Parameter tracks of e.g. per-sample SGD, minibatch and batch GD; each gets
        its own colour, a marker at its start and a legend entry.
    optimum : (w*, b*)
        Drawn as a gold star.
    colors : {name: colour}, optional
        Each path's colour, so that a run keeps its colour in every panel.
    kind : {"both", "contour", "3d"}
        "both" draws a 3-D surface and a contour panel side by side (``ax`` must then
        be None); "3d" needs ``ax`` created with ``projection="3d"``.
    """
    tracks: Paths = {
        k: (np.asarray(w, float).ravel(), np.asarray(b, float).ravel())
        for k, (w, b) in (paths or {}).items()
    }
    w_axis = np.linspace(*w_range, resolution)
    b_axis = np.linspace(*b_range, resolution)
    w_grid, b_grid = np.meshgrid(w_axis, b_axis)
    J = np.asarray(loss_fn(w_grid, b_grid), dtype=np.float64)
    if J.shape != w_grid.shape:
        raise ValueError(f"loss_fn returned shape {J.shape}, expected {w_grid.shape}")

    if kind == "both":
        if ax is not None:
            raise ValueError("kind='both' draws two panels; pass ax only with one kind")
        fig: FigureLike = new_figure((16.0, 6.5))
        ax3d = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
        ax2d = fig.add_subplot(1, 2, 2)
    elif kind == "contour":
        fig = ax.figure if ax is not None else new_figure((9.5, 7.0))
        ax3d, ax2d = None, ax if ax is not None else fig.add_subplot()
    elif kind == "3d":
        fig = ax.figure if ax is not None else new_figure((9.5, 7.5))
        ax3d, ax2d = (
            ax
            if ax is not None
            else fig.add_subplot(projection="3d", computed_zorder=False),
            None,
        )
    else:
        raise ValueError(f"kind must be 'both', 'contour' or '3d', got {kind!r}")
    if ax3d is not None:
        _draw_3d(ax3d, w_grid, b_grid, J, loss_fn, tracks, optimum, names, colors)
    if ax2d is not None:
        _draw_contour(ax2d, w_grid, b_grid, J, tracks, optimum, levels, names, colors)
    save(fig, path)
    return fig
