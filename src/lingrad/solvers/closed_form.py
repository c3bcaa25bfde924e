"""Least squares / ridge ``w* = (XᵀSX + l2 I)⁻¹ XᵀSy`` by QR + SVD, no inverse."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg

from lingrad.nodes import Array

ILL_CONDITIONED = 1e10  # cond(XᵀX) above this warns


class IllConditionedWarning(UserWarning):
    """cond(XᵀX) > 1e10: the least-squares coefficients are poorly determined."""


def normal_equation(
    X: Array,
    y: Array,
    sample_weight: Array | None = None,
    fit_intercept: bool = True,
    l2: float = 0.0,
    rcond: float | None = None,
) -> tuple[Array, Array, dict[str, Any]]:
    """``w* = argmin Σ s_i (y_i - x_iᵀw - b)² + l2 ‖w‖²`` (scikit-learn Ridge's J).

    Solves the normal equation ``(XᵀSX + l2 I) w = XᵀSy`` stably: the data are
    centred (weighted means, so that b = ȳ - x̄ᵀw), scaled by √s, and
    ``[X y] = Q [R c]`` by Householder QR; then ``‖Xw - y‖² = ‖Rw - c‖² + const``
    and with the SVD ``R = U Σ Vᵀ``, ``w = V diag(σ / (σ² + l2)) Uᵀ c``
    (σ below ``rcond·σ_max`` dropped when l2 = 0: the minimum-norm solution,
    as ``lstsq``). XᵀX is never formed, so its condition number is not squared.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_features, n_targets)
    intercept : ndarray of shape () or (n_targets,)
    info : dict
        ``method``, ``rank``, ``condition_number`` (cond(XᵀX) of the centred
        data, ``inf`` when rank-deficient), ``singular_values``; with l2 > 0
        also ``condition_number_ridge`` (of XᵀX + l2 I). Warns
        :class:`IllConditionedWarning` when the system solved has cond > 1e10.
    """
    X, y = np.asarray(X), np.asarray(y)
    N, D = X.shape
    Y = y.reshape(N, -1)  # (N, K)
    K = Y.shape[1]
    dtype = np.result_type(X.dtype, np.float32)
    A = np.empty((N, D + K), dtype=dtype, order="F")  # [X y], Fortran for LAPACK
    A[:, :D], A[:, D:] = X, Y
    if fit_intercept:
        mean = np.average(A, axis=0, weights=sample_weight)  # (D + K,)
        A -= mean
    else:
        mean = np.zeros(D + K, dtype=dtype)
    if sample_weight is not None:
        A *= np.sqrt(np.asarray(sample_weight, dtype=dtype))[:, None]
    (_, _), R = scipy.linalg.qr(A, mode="raw", overwrite_a=True, check_finite=False)
    del A
    R_X, c = R[:, :D], R[:, D:]  # (k, D), (k, K)
    U, sv, Vt = np.linalg.svd(R_X, full_matrices=False)
    sv_all = np.zeros(D, dtype=sv.dtype)  # D singular values (0 where N < D)
    sv_all[: len(sv)] = sv
    eps = np.finfo(dtype).eps
    cutoff = (eps * max(N, D) if rcond is None else rcond) * (sv_all[0] if D else 0)
    keep = sv > cutoff
    if l2 > 0:
        f = sv / (sv * sv + l2)
    else:
        f = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
    W = Vt.T @ (f[:, None] * (U.T @ c))  # (D, K)
    smin = sv_all[-1] if D else 0.0
    cond = float(sv_all[0] / smin) ** 2 if smin > 0 else float("inf")
    info: dict[str, Any] = {
        "method": "Householder QR of [X y] + SVD of R (least squares)",
        "rank": int(keep.sum()),
        "condition_number": cond,
        "singular_values": sv_all,
    }
    solved = cond
    if l2 > 0:
        solved = float((sv_all[0] ** 2 + l2) / (smin**2 + l2))
        info["method"] = "Householder QR of [X y] + SVD of R (ridge filter)"
        info["condition_number_ridge"] = solved
    if solved > ILL_CONDITIONED:
        warnings.warn(
            f"XᵀX is ill-conditioned (condition number {solved:.3g} > 1e10, rank "
            f"{info['rank']} of {D}): the coefficients are poorly determined; "
            "drop collinear features or add an L2 penalty.",
            IllConditionedWarning,
            stacklevel=2,
        )
    W = W.astype(dtype, copy=False)
    b = (mean[D:] - mean[:D] @ W).astype(dtype)  # (K,)  b = ȳ - x̄ᵀw
    if y.ndim == 1:
        return W[:, 0], b[0], info
    return W, b, info
