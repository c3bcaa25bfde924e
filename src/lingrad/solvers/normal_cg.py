"""Least squares / ridge for a wide sparse X: CG on the centred normal equations.

``(X̃ᵀSX̃ + l2 I) w = X̃ᵀS ỹ`` with X̃ = X - 1 x̄ᵀ, ỹ = y - ȳ (the intercept
by centring, never filling X in): the product is
``X̃ᵀSX̃ v = Σ_chunks X_cᵀ S_c (X_c v) - sw x̄ (x̄ᵀ v)``, one pass of sparse
products over the rows (a reduction of sums, so in memory, streamed or on
Dask alike), and scipy's conjugate gradients solve it with the Jacobi
preconditioner ``diag(X̃ᵀSX̃) + l2``. CG on the normal equations is LSQR's
iteration in exact arithmetic; it stops at ``‖r‖ ≤ CG_RTOL ‖X̃ᵀSỹ‖``, so the
coefficients' relative error is at most about cond · CG_RTOL.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.nodes import Array, SparseRows
from lingrad.solvers.result import SolveInfo
from lingrad.solvers.rows import Chunk, Rows
from lingrad.solvers.sparse_gram import scaled_rows

CG_RTOL = 1e-13  # ‖X̃ᵀS(ỹ - X̃w) - l2 w‖ / ‖X̃ᵀSỹ‖ at the answer
CG_MAX_ITER = 20_000


def _root_s(chunk: Chunk) -> Array | None:
    return None if chunk.s is None else np.sqrt(np.asarray(chunk.s, np.float64))


def moments(chunk: Chunk) -> tuple[float, Array, Array, Array, Array]:
    """``Σ s``, ``Σ s x`` (D,), ``Σ s x²`` (D,), ``Σ s y`` (K,), ``Σ s x yᵀ`` (D, K)."""
    root = _root_s(chunk)
    A: Array | SparseRows = (
        scaled_rows(chunk.X, root) if sp.issparse(chunk.X) else chunk.X
    )
    B = np.asarray(chunk.Y, np.float64)
    ones = np.ones(chunk.X.shape[0]) if root is None else root
    if root is not None:
        B = B * root[:, None]
        if not sp.issparse(A):
            A = np.asarray(A, np.float64) * root[:, None]
    sq = (A * A).sum(axis=0) if isinstance(A, np.ndarray) else A.multiply(A).sum(axis=0)
    return (
        float(ones @ ones),
        np.asarray(A.T @ ones, np.float64).ravel(),
        np.asarray(sq, np.float64).ravel(),
        ones @ B,
        np.asarray(A.T @ B, np.float64),
    )


def gram_product(chunk: Chunk, v: Array) -> Array:
    """``X_cᵀ S_c (X_c v)`` (D,) over the chunk's rows."""
    u = np.asarray(chunk.X @ v, np.float64)
    if chunk.s is not None:
        u = u * chunk.s
    return np.asarray(chunk.X.T @ u, np.float64).ravel()


def normal_cg(
    rows: Rows, fit_intercept: bool = True, l2: float = 0.0, rtol: float = CG_RTOL
) -> tuple[Array, Array, SolveInfo]:
    """W (D, K), b (K,), info of ``min Σ s ‖y - xᵀW - b‖² + l2 ‖W‖²`` by CG.

    ``info``: ``method``, ``rank`` (D, not checked), ``iterations`` per
    column and ``relative_residual`` (the largest, recomputed at the answer).
    Warns a ``ConvergenceWarning`` when CG stops above ``rtol``.
    """
    D, K = rows.n_features, rows.n_outputs
    sw, sx, sxx, sy, sxy = rows.reduce(moments)
    x_bar = sx / sw if fit_intercept and sw > 0 else np.zeros(D)
    y_bar = sy / sw if fit_intercept and sw > 0 else np.zeros(K)
    C = sxy - sw * np.outer(x_bar, y_bar)  # X̃ᵀSỹ (D, K)
    diag = sxx - sw * x_bar * x_bar + l2
    precond = np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 1.0)

    def matvec(v: Array) -> Array:
        v = np.asarray(v, np.float64).ravel()
        out: Array = rows.reduce(gram_product, v) - sw * x_bar * (x_bar @ v) + l2 * v
        return out

    A = spla.LinearOperator((D, D), matvec=matvec, dtype=np.float64)
    M = spla.LinearOperator(
        (D, D), matvec=lambda v: precond * v.ravel(), dtype=np.float64
    )
    W = np.zeros((D, K))
    steps, worst = [], 0.0
    count = [0]

    def tick(_: Array) -> None:
        count[0] += 1

    for k in range(K):
        count[0] = 0
        norm_c = float(np.linalg.norm(C[:, k]))
        if norm_c > 0:
            W[:, k], _ = spla.cg(
                A, C[:, k], rtol=rtol, atol=0.0, maxiter=CG_MAX_ITER, M=M,
                callback=tick,
            )  # fmt: skip
            r = float(np.linalg.norm(C[:, k] - matvec(W[:, k]))) / norm_c
            worst = max(worst, r)
        steps.append(count[0])
    b = y_bar - x_bar @ W
    info: SolveInfo = {
        "method": "conjugate gradients on the centred normal equations "
        "(sparse products, Jacobi preconditioner)",
        "rank": D,
        "condition_number": float("nan"),  # not formed
        "iterations": steps,
        "relative_residual": worst,
    }
    if l2 > 0:
        info["method"] += " (ridge)"
    if worst > 10 * rtol:
        warnings.warn(
            f"conjugate gradients stopped at relative residual {worst:.3g} "
            f"(asked {rtol:g}) after {max(steps)} iterations: XᵀX is "
            "ill-conditioned; add an L2 penalty or drop collinear features.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return W, b, info
