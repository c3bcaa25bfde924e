"""Per-chunk sums of J, dJ/dθ and the Hessians: what L-BFGS and Newton reduce.

Each function takes one :class:`~lingrad.solvers.rows.Chunk` and small
arguments and returns sums over the chunk's rows (never means), so the sums
of all chunks, divided by N once, are the full J, gradient and Hessian,
whether the chunks are slices of one array or blocks on Dask workers. J and
its gradient come from the chain's forward and backward passes with a
``reduction="sum"`` loss (our derivatives); the Hessians are the lectures'
closed forms, accumulated by ``syrk`` over small reused buffers (X is never
copied whole).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.solvers.gram import block_rows, syrk_add
from lingrad.solvers.rows import Chunk, n_rows
from lingrad.solvers.sparse_hessian import (
    logistic_hessian_sparse,
    softmax_hessian_sparse,
)

R = TypeVar("R")
Call: TypeAlias = tuple[Callable[..., R], tuple[object, ...]]  # fn, its arguments
FG: TypeAlias = tuple[float, dict[str, Array]]  # Σ J0, Σ dJ0/dθ (chain_sums)


def sum_loss(loss: Loss) -> Loss:
    """A copy of ``loss`` that sums over the rows (``reduction="sum"``)."""
    out = copy.copy(loss)
    out.reduction = "sum"
    return out


def set_params(chain: Chain, params: dict[str, Array]) -> None:
    """Write ``params`` into the chain's live parameters (no-op when they are them)."""
    for key, p in chain.params.items():
        if p is not params[key]:
            np.copyto(p, params[key])


def chain_sums(chunk: Chunk, chain: Chain, loss: Loss, params: dict[str, Array]) -> FG:
    """``Σ_i s_i J0_i`` and ``Σ_i s_i dJ0_i/dθ`` over the chunk, θ = ``params``."""
    set_params(chain, params)
    J = loss.forward(chain.forward(chunk.X), chunk.Y, chunk.s)
    chain.backward_params(loss.backward())
    grads: dict[str, Array] = {
        key: np.array(g, dtype=np.float64) for key, g in chain.grads.items()
    }
    return float(J), grads


def column_sums(
    chunk: Chunk, chain: Chain, loss: Loss, params: dict[str, Array]
) -> Array:
    """``Σ_i s_i J0_ik`` for each output column k (K,): one-vs-rest's J per class."""
    set_params(chain, params)
    out = chain.forward(chunk.X)  # (m, K)
    Y = chunk.Y.reshape(out.shape)
    return np.array(
        [loss.forward(out[:, [k]], Y[:, [k]], chunk.s) for k in range(out.shape[1])]
    )


def _z(chunk: Chunk, W: Array, b: Array | None) -> Array:
    """``z = X W + b`` (m, K) in float64."""
    z = np.asarray(chunk.X @ W.astype(chunk.X.dtype), dtype=np.float64)
    return z if b is None else z + b


def every(chunk: Chunk, stride: int) -> tuple[Chunk, float]:
    """Every ``stride``-th row of the chunk (views), and m / rows kept: the factor
    that makes its sums estimate the whole chunk's (1.0 when ``stride`` is 1)."""
    if stride == 1:
        return chunk, 1.0
    s = None if chunk.s is None else chunk.s[::stride]
    sub = Chunk(chunk.X[::stride], chunk.Y[::stride], s, chunk.row0, chunk.where)
    return sub, n_rows(chunk.X) / max(n_rows(sub.X), 1)


def logistic_hessian_sums(
    chunk: Chunk, W: Array, b: Array | None, stride: int = 1
) -> Array:
    """``Σ_i s_i ŷ_ik (1 - ŷ_ik) x̃_i x̃_iᵀ`` per column k (K, D1, D1), x̃ = [x, 1],
    in each block's upper triangle (sums of chunks add; ``symmetric`` once).

    The weighted Gram ``Xᵀ diag(d) X`` is a ``syrk`` of √d-scaled rows,
    written block by block into one reused buffer. ``stride`` > 1: the sum
    over every stride-th row, scaled up (a subsampled Hessian).
    """
    chunk, scale = every(chunk, stride)
    if sp.issparse(chunk.X):  # sparse products (``sparse_hessian``)
        H = logistic_hessian_sparse(chunk, W, b)
        return H * scale if scale != 1.0 else H
    X = chunk.X
    m, D = X.shape
    pred = expit(_z(chunk, W, b))  # (m, K)
    d = pred * (1.0 - pred)  # (m, K)  d²J0/dz²
    if chunk.s is not None:
        d *= chunk.s[:, None]
    K, D1 = d.shape[1], D + int(b is not None)
    H = np.zeros((K, D1, D1))
    rows = block_rows(D)
    buf = np.empty((min(rows, m), D))
    root_d = np.sqrt(d)
    for k in range(K):
        G: Array = np.zeros((D, D), order="F")
        for i in range(0, m, rows):
            A = buf[: min(rows, m - i)]
            np.multiply(X[i : i + rows], root_d[i : i + rows, k, None], out=A)
            G = syrk_add(G, A)  # += Xᵀ diag(d_k) X over the block
        H[k, :D, :D] = G  # upper triangle
        if b is not None:
            H[k, :D, D] = d[:, k] @ X
            H[k, D, D] = d[:, k].sum()
    return H * scale if scale != 1.0 else H


def softmax_hessian_sums(
    chunk: Chunk, W: Array, b: Array | None, stride: int = 1
) -> Array:
    """``Σ_i s_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` (K·D1, K·D1), x̃ = [x, 1],
    in the upper triangle (``symmetric`` once, after the chunks are summed).

    The diagonal blocks ``Σ s q_k x̃x̃ᵀ`` and the outer part ``Σ s (q qᵀ) ⊗
    x̃x̃ᵀ`` are both ``syrk`` of scaled rows (√(s q_k) x̃ and √s (q ⊗ x̃)),
    built block by block in reused buffers. ``stride``: as the logistic one.
    """
    chunk, scale = every(chunk, stride)
    if sp.issparse(chunk.X):  # sparse products (``sparse_hessian``)
        H = softmax_hessian_sparse(chunk, W, b)
        return H * scale if scale != 1.0 else H
    X = chunk.X
    m, D = X.shape
    q = softmax(_z(chunk, W, b), axis=1)  # (m, K)
    K, D1 = q.shape[1], D + int(b is not None)
    root_s = np.ones(m) if chunk.s is None else np.sqrt(chunk.s.astype(np.float64))
    rows = block_rows(K * D1)
    xt = np.ones((min(rows, m), D1))  # x̃ block
    C = np.empty((min(rows, m), K, D1))  # √s (q ⊗ x̃) block
    A = np.empty((min(rows, m), D1))  # √(s q_k) x̃ block
    outer = np.zeros((K * D1, K * D1), order="F")
    diag = [np.zeros((D1, D1), order="F") for _ in range(K)]
    for i in range(0, m, rows):
        n = min(rows, m - i)
        x, sq = xt[:n], (q[i : i + n] * root_s[i : i + n, None])  # (n, D1), (n, K)
        x[:, :D] = X[i : i + n]
        np.multiply(sq[:, :, None], x[:, None, :], out=C[:n])
        outer = syrk_add(outer, C[:n].reshape(n, K * D1))
        for k in range(K):
            np.multiply(x, np.sqrt(sq[:, k] * root_s[i : i + n])[:, None], out=A[:n])
            diag[k] = syrk_add(diag[k], A[:n])
    H = -np.triu(outer)
    for k in range(K):
        H[k * D1 : (k + 1) * D1, k * D1 : (k + 1) * D1] += np.triu(diag[k])
    return H * scale if scale != 1.0 else H


def both(chunk: Chunk, fg: Call[FG], hessian: Call[Array]) -> tuple[FG, Array]:
    """J, g and H sums in one pass: ``(f(chunk, *a), h(chunk, *b))``."""
    (f, a), (h, b) = fg, hessian
    return f(chunk, *a), h(chunk, *b)
