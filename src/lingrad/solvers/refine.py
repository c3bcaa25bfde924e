"""Least squares to the data's digits: scaled QR + refinement in extended precision.

The route of the closed form when the Cholesky guard fires on in-memory
data (NIST StRD's Filip, Wampler, Longley). With ``A = √S (X - x̄) / c``
(columns centred and scaled to unit norm, kept in ``np.longdouble``) and
``b = √S (y - ȳ)``, the double-precision Householder ``A = Q₁ R`` is only a
preconditioner: Björck's refinement of the augmented system

    ``r + A x = b``,  ``Aᵀ r = 0``

computes ``f = b - r - A x`` and ``g = -Aᵀ r`` in extended precision, solves
``[I A; Aᵀ 0] [δr; δx] = [f; g]`` with Q₁ and R (``h = R⁻ᵀ g``, ``d = Q₁ᵀ f``,
``δx = R⁻¹ (d - h)``, ``δr = f - Q₁ (d - h)``) and repeats until the
correction stops shrinking. Each step contracts the error by about
``cond(A) · eps``, and the residual is carried with ``r``, so a large
residual (Wampler5) costs no digits: the answer is the least-squares
solution of the doubles to about ``cond(A) · eps_ext`` (Filip: 3.8e9 · 1e-19).
Then ``w = x / c`` and ``b = ȳ - x̄ᵀ w``, still in extended precision.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from lingrad.core.nodes import Array
from lingrad.solvers.result import SolveInfo
from lingrad.solvers.tsqr import ILL_CONDITIONED, IllConditionedWarning

__all__ = ["MAX_REFINE_ELEMENTS", "ScaledDesign", "refined_least_squares"]

EXT = np.longdouble
MAX_REFINE_ELEMENTS = 1 << 22  # N·D above this keeps the chunked QR (memory)
MAX_STEPS = 30
# Refinement contracts by ~cond(A)·eps per step: beyond this it may not converge.
MAX_SCALED_COND = 1e-3 / float(np.finfo(np.float64).eps)


def _solve_tri(R: Array, v: Array, trans: str = "N") -> Array:
    x: Array = scipy.linalg.solve_triangular(R, v, trans=trans, check_finite=False)
    return x


class ScaledDesign:
    """``A = √S (X - x̄) / c`` (extended precision), ``B = √S (Y - ȳ)``, ``A = Q₁ R``.

    Without an intercept nothing is centred. ``c``: the column norms.
    """

    def __init__(
        self, X: Array, Y: Array, s: Array | None, fit_intercept: bool
    ) -> None:
        N, D = X.shape
        A, B = X.astype(EXT), np.asarray(Y).reshape(N, -1).astype(EXT)
        root = None if s is None else np.sqrt(np.asarray(s, dtype=EXT))[:, None]
        weights = np.ones((N, 1), EXT) if root is None else root * root
        self.sum_s = weights.sum()
        self.mean_x = np.zeros(D, EXT)
        self.mean_y = np.zeros(B.shape[1], EXT)
        if fit_intercept:
            self.mean_x = (weights * A).sum(axis=0) / self.sum_s
            self.mean_y = (weights * B).sum(axis=0) / self.sum_s
            A, B = A - self.mean_x, B - self.mean_y
        if root is not None:
            A, B = A * root, B * root
        self.c = np.sqrt((A * A).sum(axis=0))  # (D,) column norms
        self.c[self.c == 0] = 1.0
        self.A, self.B = A / self.c, B  # (N, D), (N, K)
        self.fit_intercept = fit_intercept
        self.Q1, self.R = scipy.linalg.qr(
            self.A.astype(np.float64), mode="economic", check_finite=False
        )
        self.sv = np.linalg.svd(self.R, compute_uv=False)  # of the scaled A

    def refinable(self) -> bool:
        """Refinement converges: the scaled A is far from rank-deficient."""
        return bool(self.sv[-1] * MAX_SCALED_COND > self.sv[0])

    def solve(self, B: Array, C: Array) -> tuple[Array, Array, int]:
        """x, r of ``r + A x = B``, ``Aᵀ r = C``, refined; and the steps taken."""
        x = np.zeros((self.A.shape[1], B.shape[1]), EXT)
        r = np.zeros(B.shape, EXT)
        previous, steps = np.inf, 0
        while steps < MAX_STEPS:
            steps += 1
            f = B - r - self.A @ x  # (N, K), extended precision
            g = C - self.A.T @ r  # (D, K)
            h = _solve_tri(self.R, g.astype(np.float64), trans="T")
            d = self.Q1.T @ f.astype(np.float64)
            dx = _solve_tri(self.R, d - h)
            x, r = x + dx, r + (f.astype(np.float64) - self.Q1 @ (d - h))
            size = float(np.abs(dx).max() / max(float(np.abs(x).max()), 1e-300))
            if size == 0.0 or size > previous / 2:  # stopped shrinking
                break
            previous = size
        return x, r, steps

    def inverse_gram(self) -> Array:
        """``(X̃ᵀ S X̃)⁻¹`` (P, P) for ``X̃ = [1 X]`` (intercept first) or ``X``.

        ``V = (X_cᵀ S X_c)⁻¹`` from ``Aᵀ r = -I, r + A Z = 0`` (``Z = (AᵀA)⁻¹``,
        refined), unscaled by c; with an intercept the block inverse
        ``[[1/Σs + x̄ᵀVx̄, -x̄ᵀV], [-Vx̄, V]]``.
        """
        D = self.A.shape[1]
        Z, _, _ = self.solve(np.zeros((len(self.A), D), EXT), -np.eye(D, dtype=EXT))
        V = Z / self.c[:, None] / self.c[None, :]
        if not self.fit_intercept:
            return np.asarray(V.astype(np.float64))
        Vm = V @ self.mean_x  # (D,)
        out = np.empty((D + 1, D + 1), EXT)
        out[0, 0] = 1 / self.sum_s + self.mean_x @ Vm
        out[0, 1:] = out[1:, 0] = -Vm
        out[1:, 1:] = V
        return np.asarray(out.astype(np.float64))

    def influence(self, s: Array | None = None) -> Array:
        """M (N, P): row i is ``(X̃ᵀSX̃)⁻¹ x̃_i`` (intercept first), by Q₁ and R.

        ``u_i = diag(1/c) R⁻¹ Q₁[i]ᵀ / √s_i`` is ``V (x_i - x̄)``; the intercept
        entry is ``1/Σs - x̄ᵀ u_i``. No cancellation: the sandwich ``Mᵀ Ω M``
        keeps the digits of the scaled, centred design.
        """
        U = _solve_tri(self.R, self.Q1.T).T / self.c.astype(np.float64)  # (N, D)
        if s is not None:
            U = U / np.sqrt(np.asarray(s, dtype=np.float64))[:, None]
        if not self.fit_intercept:
            return np.asarray(U)
        first = float(1 / self.sum_s) - U @ self.mean_x.astype(np.float64)
        return np.column_stack([first, U])

    def leverage(self) -> Array:
        """``h_i = x̃_iᵀ (X̃ᵀSX̃)⁻¹ x̃_i s_i = s_i/Σs + ‖Q₁[i]‖²`` (N,)."""
        h = (self.Q1 * self.Q1).sum(axis=1)
        if self.fit_intercept:
            h = h + float(1 / self.sum_s)  # s = 1 in the summaries
        return np.asarray(h)


def refined_least_squares(
    X: Array, Y: Array, s: Array | None, fit_intercept: bool
) -> tuple[Array, Array, SolveInfo] | None:
    """W (D, K), b (K,), info of ``min Σ s ‖y - xᵀW - b‖²``; None when rank-deficient.

    None also when the data is too large for extended-precision copies
    (``N·D > MAX_REFINE_ELEMENTS``) or the scaled design's condition exceeds
    what refinement converges from: the caller keeps its chunked-QR route.
    """
    N, D = X.shape
    if D == 0 or N <= D or N * D > MAX_REFINE_ELEMENTS:
        return None
    design = ScaledDesign(X, Y, s, fit_intercept)
    if not design.refinable():
        return None
    x, _, steps = design.solve(design.B, np.zeros((D, design.B.shape[1]), EXT))
    W = x / design.c[:, None]  # (D, K), extended
    b = design.mean_y - design.mean_x @ W
    sv, c = design.sv, design.c.astype(np.float64)
    sv_raw = np.linalg.svd(design.R * c, compute_uv=False)
    cond = float(sv_raw[0] / sv_raw[-1]) ** 2 if sv_raw[-1] > 0 else float("inf")
    info: SolveInfo = {
        "method": "scaled Householder QR + iterative refinement "
        f"(extended-precision residuals, {steps} steps)",
        "rank": D,
        "condition_number": cond,
        "condition_number_scaled": float(sv[0] / sv[-1]) ** 2,
        "singular_values": sv_raw,
        "refinement_steps": steps,
    }
    if cond > ILL_CONDITIONED:
        warnings.warn(
            f"XᵀX is ill-conditioned (condition number {cond:.3g} > 1e10, {D} "
            "features): the coefficients are poorly determined (solved to the "
            "data's digits by refinement); drop collinear features or add an L2 "
            "penalty.",
            IllConditionedWarning,
            stacklevel=4,
        )
    return W.astype(np.float64), b.astype(np.float64), info
