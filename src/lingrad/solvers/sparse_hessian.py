"""Newton's Hessians on a sparse X: ``Xᵀ diag(w) X`` by sparse products, or ``H v``.

For moderate width the per-chunk sums are the dense ones of ``sums``
(:func:`logistic_hessian_sparse`, :func:`softmax_hessian_sparse`), each block
``Xᵀ diag(w) X`` a sparse product written into a dense (D1, D1) matrix. For
a wide X no (D1, D1) matrix is formed: :class:`HessianOperator` is a
``scipy.sparse.linalg.LinearOperator`` whose product

    ``H v = (1/N_kept) Σ_kept x̃_i w_i (x̃_iᵀ v) + 2 l2 v_W``

is one pass of sparse products over the same rows the dense Hessian sums
(``newton.kept_rows``: the rows at global multiples of the stride), and
:func:`newton_cg_step` solves ``H d = -g`` by conjugate gradients (Newton-CG),
its tolerance forced by the gradient (``min(0.1, max|g|)``: quadratic, so the
last step lands as close to the minimum as exact Newton's).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse.linalg as spla
from scipy.special import expit, softmax

from lingrad.core.nodes import Array, SparseRows
from lingrad.solvers.rows import Chunk, Rows, kept_rows  # the one subsampling rule
from lingrad.solvers.sparse_gram import scaled_rows

NEWTON_CG_MAX_ITER = 500  # conjugate gradient steps per Newton step


def scores(X: SparseRows, W: Array, b: Array | None) -> Array:
    """``z = X W + b`` (m, K) in float64 for a sparse X."""
    z = np.asarray(X @ np.asarray(W, np.float64), dtype=np.float64)
    return z if b is None else z + np.asarray(b, np.float64)


def weighted_gram(X: SparseRows, w: Array, bias: bool) -> Array:
    """``X̃ᵀ diag(w) X̃`` (D1, D1) dense, x̃ = [x, 1] when ``bias``."""
    D = X.shape[1]
    out = np.empty((D + int(bias),) * 2)
    out[:D, :D] = (X.T @ scaled_rows(X, w)).toarray()
    if bias:
        out[:D, D] = out[D, :D] = np.asarray(X.T @ w).ravel()
        out[D, D] = w.sum()
    return out


def _s(chunk: Chunk) -> Array:
    m = chunk.X.shape[0]
    return np.ones(m) if chunk.s is None else np.asarray(chunk.s, np.float64)


def logistic_hessian_sparse(chunk: Chunk, W: Array, b: Array | None) -> Array:
    """``Σ_i s_i ŷ_ik (1 - ŷ_ik) x̃_i x̃_iᵀ`` (K, D1, D1) for a sparse chunk."""
    p = expit(scores(chunk.X, W, b))
    d = p * (1.0 - p) * _s(chunk)[:, None]
    return np.stack(
        [weighted_gram(chunk.X, d[:, k], b is not None) for k in range(d.shape[1])]
    )


def softmax_hessian_sparse(chunk: Chunk, W: Array, b: Array | None) -> Array:
    """``Σ_i s_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` (K·D1, K·D1) for a sparse chunk."""
    q = softmax(scores(chunk.X, W, b), axis=1)
    s = _s(chunk)
    K, D1 = q.shape[1], chunk.X.shape[1] + int(b is not None)
    H = np.zeros((K * D1, K * D1))
    for k in range(K):
        for j in range(k, K):
            w = s * q[:, k] * ((k == j) - q[:, j])
            block = weighted_gram(chunk.X, w, b is not None)
            H[k * D1 : (k + 1) * D1, j * D1 : (j + 1) * D1] = block
            H[j * D1 : (j + 1) * D1, k * D1 : (k + 1) * D1] = block.T
    return H


def _split(V: Array, D: int, bias: bool) -> tuple[Array, Array | float]:
    """(K, D1) → the weight part (D, K) and the bias part (K,) (0 without b)."""
    return V[:, :D].T, (V[:, D] if bias else 0.0)


def _join(XtR: Array, R: Array, bias: bool) -> Array:
    """``X̃ᵀ R`` in θ's (K, D1) layout from ``Xᵀ R`` (D, K) and R (m, K)."""
    return np.hstack([XtR.T, R.sum(axis=0)[:, None]]) if bias else XtR.T


def logistic_product(
    chunk: Chunk, W: Array, b: Array | None, V: Array, stride: int
) -> Array:
    """``Σ_kept s ŷ(1 - ŷ) x̃ (x̃ᵀ v_k)`` per column k, in θ's layout (K, D1)."""
    sub = kept_rows(chunk, stride)
    p = expit(scores(sub.X, W, b))
    Vw, Vb = _split(V, sub.X.shape[1], b is not None)
    R = p * (1.0 - p) * _s(sub)[:, None] * (scores(sub.X, Vw, None) + Vb)
    return _join(np.asarray(sub.X.T @ R), R, b is not None)


def softmax_product(
    chunk: Chunk, W: Array, b: Array | None, V: Array, stride: int
) -> Array:
    """``Σ_kept s (diag(q) - q qᵀ) U`` mapped back by x̃, U = X̃ Vᵀ; layout (K, D1)."""
    sub = kept_rows(chunk, stride)
    q = softmax(scores(sub.X, W, b), axis=1)
    Vw, Vb = _split(V, sub.X.shape[1], b is not None)
    U = scores(sub.X, Vw, None) + Vb  # (m, K)
    R = _s(sub)[:, None] * q * (U - (q * U).sum(axis=1, keepdims=True))
    return _join(np.asarray(sub.X.T @ R), R, b is not None)


class HessianOperator(spla.LinearOperator):  # type: ignore[misc]
    """H at (W, b) as ``v ↦ H v`` over θ (K·D1,): one pass of ``product`` per call.

    ``product``: :func:`logistic_product` (then only column ``column`` of a
    block-diagonal H: the operator is its (D1, D1) block) or
    :func:`softmax_product`; ``gauge``: class-mean directions added to H
    (softmax's flat directions, see ``newton_softmax``).
    """

    def __init__(
        self, rows: Rows, product: Callable[..., Array], W: Array, b: Array | None,
        stride: int, n_kept: int, l2: float, column: int | None = None,
        gauge: list[int] | None = None,
    ) -> None:  # fmt: skip
        self.rows, self.product, self.stride = rows, product, stride
        self.W, self.b = (
            np.array(W, np.float64),
            None if b is None else np.array(b, np.float64),
        )
        self.n_kept, self.l2, self.column, self.gauge = n_kept, l2, column, gauge
        self.D, self.K = self.W.shape
        self.D1 = self.D + int(b is not None)
        size = self.D1 if column is not None else self.K * self.D1
        super().__init__(np.float64, (size, size))

    def _matvec(self, v: Array) -> Array:
        v = np.asarray(v, np.float64).ravel()
        K = 1 if self.column is not None else self.K
        W, b = self.W, self.b
        if self.column is not None:
            W = W[:, [self.column]]
            b = None if b is None else b[[self.column]]
        V = v.reshape(K, self.D1)
        HV = self.rows.reduce(self.product, W, b, V, self.stride) / self.n_kept
        HV[:, : self.D] += 2 * self.l2 * V[:, : self.D]
        if self.gauge:  # + P v: the class mean of each flat direction
            HV[:, self.gauge] += V[:, self.gauge].mean(axis=0)
        return np.asarray(HV.ravel())

    def _rmatvec(self, v: Array) -> Array:
        return self._matvec(v)  # symmetric


def newton_cg_step(H: spla.LinearOperator, g: Array) -> Array:
    """``d ≈ -H⁻¹ g`` by CG, to ``‖H d + g‖ ≤ min(0.1, max|g|) ‖g‖``."""
    if not np.isfinite(g).all():
        return -g
    rtol = max(min(0.1, float(np.max(np.abs(g), initial=0.0))), 1e-14)
    d, _ = spla.cg(H, -g, rtol=rtol, atol=0.0, maxiter=NEWTON_CG_MAX_ITER)
    return np.asarray(d)
