"""The floor of a per-sample logistic SGD epoch on CSR rows, on this machine.

The least a program can do for scikit-learn's ``_plain_sgd`` step (loss
``log_loss``, L2 kept as a scale ``w = a·v``): one pass over row i's
nonzeros for ``z = a Σ x_p v[idx_p] + b``, the log-loss, one pass to update
``v[idx_p] -= lr·dJ_dz·x_p / a``, with row i+1's weights prefetched. No
records, no checks, no generality: the time a kernel of this algorithm
cannot beat. bench_sparse.py prints it beside lingrad and scikit-learn so the
ratios say how far each is from it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from lingrad.training.compiled.prefetch import prefetch_at


@njit(cache=False, error_model="numpy")
def floor_epoch(x, idx, indptr, y, D, lr, alpha):  # type: ignore[no-untyped-def]
    """One epoch in row order; returns (coef, intercept, mean log-loss)."""
    v = np.zeros(D)
    a, b, J = 1.0, 0.0, 0.0
    decay = 1.0 - 2.0 * lr * alpha
    N = len(indptr) - 1
    for i in range(N):
        if i + 1 < N:
            for p in range(indptr[i + 1], indptr[i + 2]):
                prefetch_at(v, idx[p])
        z = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            z += x[p] * v[idx[p]]
        z = a * z + b
        J += max(z, 0.0) - y[i] * z + math.log1p(math.exp(-abs(z)))
        dJ_dz = 1.0 / (1.0 + math.exp(-z)) - y[i]
        a *= decay
        c = lr * dJ_dz / a
        for p in range(indptr[i], indptr[i + 1]):
            v[idx[p]] -= c * x[p]
        b -= lr * dJ_dz
    return a * v, b, J / N


class FloorModel:
    """``floor_epoch`` as a fitted binary classifier (for the bench's log-loss)."""

    def __init__(self, lr: float, alpha: float) -> None:
        self.lr, self.alpha = lr, alpha

    def fit(self, X: Any, y: Any) -> FloorModel:
        labels = np.unique(y)
        yy = (np.asarray(y) == labels[-1]).astype(np.float64)
        self.coef_, self.intercept_, _ = floor_epoch(
            X.data, X.indices, X.indptr, yy, X.shape[1], self.lr, self.alpha
        )
        return self

    def predict_proba(self, X: Any) -> Any:
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ self.coef_ + self.intercept_, -700, 700)))
        return np.c_[1 - p, p]
