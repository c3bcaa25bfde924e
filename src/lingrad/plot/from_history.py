"""Thin conveniences that read a training History by attribute access (duck typing).

Any object with ``step_loss``, ``epoch_loss``, ``snapshot_step``, ``params``,
``final_params`` and ``accumulated_accuracy`` works
(``lingrad.training.history.History``, a ``types.SimpleNamespace``, ...).
Parameters are named as the chain names them (``"affine.W"``, ``"affine.b"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, softmax

from .animate import animate_decision_boundary, animate_fit
from .curves import plot_loss, plot_loss_and_accuracy
from .fit import Kind, plot_fit_evolution
from .params import plot_loss_and_params
from .style import FigureLike, PathLike


def _key(params: Mapping[str, ArrayLike], key: str | None, suffix: str) -> str | None:
    """``key`` if given, else the first parameter whose name ends in ``suffix``."""
    if key is not None:
        return key
    return next((k for k in params if k.endswith(suffix)), None)


def _optional(values: ArrayLike | None) -> np.ndarray | None:
    """An array, or None when absent, empty or all NaN."""
    if values is None:
        return None
    a = np.asarray(values, dtype=np.float64)
    return a if a.size and np.isfinite(a).any() else None


def param_tracks(
    h: object,
    W_key: str | None = None,
    b_key: str | None = None,
    include_final: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(steps (M,), W_track, b_track) from the snapshots, the final parameters appended.

    Snapshot m holds the parameters before the update of step ``snapshot_step[m]``,
    i.e. after that many updates; the final parameters come after all S updates.
    """
    params = dict(getattr(h, "params", None) or {})
    W_key = _key(params, W_key, "W")
    if W_key is None or np.asarray(params[W_key]).size == 0:
        raise ValueError(
            "the History holds no parameter snapshots; train with snapshot_every=1"
        )
    b_key = _key(params, b_key, "b")
    snaps, steps = history_snapshots(h, include_final)
    W = np.array([s[W_key] for s in snaps], dtype=np.float64)
    b = None
    if b_key is not None and b_key in params:
        b = np.array([s[b_key] for s in snaps], dtype=np.float64)
    return steps, W, b


def history_snapshots(
    h: object, include_final: bool = True
) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """One ``{name: array}`` dict per snapshot (final appended) and their steps."""
    params = dict(getattr(h, "params", None) or {})
    params = {k: np.asarray(v) for k, v in params.items()}
    steps = np.asarray(getattr(h, "snapshot_step", ()), dtype=np.int64)
    snaps = [{k: v[m] for k, v in params.items()} for m in range(len(steps))]
    S = total_steps(h)
    final = dict(getattr(h, "final_params", None) or {})
    if include_final and final and (len(steps) == 0 or S > steps[-1]):
        snaps.append({k: np.asarray(v) for k, v in final.items()})
        steps = np.append(steps, S)
    return snaps, steps


def affine_proba(
    params: Mapping[str, ArrayLike],
    points: np.ndarray,
    W_key: str = "affine.W",
    b_key: str = "affine.b",
) -> np.ndarray:
    """P = σ(X W + b) for one output, softmax(X W + b) for K > 1."""
    z = affine_score(params, points, W_key, b_key)  # (G, K)
    return np.asarray(expit(z[:, 0]) if z.shape[1] == 1 else softmax(z, axis=1))


def total_steps(h: object) -> int:
    """Updates made in all: the per-step records, or past the last kept record and
    the last epoch's end where records are thinned."""
    S = len(np.asarray(getattr(h, "step_loss", ())))
    index = getattr(h, "step_index", None)
    if index is not None and len(index):
        S = max(S, int(np.asarray(index)[-1]) + 1)
    ends = getattr(h, "epoch_end_step", None)
    if ends is not None and len(ends):
        S = max(S, int(np.asarray(ends)[-1]))
    return S


def record_steps(h: object) -> np.ndarray | None:
    """The global step of each per-step record: ``h.step_index`` where the History
    keeps it (per-step records thinned), else None (records are steps 0 .. S-1)."""
    index = getattr(h, "step_index", None)
    if index is None:
        return None
    index = np.asarray(index)
    return index if len(index) == len(np.asarray(getattr(h, "step_loss", ()))) else None


def affine_score(
    params: Mapping[str, ArrayLike],
    points: np.ndarray,
    W_key: str = "affine.W",
    b_key: str = "affine.b",
) -> np.ndarray:
    """z = X W + b of one snapshot (G, K): a perceptron's scores, no probabilities."""
    W = np.asarray(params[W_key], dtype=np.float64).reshape(points.shape[1], -1)
    b = np.asarray(params.get(b_key, np.zeros(W.shape[1])), dtype=np.float64)
    z: np.ndarray = points @ W + b.ravel()
    return z


def plot_history(
    h: object,
    *,
    panel: str | None = None,
    kind: str = "step",
    true_W: ArrayLike | None = None,
    true_b: ArrayLike | None = None,
    optimum_W: ArrayLike | None = None,
    optimum_b: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    true_label: str = "true value",
    loss_label: str = "loss J",
    title: str | None = None,
    path: PathLike | None = None,
) -> FigureLike:
    """Loss on top and, below, the parameters (``panel="params"``) or the accumulated
    accuracy (``"accuracy"``); by default params when snapshots exist, else accuracy
    when recorded, else the loss alone. ``title`` heads the loss panel; ``kind``
    names one step (``"sample"``, ``"minibatch"``, ``"batch"``, ``"lbfgs"``,
    ``"newton"``; see :func:`lingrad.plot.rules.step_kind`); ``loss_label`` the loss
    axis (:func:`lingrad.plot.rules.loss_label`)."""
    step_loss = _optional(getattr(h, "step_loss", None))
    epoch_loss = _optional(getattr(h, "epoch_loss", None))
    acc = _optional(getattr(h, "accumulated_accuracy", None))
    steps = record_steps(h)
    has_params = any(
        np.asarray(v).size for v in dict(getattr(h, "params", None) or {}).values()
    )
    if panel is None:
        panel = "params" if has_params else "accuracy" if acc is not None else "loss"
    if panel == "params":
        snap_steps, W, b = param_tracks(h)
        return plot_loss_and_params(
            step_loss,
            W,
            b,
            steps=snap_steps,
            loss_steps=steps,
            epoch_loss=epoch_loss,
            true_W=true_W,
            true_b=true_b,
            optimum_W=optimum_W,
            optimum_b=optimum_b,
            names=names,
            kind=kind,
            true_label=true_label,
            loss_label=loss_label,
            title=title,
            path=path,
        )
    if panel == "accuracy":
        if acc is None:
            raise ValueError("the History holds no accumulated accuracy")
        return plot_loss_and_accuracy(
            step_loss,
            acc,
            steps=steps,
            epoch_loss=epoch_loss,
            kind=kind,
            loss_label=loss_label,
            title=title,
            path=path,
        )
    if panel == "loss":
        return plot_loss(
            step_loss,
            epoch_loss,
            steps=steps,
            kind=kind,
            ylabel=loss_label,
            title=title,
            path=path,
        )
    raise ValueError(f"panel must be 'params', 'accuracy' or 'loss', got {panel!r}")


def plot_fit_from_history(
    x: ArrayLike, y: ArrayLike, h: object, kind: Kind = "linear", **kwargs: Any
) -> FigureLike:
    """``plot_fit_evolution`` on the History's w and b snapshots."""
    steps, W, b = param_tracks(h)
    return plot_fit_evolution(x, y, W, b, kind, steps=steps, **kwargs)


def animate_fit_from_history(
    x: ArrayLike,
    y: ArrayLike,
    h: object,
    kind: Kind = "linear",
    path: PathLike = "fit.gif",
    **kwargs: Any,
) -> int:
    """``animate_fit`` on the History's w and b snapshots; returns the frame count."""
    steps, W, b = param_tracks(h)
    return animate_fit(x, y, W, b, kind, path, steps=steps, **kwargs)


def animate_boundary_from_history(
    X: ArrayLike,
    y: ArrayLike,
    h: object,
    path: PathLike = "boundary.gif",
    **kwargs: Any,
) -> int:
    """``animate_decision_boundary`` of σ(X W + b) (or softmax) at each snapshot."""
    snaps, steps = history_snapshots(h)
    return animate_decision_boundary(
        X, y, snaps, path, proba_fn=affine_proba, steps=steps, **kwargs
    )
