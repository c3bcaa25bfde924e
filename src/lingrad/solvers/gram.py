"""The sufficient statistics of least squares: ``Σ s``, the mean and ``Σ s ṽ ṽᵀ``.

For v = [x, y] (P = D + K values per row) and weights s, one pass over a
chunk gives :class:`GramStats`: the row count, ``Σ s``, the weighted mean v̄
and the centred Gram matrix ``M = Σ s (v - v̄)(v - v̄)ᵀ``, whose blocks are
XᵀSX, XᵀSy and yᵀSy of the centred data. Inside a chunk M is a symmetric
rank-k update (BLAS ``syrk``) over small reused buffers of centred rows (no
copy of X), centred at the chunk's mean (two passes over the chunk); across
chunks, :meth:`GramStats.merge` is Chan, Golub & LeVeque's pairwise update,
so a large mean costs no digits. :meth:`GramStats.solve` is the normal
equation by Cholesky when ``XᵀX`` (scaled to unit diagonal) is
well-conditioned, and says so otherwise (the caller then takes the QR route
of ``lingrad.solvers.tsqr``). In memory, streamed and on Dask, the closed
form is these three functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import dsyrk
from scipy.linalg.lapack import dpocon, dpotrf, dpotrs

from lingrad.core.nodes import Array
from lingrad.solvers.result import SolveInfo, SolverError
from lingrad.solvers.rows import Chunk, column_name
from lingrad.solvers.sparse_gram import sparse_column, sparse_sums

# Cholesky's relative error is about cond · eps: ≤ 2e-13 below this. Longley's
# design (NIST StRD), scaled cond 1.2e4, would lose 2.6 of QR's 14.2 digits.
CHOLESKY_MAX_COND = 1e3


def block_rows(P: int) -> int:
    """Rows per scratch block: about 1 MB of float64, at least 256."""
    return max(256, (1 << 17) // max(P, 1))


def syrk_add(M: Array, A: Array) -> Array:
    """``M += Aᵀ A`` in M's upper triangle (M (P, P) Fortran-ordered, A (m, P))."""
    out: Array = dsyrk(1.0, A.T, beta=1.0, c=M, trans=0, lower=0, overwrite_c=1)
    return out


def weighted_sum(A: Array, s: Array | None) -> Array:
    """``Σ_i s_i a_i`` (or ``Σ_i a_i``) in float64, without a float64 copy of A."""
    if A.dtype == np.float64 and (s is None or s.dtype == np.float64):
        return A.sum(axis=0) if s is None else s @ A
    out = np.zeros(A.shape[1])
    b = block_rows(A.shape[1])
    for i in range(0, len(A), b):
        blk = A[i : i + b].astype(np.float64)
        out += blk.sum(axis=0) if s is None else s[i : i + b].astype(np.float64) @ blk
    return out


def symmetric(M: Array) -> Array:
    """The full symmetric matrix from its upper triangle."""
    return np.triu(M) + np.triu(M, 1).T


@dataclass
class GramStats:
    """``n`` rows, ``sw = Σ s``, mean v̄ (P,), ``M = Σ s (v - v̄)(v - v̄)ᵀ`` (P, P).

    Uncentred (``centred=False``: no intercept) the mean is 0 and M = Σ s v vᵀ.
    ``n_features`` = D: the first D entries of v are x, the rest y.
    """

    n: int
    sw: float
    mean: Array
    M: Array
    n_features: int
    centred: bool = True

    @classmethod
    def from_chunk(
        cls,
        chunk: Chunk,
        centred: bool = True,
        names: Sequence[str] | None = None,
    ) -> GramStats:
        """The statistics of one chunk's rows (a refusal names any overflow)."""
        X, Y, s = chunk.X, chunk.Y, chunk.s
        m, D = X.shape
        P = D + Y.shape[1]
        sw = float(m if s is None else np.sum(s, dtype=np.float64))
        mean, M = np.zeros(P), np.zeros((P, P), order="F")
        if m == 0 or sw == 0:
            return cls(m, 0.0, mean, M, D, centred)
        if sp.issparse(X):  # XᵀSX as a sparse product (``sparse_gram``)
            with np.errstate(over="ignore", invalid="ignore"):
                sw, mean, M = sparse_sums(X, Y, s, centred)
            stats = cls(m, sw, mean, M, D, centred)
            stats.check_finite(names, chunk)
            return stats
        with np.errstate(over="ignore", invalid="ignore"):
            if centred:  # first pass: the mean
                mean[:D] = weighted_sum(X, s) / sw
                mean[D:] = weighted_sum(Y, s) / sw
            b = block_rows(P)
            buf = np.empty((min(b, m), P))
            root_s = None if s is None else np.sqrt(s.astype(np.float64))
            for i in range(0, m, b):  # second pass: Σ s (v - v̄)(v - v̄)ᵀ
                A = buf[: min(b, m - i)]
                A[:, :D], A[:, D:] = X[i : i + b], Y[i : i + b]
                A -= mean
                if root_s is not None:
                    A *= root_s[i : i + b, None]
                M = syrk_add(M, A)
            M = symmetric(M)
        stats = cls(m, sw, mean, M, D, centred)
        stats.check_finite(names, chunk)
        return stats

    @staticmethod
    def merge(a: GramStats, b: GramStats) -> GramStats:
        """The statistics of a's and b's rows together (Chan's pairwise update)."""
        n = a.n + b.n
        if b.sw == 0:
            return GramStats(n, a.sw, a.mean, a.M, a.n_features, a.centred)
        if a.sw == 0:
            return GramStats(n, b.sw, b.mean, b.M, b.n_features, b.centred)
        sw = a.sw + b.sw
        if not a.centred:
            return GramStats(n, sw, a.mean, a.M + b.M, a.n_features, False)
        with np.errstate(over="ignore", invalid="ignore"):
            delta = b.mean - a.mean
            mean = a.mean + delta * (b.sw / sw)
            M = a.M + b.M + np.outer(delta, delta) * (a.sw * b.sw / sw)
        return GramStats(n, sw, mean, M, a.n_features, True)

    def check_finite(
        self, names: Sequence[str] | None = None, chunk: Chunk | None = None
    ) -> None:
        """Refuse statistics that overflowed, naming the column (and row)."""
        bad = ~(np.isfinite(self.mean) & np.isfinite(np.diag(self.M)))
        if not bad.any():
            return
        j = int(np.argmax(bad))
        what = column_name(names, j, self.n_features)
        where = ""
        if chunk is not None:
            if j >= self.n_features:
                col = chunk.Y[:, j - self.n_features]
            elif sp.issparse(chunk.X):
                col = sparse_column(chunk, j)
            else:
                col = chunk.X[:, j]
            i = int(np.nanargmax(np.abs(np.where(np.isnan(col), np.inf, col))))
            where = f" ({col[i]:.3g} in {chunk.row_name(i)})"
        raise SolverError(
            f"{what} holds values whose squares (or their sum) overflow "
            f"float64{where}: the closed form cannot use it. Rescale the column "
            "(e.g. to other units, or standardize it) or drop it."
        )

    def solve(
        self, l2: float = 0.0, spectrum: bool = True
    ) -> tuple[Array, SolveInfo] | None:
        """W (D, K) of ``(XᵀSX + l2 I) W = XᵀSY`` by Cholesky, or None.

        The Cholesky factor of XᵀSX + l2 I scaled to unit diagonal (the
        scaling a Cholesky solve is insensitive to) gives the condition
        estimate (LAPACK ``pocon``); above ``CHOLESKY_MAX_COND``, or when the
        matrix is not positive definite (exact rank deficiency), None: the
        normal equation would lose digits that the QR route keeps.
        ``spectrum=False`` skips the O(D³) eigenvalues of ``info`` (a sparse X,
        whose pass costs far less than N D²): the condition number is then
        the scaled estimate.
        """
        D = self.n_features
        G = self.M[:D, :D] + l2 * np.eye(D)  # (D, D)
        C = self.M[:D, D:]  # (D, K)
        if D == 0:
            return np.zeros((0, C.shape[1])), {"rank": 0}
        d = np.sqrt(np.diag(G))
        if not np.all(d > 0):
            return None
        Gs = G / d[:, None] / d[None, :]
        R, info = dpotrf(Gs, lower=0, clean=1)
        if info != 0:
            return None
        rcond, _ = dpocon(R, float(np.abs(Gs).sum(axis=0).max()))
        if not rcond * CHOLESKY_MAX_COND >= 1.0:
            return None
        Ws, _ = dpotrs(R, C / d[:, None])
        W = Ws / d[:, None]  # (D, K)
        if not spectrum:
            return W, {
                "method": "Cholesky of the sparse XᵀX (+ l2 I)",
                "rank": D,
                "condition_number": 1.0 / rcond,  # of the scaled XᵀX + l2 I
                "condition_number_scaled": 1.0 / rcond,
            }
        eig = np.linalg.eigvalsh(self.M[:D, :D])[::-1]  # O(D³): small beside N D²
        sv = np.sqrt(np.maximum(eig, 0.0))  # singular values of the centred √S X
        details: SolveInfo = {
            "method": "Cholesky of XᵀX (syrk in row chunks)",
            "rank": D,
            "condition_number": float(eig[0] / eig[-1]) if eig[-1] > 0 else np.inf,
            "condition_number_scaled": 1.0 / rcond,  # the estimate that chose it
            "singular_values": sv,
        }
        if l2 > 0:
            details["method"] = "Cholesky of XᵀX + l2 I (ridge; syrk in row chunks)"
            details["condition_number_ridge"] = float((eig[0] + l2) / (eig[-1] + l2))
        return W, details

    def intercept(self, W: Array) -> Array:
        """``b = ȳ - x̄ᵀW`` (K,) (zeros without centring)."""
        D = self.n_features
        return self.mean[D:] - self.mean[:D] @ W
