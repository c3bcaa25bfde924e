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

__all__ = ["principal_axes"]


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
