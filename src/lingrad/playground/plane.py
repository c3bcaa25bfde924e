"""The plane the decision regions are drawn in: two features, or two principal axes.

With two features the plane is theirs. Past two it is the plane of the first two
principal components of the standardized training data: a grid in that plane is
mapped back to feature space for prediction, the points are projected onto it,
and the axes say how much of the variance each component holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Plane:
    """Coordinates (u, v) of a plane in feature space: x = origin + u a + v c."""

    def __init__(self, X: Any, names: list[str], unit: str = "") -> None:
        X = np.asarray(X, dtype=np.float64)  # (N, D)
        D = X.shape[1]
        if D == 2:
            self.mean, self.std = np.zeros(2), np.ones(2)
            self.axes = np.eye(2)  # (D, 2)
            self.labels = [names[0] + unit, names[1] + unit]
            self.note = ""
        else:
            self.mean = X.mean(axis=0)
            std = X.std(axis=0)
            self.std = np.where(std > 0, std, 1.0)
            Z = (X - self.mean) / self.std  # the standardized data
            _, s, Vt = np.linalg.svd(Z, full_matrices=False)
            var = s**2 / max(float(np.sum(s**2)), 1e-300)
            self.axes = Vt[:2].T  # (D, 2)
            self.labels = [
                f"PC{k + 1} ({100 * var[k]:.0f}% of variance)" for k in range(2)
            ]
            self.note = (
                f"{D} features: the plane of the first two principal components of "
                "the standardized data; the regions are the model's predictions there"
            )
        uv = self.project(X)
        lo, hi = uv.min(axis=0), uv.max(axis=0)
        pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
        self.lo, self.hi = lo - pad, hi + pad

    def project(self, X: Any) -> Any:
        """(N, 2) coordinates of the points in the plane."""
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.std) @ self.axes

    def lift(self, uv: Any) -> Any:
        """(G, D) feature vectors of plane coordinates (G, 2)."""
        return self.mean + (np.asarray(uv) @ self.axes.T) * self.std

    def grid(self, n: int) -> tuple[Any, Any, Any]:
        """u (n,), v (n,) and the (n*n, D) feature vectors, row by row in v."""
        u = np.linspace(self.lo[0], self.hi[0], n)
        v = np.linspace(self.lo[1], self.hi[1], n)
        U, V = np.meshgrid(u, v)  # row j: v[j]
        return u, v, self.lift(np.column_stack([U.ravel(), V.ravel()]))


def plane_for(run: Any) -> Plane:
    """The run's plane (computed once per run)."""
    plane = getattr(run, "_plane", None)
    if plane is None:
        unit = " (standardized)" if run.settings.scale else ""
        plane = Plane(run.X, list(run.data.feature_names), unit)
        run._plane = plane
    return plane
