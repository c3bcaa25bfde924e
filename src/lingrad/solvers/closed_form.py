"""Least squares / ridge ``w* = (XᵀSX + l2 I)⁻¹ XᵀSy``: Cholesky of the Gram, or QR.

:func:`least_squares` runs on any :class:`~lingrad.solvers.rows.Rows` (in
memory, streamed, Dask): one pass for the Gram statistics, a Cholesky solve
when their conditioning allows; else, in memory, a scaled QR refined in
extended precision (``refine``: NIST's Filip to its data's digits), and for
rank-deficient, penalised or very large data a second pass for the chunked QR.
A sparse X (``rows.sparse``) keeps its zeros: its Gram is a sparse product
(``sparse_gram``; the eigenvectors of that Gram where Cholesky declines), and
beyond ``GRAM_MAX_FEATURES`` columns no d × d matrix is formed: conjugate
gradients on the normal equations (``normal_cg``).
:func:`normal_equation` is the same on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from lingrad.core.nodes import Array
from lingrad.solvers.gram import GramStats
from lingrad.solvers.normal_cg import normal_cg
from lingrad.solvers.refine import refined_least_squares
from lingrad.solvers.result import SolveInfo, SolverError
from lingrad.solvers.rows import ArrayRows, Rows, column_name
from lingrad.solvers.sparse_gram import eig_solve
from lingrad.solvers.tsqr import (
    ILL_CONDITIONED,
    IllConditionedWarning,
    r_from_chunk,
    r_merge,
    solve_r,
)

__all__ = [
    "ILL_CONDITIONED",
    "IllConditionedWarning",
    "least_squares",
    "normal_equation",
]

GRAM_MAX_FEATURES = 4096  # a sparse X wider than this: CG, no d × d Gram
SPECTRUM_MAX_FEATURES = 1024  # a sparse X: the Gram's eigenvalues in info up to this


def least_squares(
    rows: Rows,
    fit_intercept: bool = True,
    l2: float = 0.0,
    rcond: float | None = None,
    stats: GramStats | None = None,
    *,
    gram_max_features: int = GRAM_MAX_FEATURES,
) -> tuple[Array, Array, SolveInfo]:
    """``argmin Σ s_i ‖y_i - x_iᵀW - b‖² + l2 ‖W‖²``: W (D, K), b (K,), info.

    ``stats``: the Gram statistics when a pass already gathered them.
    ``gram_max_features``: a sparse X with more columns is solved by
    :func:`~lingrad.solvers.normal_cg.normal_cg` (``info`` then has its
    ``iterations`` and ``relative_residual``).
    ``info`` holds ``method``, ``rank``, ``condition_number`` (of XᵀX for the
    centred data; an estimate on the Cholesky route) and, with l2 > 0,
    ``condition_number_ridge``; the QR route adds ``singular_values``.
    Raises :class:`SolverError` for data whose squares overflow, or a
    solution that is not finite.
    """
    names = rows.feature_names
    sparse = bool(getattr(rows, "sparse", False))
    if sparse and stats is None and rows.n_features > gram_max_features:
        W, b, info = normal_cg(rows, fit_intercept, l2)
        check_finite_solution(W, b, names)
        return W, b, info
    if stats is None:
        stats = rows.reduce(
            GramStats.from_chunk, fit_intercept, names, combine=GramStats.merge
        )
    stats.check_finite(names)
    solution = stats.solve(
        l2, spectrum=rows.n_features <= SPECTRUM_MAX_FEATURES or not sparse
    )
    refined = None
    if solution is None and sparse:  # no QR of the rows: they would fill in
        solution = eig_solve(stats.M, stats.n_features, stats.n, l2, rcond)
    elif solution is not None and sparse:
        method = solution[1]["method"].replace("syrk in row chunks", "sparse products")
        solution[1]["method"] = method
    elif solution is None and l2 == 0 and rcond is None and isinstance(rows, ArrayRows):
        refined = refined_least_squares(rows.X, rows.Y, rows.s, fit_intercept)
    if refined is not None:  # ill-conditioned, in memory: to the data's digits
        W, b, info = refined
    elif solution is None:  # rank-deficient, or too large to refine: the QR route
        R = rows.reduce(r_from_chunk, stats.mean, combine=r_merge)
        W, info = solve_r(R, stats.n_features, stats.n, l2, rcond)
        b = stats.intercept(W) if fit_intercept else np.zeros(W.shape[1])
    else:
        W, info = solution
        b = stats.intercept(W) if fit_intercept else np.zeros(W.shape[1])
    check_finite_solution(W, b, names)
    return W, b, info


def check_finite_solution(
    W: Array,
    b: Array,
    names: Sequence[str] | None = None,
    what: str = "the closed form",
) -> None:
    """Refuse a solution that is not finite, naming the first bad feature."""
    bad = ~np.isfinite(W).all(axis=1)
    if not bad.any() and np.isfinite(b).all():
        return
    where = (
        column_name(names, int(np.argmax(bad)), len(W))
        if bad.any()
        else "the intercept"
    )
    raise SolverError(
        f"{what} gave a non-finite coefficient for {where}: the data's "
        "magnitudes are beyond float64's range for this problem. Rescale the "
        "features (e.g. standardize them) or drop the offending column."
    )


def normal_equation(
    X: Array,
    y: Array,
    sample_weight: Array | None = None,
    fit_intercept: bool = True,
    l2: float = 0.0,
    rcond: float | None = None,
    *,
    chunk_rows: int | None = None,
) -> tuple[Array, Array, SolveInfo]:
    """``w* = argmin Σ s_i (y_i - x_iᵀw - b)² + l2 ‖w‖²`` (scikit-learn Ridge's J).

    The centred, weighted Gram matrix ``XᵀSX`` is formed once (``syrk`` over
    row blocks, no copy of X) and solved by Cholesky when its condition
    (estimated from the factor) allows; otherwise ``[X y] = Q [R c]`` by
    Householder QR and ``w = V diag(σ / (σ² + l2)) Uᵀ c`` from the SVD
    ``R = U Σ Vᵀ`` (σ below ``rcond·σ_max`` dropped when l2 = 0: the
    minimum-norm solution, as ``lstsq``, with ``rank`` < D and no warning).

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_features, n_targets)
    intercept : ndarray of shape () or (n_targets,)
    info : dict
        See :func:`least_squares`. Warns :class:`IllConditionedWarning` when
        the system solved has cond > 1e10 on its non-null part.
    """
    X, y = (X if sp.issparse(X) else np.asarray(X)), np.asarray(y)
    dtype = np.result_type(X.dtype, np.float32)
    rows = ArrayRows(X, y, sample_weight, chunk_rows=chunk_rows)
    W, b, info = least_squares(rows, fit_intercept, l2, rcond)
    W, b = W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    if y.ndim == 1:
        return W[:, 0], b[0], info
    return W, b, info
