"""The plane's axes: the two leading principal axes of standardized data, pure NumPy.

>>> import numpy as np
>>> basis, explained = principal_axes(np.diag([3.0, 2.0, 1.0]))
>>> basis.tolist(), explained.round(3).tolist()
([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [0.643, 0.286])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["principal_axes", "span_basis", "standardize"]


def principal_axes(Z: Array) -> tuple[Array, Array]:
    """The two leading right singular vectors of Z (2, D), each signed so that its
    largest-magnitude entry is positive, and their shares of ‖Z‖²."""
    N, D = Z.shape
    if D <= N:  # eigenvectors of the D x D Gram matrix: no (N, D) factor kept
        values, vectors = np.linalg.eigh(Z.T @ Z)
        order = np.argsort(values)[::-1]
        variances, V = np.clip(values[order], 0.0, None), vectors[:, order].T
    else:
        _, S, V = np.linalg.svd(Z, full_matrices=False)
        variances = S**2
    basis = np.zeros((2, D))
    for k in range(2):
        row = V[k] if k < len(V) and variances[k] > 0 else _unit_orthogonal(basis[:k])
        basis[k] = row * np.sign(row[np.argmax(np.abs(row))])
    total = float(variances.sum())
    share = variances[:2] / total if total > 0 else np.zeros(2)
    explained = np.zeros(2)
    explained[: len(share)] = share
    return basis, explained


def standardize(X: Array) -> tuple[Array, Array, Array]:
    """Center (D,), scale (D,) and Z = (X - center) / scale (N, D); a constant
    column keeps scale 1 (it gets no weight in Z)."""
    center = X.mean(axis=0)
    std = X.std(axis=0)
    scale = np.where(std > 1e-12 * np.maximum(np.abs(center), 1.0), std, 1.0)
    return center, scale, (X - center) / scale


def span_basis(directions: Array, Z: Array) -> Array:
    """Two orthonormal rows (2, D) spanning the leading two of ``directions``
    (k, D) by singular value, the first signed to agree with ``directions[0]``;
    where they span a line, the second is the leading principal axis of Z off it
    (no direction at all: the principal plane of Z)."""
    D = Z.shape[1]
    A = directions.reshape(-1, D)
    _, S, Vt = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(S > 1e-10 * S[0])) if len(S) and S[0] > 0 else 0
    if rank == 0:
        return principal_axes(Z)[0]
    basis = np.zeros((2, D))
    basis[0] = Vt[0] if float(Vt[0] @ A[0]) >= 0 else -Vt[0]
    if rank >= 2:
        basis[1] = Vt[1]
        return basis
    first = basis[:1]
    axes, _ = principal_axes(Z - (Z @ first.T) @ first)  # Z off the first row
    for row in (*axes, _unit_orthogonal(first)):
        row = row - first[0] * float(first[0] @ row)
        if np.linalg.norm(row) > 1e-8:
            basis[1] = row / np.linalg.norm(row)
            break
    return basis


def _unit_orthogonal(rows: Array) -> Array:
    """The first coordinate axis orthogonal to ``rows`` (Gram-Schmidt)."""
    D = rows.shape[1]
    for f in range(D):
        e = np.zeros(D)
        e[f] = 1.0
        e -= rows.T @ (rows @ e)
        if np.linalg.norm(e) > 1e-8:
            out: Array = e / np.linalg.norm(e)
            return out
    raise ValueError("no direction left for the plane")  # pragma: no cover
