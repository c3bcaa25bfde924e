"""The plane a decision-region figure is drawn in, for any number of features.

``x = origin + (u @ basis) * scale`` maps a point ``u = (u1, u2)`` of the plane to
feature space (for the model to predict), and ``u = ((x - origin) / scale) @ basisᵀ``
projects data onto it. Three planes:

- ``"features"`` (D = 2): the two features themselves;
- ``"pca"`` (D > 2, the default): the first two principal components of the
  standardized training data. Off the plane a lifted point takes the average
  off-plane part of the training rows that project near it (:mod:`.nearby`),
  falling to the training mean far from every row: near each row the model is
  asked about data like that row, so every class it predicts there shows a region
  (``off_plane="mean"``: the mean everywhere, the plane itself);
- ``"slice"`` (two named features): those two features, every other feature held
  at a stated value (its mean by default), said on the figure.

Pure NumPy (no matplotlib): the playground page reuses it.

>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(50, 4))
>>> plane = Plane.fit(X)
>>> plane.kind, plane.lift(plane.project(X[:2])).shape
('pca', (2, 4))
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .nearby import NearbyRows
from .pca import principal_axes, span_basis, standardize

Array = NDArray[np.float64]
Kind = Literal["features", "pca", "slice", "model"]
OffPlane = Literal["nearby", "mean"]

__all__ = ["Plane", "PlaneGrid"]


@dataclass(frozen=True)
class PlaneGrid:
    """A regular grid over the plane: axes ``u`` (R,), ``v`` (R,), meshes ``U``,
    ``V`` (R, R) and the same points in feature space, ``points`` (R * R, D)."""

    u: Array
    v: Array
    U: Array
    V: Array
    points: Array


class Plane:
    """A 2-D plane in feature space: ``x = origin + (u @ basis + m(u)) * scale``,
    with ``m(u)`` the nearby rows' off-plane part (``"pca"``) or 0.

    Build one with :meth:`fit` (the default plane for the data) or
    :meth:`slice` (two named features, the others held).

    Attributes
    ----------
    kind : {"features", "pca", "slice"}
    origin, scale : ndarray of shape (D,)
    basis : ndarray of shape (2, D)
        Orthonormal rows (in standardized units for ``"pca"``).
    names : list of str
        The D feature names.
    explained : ndarray of shape (2,) or None
        Share of the standardized data's variance along each axis (``"pca"``).
    held : ndarray of shape (D,) or None
        The value of every feature off the plane (``"slice"``).
    feature_idx : (i, j) or None
        The features on the axes (``"features"``, ``"slice"``).
    nearby : NearbyRows or None
        ``m(u)`` in standardized units (``"pca"`` fitted with ``off_plane="nearby"``);
        None: ``m = 0``.
    """

    def __init__(
        self,
        kind: Kind,
        origin: ArrayLike,
        scale: ArrayLike,
        basis: ArrayLike,
        names: Sequence[str],
        *,
        explained: ArrayLike | None = None,
        held: ArrayLike | None = None,
        held_given: bool = False,
        feature_idx: tuple[int, int] | None = None,
        nearby: NearbyRows | None = None,
    ) -> None:
        self.kind: Kind = kind
        self.origin = np.asarray(origin, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.basis = np.asarray(basis, dtype=np.float64)
        self.names = [str(n) for n in names]
        self.explained = None if explained is None else np.asarray(explained, float)
        self.held = None if held is None else np.asarray(held, dtype=np.float64)
        self.held_given = held_given
        self.feature_idx = feature_idx
        self.nearby = nearby
        self.axis_labels: tuple[str, str] | None = None  # "model": named by its maker
        self.model_note: str | None = None

    @property
    def D(self) -> int:
        return len(self.origin)

    # -- building ---------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        X: ArrayLike,
        feature_names: Sequence[str] | None = None,
        *,
        features: tuple[int, int] | None = None,
        held: ArrayLike | None = None,
        off_plane: OffPlane = "nearby",
    ) -> Plane:
        """The plane for ``X`` (N, D): ``features`` given: their slice; D = 2: the
        features themselves; D > 2: the first two principal components of the
        standardized X (each column minus its mean, over its standard deviation;
        constant columns left unscaled), lifted off the plane by the nearby rows'
        average (``off_plane="nearby"``) or to the mean (``"mean"``)."""
        if off_plane not in ("nearby", "mean"):
            raise ValueError(f"off_plane must be 'nearby' or 'mean', got {off_plane!r}")
        X = _as_2d(X)
        names = _names(feature_names, X.shape[1])
        if features is not None:
            return cls.slice(X, features, held, names)
        if X.shape[1] == 2:
            return cls(
                "features",
                np.zeros(2),
                np.ones(2),
                np.eye(2),
                names,
                feature_idx=(0, 1),
            )
        center, scale, Z = standardize(X)
        basis, explained = principal_axes(Z)
        nearby = _nearby(Z, basis) if off_plane == "nearby" else None
        return cls(
            "pca", center, scale, basis, names, explained=explained, nearby=nearby
        )

    @classmethod
    def containing(
        cls,
        X: ArrayLike,
        directions: ArrayLike,
        feature_names: Sequence[str] | None = None,
        *,
        labels: tuple[str, str],
        note: str,
        off_plane: OffPlane = "mean",
    ) -> Plane:
        """The plane through the mean of ``X`` (N, D) that contains ``directions``
        (k, D), k >= 1, in standardized units (a model's weights ``w * std``):
        their two leading orthonormal directions, completed by the leading
        principal axis of the rest where they span one. ``labels`` name the axes
        (``{0:.0%}`` / ``{1:.0%}`` filled with each axis's share of the variance);
        ``note`` says what the figure shows."""
        if off_plane not in ("nearby", "mean"):
            raise ValueError(f"off_plane must be 'nearby' or 'mean', got {off_plane!r}")
        X = _as_2d(X)
        names = _names(feature_names, X.shape[1])
        center, scale, Z = standardize(X)
        basis = span_basis(np.asarray(directions, dtype=np.float64), Z)
        total = float((Z**2).sum())
        explained = ((Z @ basis.T) ** 2).sum(axis=0) / total if total else None
        nearby = _nearby(Z, basis) if off_plane == "nearby" else None
        plane = cls(
            "model", center, scale, basis, names, explained=explained, nearby=nearby
        )
        shares = np.zeros(2) if explained is None else explained
        plane.axis_labels = (
            labels[0].format(shares[0], shares[1]),
            labels[1].format(shares[0], shares[1]),
        )
        plane.model_note = note
        return plane

    @classmethod
    def slice(
        cls,
        X: ArrayLike,
        features: tuple[int, int],
        held: ArrayLike | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> Plane:
        """Features ``i, j`` on the axes; every other feature at ``held`` (D values or
        ``{index: value}``; default: its mean over X)."""
        X = _as_2d(X)
        D = X.shape[1]
        i, j = (int(f) for f in features)
        if not (0 <= i < D and 0 <= j < D) or i == j:
            raise ValueError(
                f"features must be two different indices in 0..{D - 1}, got {features}"
            )
        values = X.mean(axis=0)
        if isinstance(held, Mapping):
            for k, value in held.items():
                values[int(k)] = float(value)
        elif held is not None:
            values = np.asarray(held, dtype=np.float64).ravel().copy()
            if values.shape != (D,):
                raise ValueError(f"held must hold {D} values or be a mapping")
        origin = values.copy()
        origin[[i, j]] = 0.0
        basis = np.zeros((2, D))
        basis[0, i] = basis[1, j] = 1.0
        names = _names(feature_names, D)
        given = held is not None
        return cls(
            "slice",
            origin,
            np.ones(D),
            basis,
            names,
            held=values,
            held_given=given,
            feature_idx=(i, j),
        )

    def widened(self, factor: float) -> Plane:
        """This plane with its nearby average ``factor`` times as wide (smoother
        regions, fewer bends around single rows); without one, itself."""
        if self.nearby is None or factor == 1.0:
            return self
        out = copy.copy(self)
        rows = self.nearby
        out.nearby = NearbyRows(rows.U_rows, rows.R_rows, bandwidth=rows.h * factor)
        return out

    # -- mapping ----------------------------------------------------------------
    def project(self, X: ArrayLike) -> Array:
        """Coordinates (N, 2) of the points X (N, D) in the plane."""
        X = _as_2d(X, min_features=1)
        out: Array = ((X - self.origin) / self.scale) @ self.basis.T
        return out

    def on_plane(self, U: ArrayLike) -> Array:
        """The points (G, D) of the plane itself at U (G, 2): ``origin + (U @ basis)
        * scale`` (off the plane: the origin, the mean for ``"pca"``)."""
        U = np.asarray(U, dtype=np.float64).reshape(-1, 2)
        out: Array = self.origin + (U @ self.basis) * self.scale
        return out

    def lift(self, U: ArrayLike) -> Array:
        """The points (G, D) of feature space at plane coordinates U (G, 2): on the
        plane, plus the nearby rows' off-plane part ``m(U)`` where there is one."""
        if self.nearby is None:
            return self.on_plane(U)
        U = np.asarray(U, dtype=np.float64).reshape(-1, 2)
        out: Array = self.origin + (U @ self.basis + self.nearby.at(U)) * self.scale
        return out

    def grid(
        self, X: ArrayLike, resolution: int = 200, margin: float = 0.08
    ) -> PlaneGrid:
        """A ``resolution`` x ``resolution`` grid spanning X's projection (+ margin);
        its ``points`` are :meth:`lift` of the mesh (``m`` summed by mesh rows)."""
        P = self.project(X)
        axes = []
        for k in range(2):
            lo, hi = float(P[:, k].min()), float(P[:, k].max())
            pad = margin * (hi - lo) if hi > lo else 1.0
            axes.append(np.linspace(lo - pad, hi + pad, resolution))
        U, V = np.meshgrid(*axes)
        UV = np.column_stack([U.ravel(), V.ravel()])  # (R * R, 2)
        if self.nearby is None:
            points = self.on_plane(UV)
        else:
            off = self.nearby.on_mesh(*axes)  # (R * R, D), standardized
            points = self.origin + (UV @ self.basis + off) * self.scale
        return PlaneGrid(axes[0], axes[1], U, V, points)

    # -- words ------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, str]:
        """Axis labels: the feature names, or ``"PC1 (41% of variance)"``."""
        if self.axis_labels is not None:
            return self.axis_labels
        if self.kind == "pca":
            assert self.explained is not None
            return (
                f"PC1 ({self.explained[0]:.0%} of variance)",
                f"PC2 ({self.explained[1]:.0%} of variance)",
            )
        assert self.feature_idx is not None
        return self.names[self.feature_idx[0]], self.names[self.feature_idx[1]]

    def others(self) -> list[int]:
        """The features held off the plane (``"slice"``)."""
        if self.kind != "slice" or self.feature_idx is None:
            return []
        return [f for f in range(self.D) if f not in self.feature_idx]

    def note(self, max_listed: int = 4) -> str | None:
        """What the figure must say about the plane (None: nothing to say)."""
        if self.kind == "model":
            return self.model_note
        if self.kind == "pca":
            plane = (
                f"plane of the first two principal components of the {self.D} "
                "standardized features"
            )
            if self.nearby is None:
                return f"{plane}; off the plane every feature is at its mean"
            return (
                f"regions: the model's prediction at each point of the {plane}, "
                "off the plane at the average of the nearby training rows "
                "(the mean far from them), so even a linear model's boundary can bend"
            )
        if self.kind == "slice" and self.others():
            assert self.held is not None
            where = "given values" if self.held_given else "their means"
            others = self.others()
            shown = ", ".join(
                f"{self.names[f]} = {self.held[f]:.3g}" for f in others[:max_listed]
            )
            more = f", ... ({len(others)} held)" if len(others) > max_listed else ""
            return f"other features held at {where}: {shown}{more}"
        return None

    def loadings(self, k: int, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` features of axis k by |weight|, with their weights."""
        row = self.basis[k]
        order = np.argsort(-np.abs(row), kind="stable")[:top]
        return [(self.names[f], float(row[f])) for f in order if row[f] != 0.0]

    def to_dict(self) -> dict[str, object]:
        """Everything as plain JSON values (for the playground page)."""
        return {
            "kind": self.kind,
            "origin": self.origin.tolist(),
            "scale": self.scale.tolist(),
            "basis": self.basis.tolist(),
            "names": list(self.names),
            "labels": list(self.labels),
            "explained": None if self.explained is None else self.explained.tolist(),
            "note": self.note(),
            "off_plane": None if self.kind != "pca" else (
                "mean" if self.nearby is None else "nearby"
            ),
            "bandwidth": None if self.nearby is None else self.nearby.h.tolist(),
        }  # fmt: skip

    def __repr__(self) -> str:
        return f"Plane({self.kind!r}, D={self.D}, labels={self.labels})"


def _nearby(Z: Array, basis: Array) -> NearbyRows:
    """The rows' plane coordinates and their parts off the plane (r_i ⟂ it)."""
    U_rows = Z @ basis.T  # (N, 2)
    return NearbyRows(U_rows, Z - U_rows @ basis)


def _as_2d(X: ArrayLike, min_features: int = 2) -> Array:
    A: Array = np.asarray(X, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] < min_features or len(A) == 0:
        raise ValueError(
            f"X must be (N, D) with N >= 1 and D >= {min_features}, got shape {A.shape}"
        )
    return A


def _names(names: Sequence[str] | None, D: int) -> list[str]:
    if names is None:
        return [f"x{f + 1}" for f in range(D)]
    names = [str(n) for n in names]
    if len(names) != D:
        raise ValueError(f"feature_names has {len(names)} entries for {D} features")
    return names
