"""Which view of a classifier agrees with it: a plane, or the rows along its score.

A region figure must agree with the model on the rows it shows: the region at a
row's place, ``model(lift(project(x)))``, is the model's class for the row itself,
``model(x)``, for at least ``FAITHFUL`` (95%) of the rows. The planes tried, in
this order, for D > 2 features (standardized units ``z = (x - mean) / std``):

- a **linear** model (its scores ``s(x) = xᵀW + b`` are affine in x, checked on
  the rows): the plane through the mean that contains its weight vector ``w * std``
  (binary; the second axis is the leading principal axis of the rest) or the two
  leading directions of the classes' weights minus their mean (multiclass: the
  argmax depends only on those differences). Off the plane every feature is at
  its mean; where the weights span at most a plane (two or three classes) the
  boundary is exactly a line and every row's side is exact (agreement 1);
- any other model: the plane of a ridge fit of its scores on the rows
  (the directions its score grows along most), and the principal plane: first
  plain (every other direction at its mean), then each lifted off the plane to
  the nearby rows' average (:mod:`.nearby`), the average widest first.

The first (smoothest) plane within 2 points of the most faithful one wins, if it
reaches 95%: a narrow average bends a region around single rows, islands a
student reads as overfitting, for a point or two of agreement. Where no plane puts
95% of the rows in their predicted class's region, :class:`RegionView` carries no
plane, and the figure draws the rows along the model's score instead
(:mod:`.strip`), saying why.
Pure NumPy (pandas only for a model fitted on a DataFrame).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .nearby import MAX_ROWS
from .pca import standardize
from .plane import OffPlane, Plane

Array = NDArray[np.float64]

FAITHFUL = 0.95  # the least share of rows in their predicted class's region
LINEAR_RTOL = 1e-7  # scores affine to this (relative): the model is linear
CHECK_ROWS = 1000  # rows the affine check and the surrogate fit use at most
WIDEN = (4.0, 2.0, 1.0)  # the nearby average's widths tried, x half Scott's rule
SLACK = 0.02  # the smoothest plane within this share of the most faithful one
RIDGE = 0.1  # of the surrogate's fit, against a unit-variance feature's weight

__all__ = [
    "FAITHFUL",
    "RegionView",
    "agreement",
    "choose_view",
    "frame",
    "predicted",
    "scores",
]


@dataclass(frozen=True)
class RegionView:
    """The view of a classifier: a ``plane`` (None: no plane agrees, draw the rows
    along the score), the ``agreement`` of the best plane tried, whether the model
    is ``linear``, and the ``reason`` a plane was refused (None if one is drawn)."""

    plane: Plane | None
    agreement: float
    linear: bool
    reason: str | None = None


def frame(model: Any, X: Array) -> Any:
    """X as the model was fitted on it (a DataFrame with its column names)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=names)


def _proba(out: ArrayLike) -> Array:
    P = np.asarray(out, dtype=np.float64)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    return np.column_stack([1.0 - P, P]) if P.ndim == 1 else P


def predicted(model_or_fn: Any, X: Array) -> np.ndarray:
    """The model's class of every row X (N, D): ``predict``, or the argmax of a
    function's probabilities (a class index)."""
    if not hasattr(model_or_fn, "predict") and callable(model_or_fn):
        index: np.ndarray = _proba(model_or_fn(X)).argmax(axis=1)
        return index
    return np.asarray(model_or_fn.predict(frame(model_or_fn, X)))


def scores(model_or_fn: Any, X: Array) -> Array:
    """The model's scores (N, K'): the binary score z (K' = 1, positive for the
    second class) or K class scores minus their mean (their argmax is the class);
    ``decision_function`` where there is one, else log-probabilities (a model
    with labels only: ±1 per class)."""
    if hasattr(model_or_fn, "decision_function"):
        S = np.asarray(
            model_or_fn.decision_function(frame(model_or_fn, X)), dtype=np.float64
        )
    elif hasattr(model_or_fn, "predict") and not hasattr(model_or_fn, "predict_proba"):
        classes = np.asarray(model_or_fn.classes_)  # labels only: ±1 per class
        pred = np.asarray(model_or_fn.predict(frame(model_or_fn, X)))
        S = 2.0 * (pred[:, None] == classes[None]) - 1.0
    else:
        out = (
            model_or_fn.predict_proba(frame(model_or_fn, X))
            if hasattr(model_or_fn, "predict_proba")
            else model_or_fn(X)
        )
        with np.errstate(divide="ignore"):
            L = np.log(np.clip(_proba(out), 1e-300, None))
        S = L[:, 1] - L[:, 0] if L.shape[1] == 2 else L
    S = S.reshape(len(X), -1)
    if S.shape[1] == 2:  # two class scores: their difference decides
        S = S[:, 1:] - S[:, :1]
    if S.shape[1] > 2:
        S = S - S.mean(axis=1, keepdims=True)
    return S


def agreement(model_or_fn: Any, plane: Plane, X: Array, on_data: ArrayLike) -> float:
    """Share of the rows X (N, D) whose region (the model at lift(project(x))) is
    the model's class for the row itself, ``on_data`` (N,); over a seeded sample of
    MAX_ROWS rows past that many."""
    rows: slice | NDArray[np.intp] = slice(None)
    if len(X) > MAX_ROWS:
        rows = np.random.default_rng(0).choice(len(X), MAX_ROWS, replace=False)
    shadow = plane.lift(plane.project(X[rows]))  # (n, D)
    own = np.asarray(on_data)[rows]
    return float(np.mean(predicted(model_or_fn, shadow) == own))


def _sample(X: Array, n: int) -> Array:
    if len(X) <= n:
        return X
    return X[np.sort(np.random.default_rng(0).choice(len(X), n, replace=False))]


def linear_weights(score: Callable[[Array], Array], X: Array) -> Array | None:
    """``W * std`` (D, K') if the scores are affine in x on the rows (else None):
    the score steps from the mean by one standard deviation along each feature
    (a constant feature: no weight, it never varies)."""
    center, scale, _ = standardize(X)
    D = X.shape[1]
    S0, *steps = score(np.vstack([center, center + np.diag(scale)]))
    V = np.asarray(steps) - S0  # (D, K')
    V[np.ptp(X, axis=0) == 0] = 0.0
    rows = _sample(X, CHECK_ROWS)
    S = score(rows)
    fit = S0 + ((rows - center) / scale) @ V
    if not (np.isfinite(S).all() and np.isfinite(fit).all()):
        return None
    size = float(np.abs(S).max(initial=0.0)) + float(np.abs(S0).max(initial=0.0))
    if float(np.abs(S - fit).max(initial=0.0)) > LINEAR_RTOL * (1.0 + size):
        return None
    weights: Array = V.reshape(D, -1)
    return weights


def _directions(V: Array, Z: Array) -> Iterator[tuple[Array, bool]]:
    """Plane directions (k, D) from weights V (D, K'), and whether they are the
    weights' whole span: the leading ones, then the ones the rows' scores vary
    along most (past a plane, for many classes)."""
    _, S, _ = np.linalg.svd(V, full_matrices=False)
    whole = int(np.sum(S > 1e-10 * max(float(S[0]), 1e-300))) <= 2
    yield V.T, whole
    if not whole:
        S_rows = Z @ V
        _, _, Qt = np.linalg.svd(S_rows - S_rows.mean(axis=0), full_matrices=False)
        yield (V @ Qt[:2].T).T, False


def _specs(
    V: Array | None, surrogate: Array | None, Z: Array
) -> list[tuple[Array | None, tuple[str, str], str, bool]]:
    """(directions or None for the principal plane, axis labels, what the plane
    is, whether it holds the model's whole span) of each plane to try."""
    specs: list[tuple[Array | None, tuple[str, str], str, bool]] = []
    if V is not None:
        for dirs, whole in _directions(V, Z):
            if V.shape[1] == 1:
                labels = ("along w ({0:.0%} of variance)", "principal axis "
                          "orthogonal to w ({1:.0%} of variance)")  # fmt: skip
                what = "containing the weight vector w"
            else:
                labels = ("weight direction 1 ({0:.0%} of variance)",
                          "weight direction 2 ({1:.0%} of variance)")  # fmt: skip
                what = (
                    "spanned by the classes' weight vectors minus their mean"
                    if whole
                    else "of the two leading directions of the classes' weights"
                )
            specs.append((dirs, labels, what, whole))
        return specs
    if surrogate is not None:
        one = surrogate.shape[1] == 1
        labels = (
            "the model's score direction ({0:.0%} of variance)" if one
            else "the model's direction 1 ({0:.0%} of variance)",
            "principal axis orthogonal to it ({1:.0%} of variance)" if one
            else "the model's direction 2 ({1:.0%} of variance)",
        )  # fmt: skip
        what = "along which the model's scores grow most (a ridge fit of them)"
        specs.append((surrogate.T, labels, what, False))
    specs.append((None, ("", ""), "", False))
    return specs


def _candidates(
    X: Array, names: Sequence[str], V: Array | None, surrogate: Array | None
) -> Iterator[Plane]:
    """Each plane to try, smoothest first: the plain planes (the model itself on
    a flat plane), then the lifted ones, their nearby average widest first."""
    D = X.shape[1]
    _, _, Z = standardize(X)
    where = f"plane through the mean of the {D} standardized features"
    specs = _specs(V, surrogate, Z)
    ways: list[tuple[OffPlane, float]] = [("mean", 1.0)]
    ways += [("nearby", f) for f in WIDEN]
    for off, widen in ways:
        for dirs, labels, what, whole in specs:
            if dirs is None:
                yield Plane.fit(X, names, off_plane=off).widened(widen)
                continue
            if off == "nearby" and whole:
                continue  # exact already
            if off == "mean":
                lines = "a straight line" if V is not None and V.shape[1] == 1 else (
                    "straight lines")  # fmt: skip
                rest = f": the boundary is exactly {lines} here" if whole else ""
                note = f"{where} {what}, every other direction at its mean{rest}"
            else:
                note = (
                    f"{where} {what}, off the plane at the average of the nearby "
                    "training rows (a region bends around rows unlike their "
                    "neighbours)"
                )
            plane = Plane.containing(
                X, dirs, names, labels=labels, note=note, off_plane=off
            )
            yield plane.widened(widen)


def _surrogate(score: Callable[[Array], Array], X: Array) -> Array | None:
    """Weights A (D, K') of the ridge fit ``s(x) ≈ zᵀA + c`` on the rows (in
    standardized units, ``(ZᵀZ / N + RIDGE I) A = Zᵀ(S - mean) / N``): the
    directions the scores grow along, steady where features are collinear (least
    squares alone picks directions of almost no variance there)."""
    rows = _sample(X, CHECK_ROWS)
    S = score(rows)
    if not np.isfinite(S).all():
        return None
    center, scale, _ = standardize(X)
    Z = (rows - center) / scale
    Z = Z - Z.mean(axis=0)
    gram = Z.T @ Z / len(Z) + RIDGE * np.eye(Z.shape[1])
    A = np.linalg.solve(gram, Z.T @ (S - S.mean(axis=0)) / len(Z))
    A[np.ptp(X, axis=0) == 0] = 0.0
    return A if np.abs(A).max(initial=0.0) > 0 else None


def choose_view(model_or_fn: Any, X: Array, names: Sequence[str]) -> RegionView:
    """The smoothest plane within SLACK of the most faithful one for a classifier
    on the rows X (N, D), D > 2, if that agrees on FAITHFUL of them; else no
    plane, with the reason and the best share seen."""

    def score(P: Array) -> Array:
        return scores(model_or_fn, P)

    V = linear_weights(score, X)
    surrogate = None if V is not None else _surrogate(score, X)
    own = predicted(model_or_fn, X)
    tried: list[tuple[float, Plane]] = []
    for plane in _candidates(X, names, V, surrogate):
        tried.append((agreement(model_or_fn, plane, X, own), plane))
        if tried[-1][0] == 1.0:
            break  # exact: nothing smoother-and-truer to find
    share = max(s for s, _ in tried)
    if share >= FAITHFUL:
        enough = max(FAITHFUL, share - SLACK)
        return next(RegionView(p, s, V is not None) for s, p in tried if s >= enough)
    shown = f"{np.floor(share * 1000) / 10:.1f}%"  # never rounded up
    reason = (
        f"no plane shows this model faithfully: in the best one tried only {shown} "
        f"of the rows lie in their predicted class's region (at least "
        f"{FAITHFUL:.0%} needed), so the rows are drawn along the model's score"
    )
    return RegionView(None, share, V is not None, reason)
