"""One algorithm on every engine: full-batch gradient descent and Newton on Dask
give the in-memory iterates (the session's 2-worker LocalCluster, conftest.py).

Batch gradient descent is one gradient over all N rows per step: on Dask one
reduction of the blocks' sums per step, then the same update, penalty (L1 by
its proximal step), schedule and History as in memory. Newton takes the same
Hessian (the same rows) on both, and its default tolerance stops at the
optimum's digits.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from lingrad.models import (  # noqa: E402
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
)

CHUNKS = (70, 30, 50, 50)  # 200 rows, 4 unequal blocks


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(19)
    X = rng.normal(size=(200, 3))
    y = X @ [1.5, -2.0, 0.5] + 0.7 + 0.3 * rng.normal(size=200)
    z = X @ [1.0, -1.0, 0.5] + 0.5 * rng.normal(size=200)
    labels = np.digitize(z, [-0.7, 0.7])  # 3 classes
    s = rng.uniform(0.3, 2.0, size=200)
    return X, {"linear": y, "logistic": labels > 0, "softmax": labels}, s


def on_dask(*arrays):
    return [da.from_array(a, chunks=(CHUNKS,) + a.shape[1:]) for a in arrays]


def assert_same_history(ours, ref, tol):
    """Every record of the two Histories (iterates included) agrees to ``tol``."""
    a, b = ours.to_dict(), ref.to_dict()
    for key in a.keys() ^ b.keys():  # e.g. no snapshots: one engine has none
        assert np.size(a.get(key, b.get(key))) == 0, key
    for key in a.keys() & b.keys():
        x, y = np.asarray(a[key], float), np.asarray(b[key], float)
        assert x.shape == y.shape, key
        scale = max(float(np.nanmax(np.abs(y), initial=0.0)), 1.0)
        assert np.allclose(x, y, rtol=0, atol=tol * scale, equal_nan=True), key


MODELS = {
    "linear": (LinearRegression, True),
    "logistic": (LogisticRegression, False),
    "softmax": (SoftmaxRegression, True),
}
PENALTIES = ["none", "l2", "l1", "elasticnet"]
OPTIMIZERS = ["gd", "momentum", "nesterov", "adam"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("model", list(MODELS))
def test_batch_gradient_descent_on_dask_is_the_in_memory_one(
    client, rows, model, penalty, optimizer
):
    X, targets, s = rows
    cls, weighted = MODELS[model]
    est = cls(
        solver="batch", penalty=penalty, alpha=0.02, l1_ratio=0.5, lr=0.1,
        optimizer=optimizer, max_iter=6, tol=None, snapshot_every=1,
        random_state=0,
    )  # fmt: skip
    w = s if weighted else None
    Xd, yd, sd = on_dask(X, targets[model], s)
    ours = clone(est).fit(Xd, yd, sample_weight=sd if weighted else None)
    ref = clone(est).fit(X, targets[model], sample_weight=w)
    assert np.max(np.abs(ours.coef_ - ref.coef_)) < 1e-10
    assert np.max(np.abs(ours.intercept_ - ref.intercept_)) < 1e-10
    assert (ours.n_iter_, ours.t_) == (ref.n_iter_, ref.t_) == (6, 6)
    assert_same_history(ours.history_, ref.history_, 1e-10)


def test_lasso_batch_steps_are_one_gradient_over_all_rows(client):
    # issue 19: per-block steps gave coef[0] = -1.069 where memory gives -0.611
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X @ [-1.0, 2.0, 0.0, 0.5] + rng.normal(size=200) > 0
    est = LogisticRegression(
        solver="batch", penalty="l1", alpha=1e-3, lr=0.5, max_iter=30, tol=None
    )
    Xd, yd = on_dask(X, y)
    ours = clone(est).fit(Xd, yd)
    ref = clone(est).fit(X, y)
    assert np.max(np.abs(ours.coef_ - ref.coef_)) < 1e-10
    assert_same_history(ours.history_, ref.history_, 1e-10)
