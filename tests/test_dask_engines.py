"""One algorithm on every engine: full-batch gradient descent and Newton on Dask
give the in-memory iterates (the session's 2-worker LocalCluster, conftest.py).

Batch gradient descent is one gradient over all N rows per step: on Dask one
reduction of the blocks' sums per step, then the same update, penalty (L1 by
its proximal step), schedule and History as in memory. Newton takes the same
Hessian (the same rows) on both, and its default tolerance stops at the
optimum's digits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

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


# ---- Newton: one Hessian rule, a default tolerance at the optimum's digits ----
N_MANY = 24_000  # Newton's Hessian is subsampled from 20,000 rows on
MANY_CHUNKS = (6_001, 5_999, 7_003, 4_997)  # no block starts at a multiple of 16


@pytest.fixture(scope="module")
def many():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(N_MANY, 3))
    z = X @ np.array([[1.5, -1.0, 0.5], [-0.5, 0.8, 0.0], [0.3, 0.2, -1.0]])
    binary = rng.random(N_MANY) < 1 / (1 + np.exp(-z[:, 0]))
    multi = np.argmax(z + rng.gumbel(size=z.shape), axis=1)
    return X, {"logistic": binary, "softmax": multi}


NEWTON = {"logistic": LogisticRegression, "softmax": SoftmaxRegression}


def on_dask_many(*arrays):
    return [da.from_array(a, chunks=(MANY_CHUNKS,) + a.shape[1:]) for a in arrays]


def newton_objective(newton_module, model, chain, rows):
    """The solver's J, g, H of ``model`` (logistic: one block per column)."""
    from lingrad.core.losses import BinaryCrossEntropy
    from lingrad.solvers.newton_softmax import SoftmaxObjective

    if model == "softmax":
        return SoftmaxObjective(chain, rows, 1e-4)
    loss = BinaryCrossEntropy(from_logits=True)
    return newton_module.LogisticObjective(chain, loss, rows, 1e-4)


def objective(est, X, y):
    """J = mean cross-entropy + alpha ‖W‖², computed here from the fitted model."""
    P = est.predict_proba(X)
    picked = P[np.arange(len(y)), np.searchsorted(est.classes_, y)]
    if len(est.classes_) == 2 and isinstance(est, LogisticRegression):
        picked = np.where(y == est.classes_[1], P[:, 1], P[:, 0])
    return float(-np.mean(np.log(picked)) + est.alpha * np.sum(est.coef_**2))


@pytest.mark.parametrize("model", list(NEWTON))
def test_newton_hessian_takes_the_same_rows_on_every_engine(client, many, model):
    import importlib

    from lingrad.scale.dask_fit import prepare
    from lingrad.solvers.rows import ArrayRows

    newton_module = importlib.import_module("lingrad.solvers.newton")
    X, targets = many
    est = NEWTON[model](solver="newton")
    ref = clone(est).fit(X[:500], targets[model][:500])  # classes_, a θ to look at
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=3)  # blocks of unknown rows
    for Xd, yd in (
        on_dask_many(X, targets[model]),
        (frame, dd.from_pandas(pd.Series(targets[model]), npartitions=3)),
    ):
        rows, _ = prepare(clone(est), Xd, yd, None)
        mem = ArrayRows(X, ref._targets(np.searchsorted(ref.classes_, targets[model]),
                                        np.float64))  # fmt: skip
        Hs = []
        for r in (rows, mem):
            chain = ref._chain_from_fitted()
            obj = newton_objective(newton_module, model, chain, r)
            assert obj.stride == 16
            Hs.append(obj.hess(obj.pack()))
        assert np.max(np.abs(Hs[0] - Hs[1])) <= 1e-12 * np.max(np.abs(Hs[1]))


@pytest.mark.parametrize("model", list(NEWTON))
def test_newton_at_the_default_tolerance_is_the_in_memory_fit_on_dask(
    client, many, model
):
    X, targets = many
    est = NEWTON[model](solver="newton")  # tol=1e-4, the default
    ours = clone(est).fit(*on_dask_many(X, targets[model]))
    ref = clone(est).fit(X, targets[model])
    scale = np.max(np.abs(ref.coef_))
    assert np.max(np.abs(ours.coef_ - ref.coef_)) <= 1e-8 * scale
    assert np.max(np.abs(ours.intercept_ - ref.intercept_)) <= 1e-8 * scale
    assert ours.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("model", list(NEWTON))
def test_newton_default_tolerance_stops_at_the_optimum(many, model):
    X, targets = many
    y = targets[model]
    default = NEWTON[model](solver="newton").fit(X, y)
    with warnings.catch_warnings():  # max |g| <= 1e-14 may lie below rounding
        warnings.simplefilter("ignore", ConvergenceWarning)
        tight = NEWTON[model](solver="newton", tol=1e-14, max_iter=60).fit(X, y)
    J, J_min = objective(default, X, y), objective(tight, X, y)
    assert abs(J - J_min) <= 1e-10 * J_min
