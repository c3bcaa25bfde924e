"""Least squares on a sparse X: ``XᵀSX`` by sparse products, or its eigenvectors.

A CSR chunk cannot be centred without filling it in, so its statistics are
the uncentred sums ``Σ s v vᵀ`` (v = [x, y]; ``XᵀSX`` a sparse product of
the √s-scaled rows, written into a dense (D + K)² matrix) less the chunk's
``sw v̄ v̄ᵀ``: the :class:`~lingrad.solvers.gram.GramStats` the dense path
makes, and the same merge. The subtraction costs ``eps · sw |v̄|² / M``
relative digits (none on the usual sparse data, whose means are small).

When Cholesky declines (rank-deficient or ill-conditioned), the dense path
takes QR of the rows; a sparse X instead takes the eigenvectors of the
centred Gram (:func:`eig_solve`), cond · eps digits, not QR's √cond · eps.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from lingrad.core.nodes import Array, SparseRows
from lingrad.solvers.result import SolveInfo
from lingrad.solvers.rows import Chunk
from lingrad.solvers.tsqr import ILL_CONDITIONED, IllConditionedWarning


def scaled_rows(X: SparseRows, root_s: Array | None) -> SparseRows:
    """The CSR ``diag(√s) X`` in float64 (X itself when it already is that)."""
    if root_s is None and X.dtype == np.float64:
        return X
    A = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if root_s is not None:
        A.data *= np.repeat(root_s, np.diff(A.indptr))
    return A


def sparse_sums(
    X: SparseRows, Y: Array, s: Array | None, centred: bool
) -> tuple[float, Array, Array]:
    """``sw``, the weighted mean v̄ (P,) and ``M = Σ s v vᵀ - sw v̄ v̄ᵀ`` (P, P)."""
    m, D = X.shape
    P = D + Y.shape[1]
    sw = float(m if s is None else np.sum(s, dtype=np.float64))
    root_s = None if s is None else np.sqrt(np.asarray(s, dtype=np.float64))
    A = scaled_rows(X, root_s)  # √s x
    B = np.asarray(Y, dtype=np.float64)
    if root_s is not None:
        B = B * root_s[:, None]  # √s y
    M = np.empty((P, P), order="F")
    M[:D, :D] = (A.T @ A).toarray()
    M[:D, D:] = A.T @ B
    M[D:, :D] = M[:D, D:].T
    M[D:, D:] = B.T @ B
    mean = np.zeros(P)
    if centred and sw > 0:
        rs = np.ones(m) if root_s is None else root_s
        mean[:D] = (A.T @ rs) / sw  # Σ s x / Σ s
        mean[D:] = (rs @ B) / sw
        M -= sw * np.outer(mean, mean)
    return sw, mean, M


def eig_solve(
    M: Array,
    n_features: int,
    n_samples: int,
    l2: float = 0.0,
    rcond: float | None = None,
) -> tuple[Array, SolveInfo]:
    """W (D, K) minimising ``‖√S(X̃W - Ỹ)‖² + l2 ‖W‖²`` from the centred Gram M.

    With ``XᵀSX = V Λ Vᵀ``: ``W = V diag(1 / (λ + l2)) Vᵀ XᵀSY``; for l2 = 0,
    eigenvalues below ``rcond² · λ_max`` (default rcond² = ``eps · max(N, D)``,
    the Gram's own rounding) are null directions: dropped, the minimum-norm
    solution (as ``lstsq``), ``rank`` counting the rest. A kept part with
    cond > 1e10 warns :class:`IllConditionedWarning`.
    """
    D = n_features
    G, C = M[:D, :D], M[:D, D:]
    lam, V = np.linalg.eigh(G)
    lam, V = lam[::-1], V[:, ::-1]
    top = float(lam[0]) if D else 0.0
    eps = float(np.finfo(np.float64).eps)
    cutoff = (eps * max(n_samples, D) if rcond is None else rcond**2) * top
    keep = lam > cutoff
    if l2 > 0:
        f = 1.0 / (np.maximum(lam, 0.0) + l2)
    else:
        f = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    W = V @ (f[:, None] * (V.T @ C))
    rank = int(keep.sum())
    sv = np.sqrt(np.maximum(lam, 0.0))
    smallest = float(max(lam[-1], 0.0)) if D else 0.0
    info: SolveInfo = {
        "method": "eigenvectors of the sparse XᵀX (least squares, minimum norm)",
        "rank": rank,
        "condition_number": top / smallest if smallest > 0 else float("inf"),
        "singular_values": sv,
    }
    solved = top / float(lam[keep][-1]) if rank else 1.0
    if l2 > 0:
        solved = (top + l2) / (smallest + l2)
        info["method"] = "eigenvectors of the sparse XᵀX + l2 I (ridge)"
        info["condition_number_ridge"] = solved
    if solved > ILL_CONDITIONED:
        warnings.warn(
            f"XᵀX is ill-conditioned (condition number {solved:.3g} > 1e10 on its "
            f"rank-{rank} part, {D} features): the coefficients are poorly "
            "determined; drop collinear features or add an L2 penalty.",
            IllConditionedWarning,
            stacklevel=3,
        )
    return W, info


def sparse_column(chunk: Chunk, j: int) -> Array:
    """Column j of a sparse chunk's X as a dense vector (one column: bounded)."""
    X: SparseRows = chunk.X  # a sparse chunk (scipy's untyped CSR)
    return np.asarray(X[:, [j]].toarray()).ravel()
