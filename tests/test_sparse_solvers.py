"""The exact solvers on a sparse X (closed form, L-BFGS, Newton): no densifying,
the same coefficients as on the dense X (1e-10 relative), and the references'."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from lingrad.models import (
    BipolarSigmoidClassifier,
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    TwoLayerNetwork,
)
from lingrad.solvers.closed_form import least_squares
from lingrad.solvers.newton import newton_logistic_rows
from lingrad.solvers.rows import (
    SPARSE_CHUNK_NNZ,
    ArrayRows,
    cache_rows,
    row_slice,
    sparse_cache_rows,
    stream_combine,
    tree_combine,
)

newton_module = importlib.import_module("lingrad.solvers.newton")


def sparse_problem(n=1500, d=40, density=0.15, seed=0):
    """A well-conditioned CSR X (values ~ N(0, 1)), a linear score, weights."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, random_state=seed, format="csr")
    X.data = rng.normal(size=X.nnz)
    z = X @ rng.normal(size=d) + 0.5
    s = rng.uniform(0.5, 2.0, size=n)
    return X, z, s, rng


def close(a, b, rtol=1e-10):
    """``a`` equals ``b`` to ``rtol`` relative to b's scale."""
    a, b = np.asarray(a), np.asarray(b)
    assert_allclose(a, b, rtol=rtol, atol=rtol * max(float(np.abs(b).max()), 1.0))


def test_stream_combine_builds_tree_combines_very_tree():
    for n in range(1, 70):
        leaves = [f"x{i}" for i in range(n)]
        pair = lambda a, b: f"({a} {b})"  # noqa: E731
        assert stream_combine(iter(leaves), pair) == tree_combine(leaves, pair)


def test_csr_chunks_are_views_sized_by_nonzeros():
    rng = np.random.default_rng(0)
    cols = rng.integers(0, 5000, size=(20_000, 10))  # 10 entries a row, D = 5000
    X = sp.csr_matrix(
        (rng.normal(size=cols.size), (np.repeat(np.arange(20_000), 10), cols.ravel())),
        shape=(20_000, 5000),
    )
    z = rng.normal(size=20_000)
    assert cache_rows(5000, X) == sparse_cache_rows(X) > cache_rows(5000) == 256
    assert sparse_cache_rows(X) == int(SPARSE_CHUNK_NNZ // (X.nnz / 20_000))  # by nnz
    rows = ArrayRows(X.tocsc(), z, chunk_rows=1000)  # CSC is taken as CSR
    assert rows.sparse and rows.X.format == "csr"
    chunks = rows.chunks()
    assert sum(c.X.shape[0] for c in chunks) == 20_000
    assert np.shares_memory(chunks[1].X.data, rows.X.data)
    assert (chunks[1].X != rows.X[1000:2000]).nnz == 0
    assert (row_slice(rows.X, 3, 9) != rows.X[3:9]).nnz == 0


# ---- closed form ------------------------------------------------------------
@pytest.mark.parametrize("penalty", ["none", "l2"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_normal_sparse_equals_dense(penalty, fit_intercept, weighted):
    X, z, s, rng = sparse_problem()
    y = np.column_stack([z, -z]) + 0.1 * rng.normal(size=(len(z), 2))
    s = s if weighted else None
    kw = {
        "solver": "normal",
        "penalty": penalty,
        "alpha": 0.05,
        "fit_intercept": fit_intercept,
    }
    dense = LinearRegression(**kw).fit(X.toarray(), y, sample_weight=s)
    model = LinearRegression(**kw).fit(X, y, sample_weight=s)
    assert "sparse products" in model.solver_info_["method"]
    close(model.coef_, dense.coef_)
    close(model.intercept_, dense.intercept_)


def test_normal_sparse_agrees_with_lsqr_and_sklearn():
    X, z, _, rng = sparse_problem()
    y = z + 0.1 * rng.normal(size=len(z))
    model = LinearRegression(solver="normal").fit(X, y)
    ref = SkLinearRegression(tol=1e-14).fit(X, y)  # sparse: LSQR, atol = btol = tol
    close(model.coef_, ref.coef_, rtol=1e-8)
    close(model.intercept_, ref.intercept_, rtol=1e-8)
    Xc = sp.hstack([X, np.ones((X.shape[0], 1))]).tocsr()
    w = spla.lsqr(Xc, y, atol=1e-15, btol=1e-15, iter_lim=10_000)[0]
    close(np.append(model.coef_, model.intercept_), w, rtol=1e-9)


@pytest.mark.parametrize("l2", [0.0, 3.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_wide_sparse_takes_cg_and_agrees_with_dense(l2, fit_intercept):
    """Past ``gram_max_features``: CG on the normal equations, residual 1e-13,
    the dense Cholesky's coefficients to 1e-10 on this (cond ~ 10) data."""
    X, z, s, rng = sparse_problem()
    y = z + 0.1 * rng.normal(size=len(z))
    W, b, _ = least_squares(ArrayRows(X.toarray(), y, s), fit_intercept, l2)
    rows = ArrayRows(X, y, s, chunk_rows=256)
    W_cg, b_cg, info = least_squares(rows, fit_intercept, l2, gram_max_features=10)
    assert "conjugate gradients" in info["method"]
    assert info["relative_residual"] <= 1e-12
    close(W_cg, W)
    close(b_cg, b)


def test_rank_deficient_sparse_gives_minimum_norm_solution():
    """A duplicated column: Cholesky declines; the Gram's eigenvectors give
    lstsq's minimum-norm coefficients (to the Gram's cond · eps)."""
    X, z, _, rng = sparse_problem()
    X = sp.hstack([X, X[:, [0]]]).tocsr()
    y = z + 0.1 * rng.normal(size=len(z))
    W, b, info = least_squares(ArrayRows(X, y), fit_intercept=True)
    assert info["rank"] == X.shape[1] - 1
    Xd = X.toarray()
    ref = np.linalg.lstsq(Xd - Xd.mean(axis=0), y - y.mean(), rcond=None)[0]
    close(W[:, 0], ref, rtol=1e-9)
    assert W[0, 0] == pytest.approx(W[-1, 0], rel=1e-9)  # the norm split evenly


# ---- L-BFGS -----------------------------------------------------------------
def lbfgs_cases():
    for penalty in ["none", "l2", "l1", "elasticnet"]:
        yield LinearRegression, "regression", penalty
        yield LogisticRegression, "binary", penalty
        yield SoftmaxRegression, "multiclass", penalty
    yield BipolarSigmoidClassifier, "binary", "l2"
    yield TwoLayerNetwork, "multiclass", "l2"


def targets(kind, z, rng):
    if kind == "regression":
        return z + 0.1 * rng.normal(size=len(z))
    noisy = z + rng.logistic(size=len(z))
    if kind == "binary":
        return (noisy > np.median(z)).astype(int)
    return np.digitize(noisy, np.quantile(z, [0.33, 0.66]))


@pytest.mark.parametrize(("Est", "kind", "penalty"), list(lbfgs_cases()))
def test_lbfgs_sparse_equals_dense(Est, kind, penalty):
    X, z, s, rng = sparse_problem(n=600, d=20, density=0.3)
    y = targets(kind, z, rng)
    kw = {
        "solver": "lbfgs",
        "penalty": penalty,
        "alpha": 1e-2,
        "tol": 1e-12,
        "max_iter": 5000,
    }
    rtol = 1e-10
    if Est is TwoLayerNetwork:  # non-convex: L-BFGS-B stops on J's change (64 eps),
        kw.update(n_hidden=4, random_state=0, alpha=0.1)  # not on tol; the last
        rtol = 1e-9  # digits of the sparse products then move its stopping point
    dense = Est(**kw).fit(X.toarray(), y, sample_weight=s)
    model = Est(**kw).fit(X, y, sample_weight=s)
    for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
        if hasattr(dense, name):
            ours, theirs = getattr(model, name), getattr(dense, name)
            if not isinstance(theirs, list):
                ours, theirs = [ours], [theirs]
            for a, b in zip(ours, theirs, strict=True):
                close(a, b, rtol)


def test_lbfgs_logistic_csr_reaches_sklearn_lbfgs_on_csr():
    """alpha = 1 / (2 C N): ours (mean log-loss + alpha ‖w‖²) is sklearn's J / (C N)."""
    X, z, _, rng = sparse_problem(n=3000, d=200, density=0.05)
    y = targets("binary", z, rng)
    C = 1.0
    ref = SkLogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(
        X, y
    )
    model = LogisticRegression(
        solver="lbfgs", alpha=1 / (2 * C * len(y)), tol=1e-10, max_iter=10_000
    )
    model.fit(X, y)
    close(model.coef_, ref.coef_, rtol=1e-6)
    close(model.intercept_, ref.intercept_, rtol=1e-6)


# ---- Newton -----------------------------------------------------------------
@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize("penalty", ["none", "l2"])
@pytest.mark.parametrize("n", [1500, 24_000])  # 24 000: the every-16th-row Hessian
def test_newton_sparse_equals_dense(Est, penalty, n):
    d = 40 if n < 20_000 else 5
    X, z, s, rng = sparse_problem(n=n, d=d, density=0.3 if d == 5 else 0.15)
    y = targets("binary" if Est is LogisticRegression else "multiclass", z, rng)
    kw = {"solver": "newton", "penalty": penalty, "alpha": 1e-3, "tol": 1e-10}
    dense = Est(**kw).fit(X.toarray(), y, sample_weight=s)
    model = Est(**kw).fit(X, y, sample_weight=s)
    assert model.n_iter_ == dense.n_iter_  # the same steps: the same Hessian rows
    close(model.coef_, dense.coef_)
    close(model.intercept_, dense.intercept_)


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize(("penalty", "rtol"), [("none", 1e-8), ("l2", 1e-10)])
def test_newton_cg_on_wide_sparse_agrees_with_dense(monkeypatch, Est, penalty, rtol):
    """A Hessian block past DENSE_HESSIAN_MAX is an operator solved by CG: the
    minimiser of the dense Newton to 1e-10 (penalised) / 1e-8 (not: its last
    step's CG tolerance is max|g| ~ tol, the dense step is exact)."""
    X, z, s, rng = sparse_problem(n=3000, d=40)
    y = targets("binary" if Est is LogisticRegression else "multiclass", z, rng)
    kw = {"solver": "newton", "penalty": penalty, "alpha": 1e-3, "tol": 1e-10}
    dense = Est(**kw).fit(X.toarray(), y, sample_weight=s)
    products = []
    monkeypatch.setattr(newton_module, "DENSE_HESSIAN_MAX", 8)
    from lingrad.solvers import sparse_hessian

    original = sparse_hessian.HessianOperator._matvec
    monkeypatch.setattr(
        sparse_hessian.HessianOperator, "_matvec",
        lambda self, v: products.append(1) or original(self, v),
    )  # fmt: skip
    model = Est(**kw).fit(X, y, sample_weight=s)
    assert products  # the operator route was taken
    close(model.coef_, dense.coef_, rtol)
    close(model.intercept_, dense.intercept_, rtol)


def test_newton_chunking_does_not_change_sparse_iterates():
    """The subsampled Hessian's rows are global multiples of 16, whatever the chunks."""
    X, z, s, rng = sparse_problem(n=24_000, d=5, density=0.3)
    y = targets("binary", z, rng).astype(float)
    one = newton_logistic_rows(ArrayRows(X, y, s), 1e-3, tol=1e-10)
    many = newton_logistic_rows(ArrayRows(X, y, s, chunk_rows=1000), 1e-3, tol=1e-10)
    assert one[2].n_iter == many[2].n_iter
    close(many[0], one[0])
