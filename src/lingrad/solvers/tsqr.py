"""The stable route of the closed form: R of ``[X Y]`` by chunked (tall-skinny) QR.

``√S ([X Y] - v̄) = Q R``: each chunk's rows are reduced to their R
(Householder QR over small blocks, stacking the running R on top), and two
chunks' R combine as the R of the two stacked (:func:`r_merge`): in memory a
sequence, on Dask a tree, both "TSQR". Then ``‖√S(Xw + b - y)‖² = ‖R_X w -
c‖² + const`` and :func:`solve_r` takes the SVD of the small R_X, so XᵀX is
never formed and its condition number never squared.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from lingrad.core.nodes import Array
from lingrad.solvers.result import SolveInfo
from lingrad.solvers.rows import Chunk

ILL_CONDITIONED = 1e10  # cond(XᵀX) of the solved system above this warns


class IllConditionedWarning(UserWarning):
    """cond(XᵀX) > 1e10: the least-squares coefficients are poorly determined."""


def _qr_r(A: Array) -> Array:
    """R (min(m, P), P) of A (m, P), Householder (LAPACK geqrf)."""
    if len(A) == 0:
        return A
    (_, _), R = scipy.linalg.qr(A, mode="raw", overwrite_a=True, check_finite=False)
    return np.triu(R[: min(A.shape), :])


def r_from_chunk(chunk: Chunk, mean: Array) -> Array:
    """R of the chunk's ``√s ([x y] - mean)`` rows, reduced block by block."""
    X, Y, s = chunk.X, chunk.Y, chunk.s
    D, P = X.shape[1], X.shape[1] + Y.shape[1]
    b = max(4 * P, (1 << 17) // max(P, 1))
    R = np.zeros((0, P))
    for i in range(0, len(X), b):
        m = min(b, len(X) - i)
        A = np.empty((len(R) + m, P), order="F")
        A[: len(R)] = R
        A[len(R) :, :D], A[len(R) :, D:] = X[i : i + b], Y[i : i + b]
        A[len(R) :] -= mean
        if s is not None:
            A[len(R) :] *= np.sqrt(s[i : i + b].astype(np.float64))[:, None]
        R = _qr_r(A)
    return R


def r_merge(R1: Array, R2: Array) -> Array:
    """R of the rows behind R1 and R2 together: the R of R1 stacked on R2."""
    if len(R1) == 0:
        return R2
    if len(R2) == 0:
        return R1
    return _qr_r(np.asfortranarray(np.vstack([R1, R2])))


def solve_r(
    R: Array,
    n_features: int,
    n_samples: int,
    l2: float = 0.0,
    rcond: float | None = None,
) -> tuple[Array, SolveInfo]:
    """W (D, K) minimising ``‖R_X W - C‖² + l2 ‖W‖²`` by the SVD of R_X.

    With ``R_X = U Σ Vᵀ``: ``W = V diag(σ / (σ² + l2)) Uᵀ C``; for l2 = 0,
    singular values below ``rcond · σ_max`` (default ``eps · max(N, D)``)
    are exactly zero in the data: dropped, the minimum-norm solution (as
    ``lstsq``), and ``rank`` says how many remain. Exact rank deficiency is
    not a warning; a kept part with cond(XᵀX) > 1e10 is
    (:class:`IllConditionedWarning`): its digits are lost to rounding.
    """
    D = n_features
    R_X, C = R[:, :D], R[:, D:]  # (k, D), (k, K)
    U, sv, Vt = np.linalg.svd(R_X, full_matrices=False)
    sv_all = np.zeros(D)  # D singular values (0 where N < D)
    sv_all[: len(sv)] = sv
    eps = np.finfo(np.float64).eps
    cutoff = (eps * max(n_samples, D) if rcond is None else rcond) * (
        sv_all[0] if D else 0.0
    )
    keep = sv > cutoff
    if l2 > 0:
        f = sv / (sv * sv + l2)
    else:
        f = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
    W = Vt.T @ (f[:, None] * (U.T @ C))  # (D, K)
    rank = int(keep.sum())
    smin = sv_all[-1] if D else 0.0
    kept_min = sv[keep][-1] if rank else 0.0
    info: SolveInfo = {
        "method": "chunked Householder QR of [X y] + SVD of R (least squares)",
        "rank": rank,
        "condition_number": float(sv_all[0] / smin) ** 2 if smin > 0 else float("inf"),
        "singular_values": sv_all,
    }
    solved = float(sv_all[0] / kept_min) ** 2 if kept_min > 0 else 1.0
    if l2 > 0:
        solved = float((sv_all[0] ** 2 + l2) / (smin**2 + l2))
        info["method"] = "chunked Householder QR of [X y] + SVD of R (ridge filter)"
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
