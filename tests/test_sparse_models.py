"""Sparse X (scipy.sparse CSR / CSC, matrices and arrays) in every estimator.

A fit on a sparse X and on the same X dense give the same coefficients (to
1e-10 relative) for every estimator × iterative solver × penalty × optimizer
on the node path; predictions on sparse rows equal those on dense rows; the
memory estimate counts the nonzeros; ``Affine``'s sparse products pass the
gradient check; and a wide sparse X is never densified.
"""

import itertools
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.chain import Chain
from lingrad.core.gradcheck import check_chain
from lingrad.core.losses import CrossEntropy
from lingrad.core.nodes import Affine, Sigmoid
from lingrad.inference.api import InferenceError
from lingrad.models import (
    BipolarSigmoidClassifier,
    LinearRegression,
    LogisticRegression,
    MulticlassPerceptron,
    Perceptron,
    ResidualNetwork,
    SoftmaxRegression,
    TwoLayerNetwork,
)
from lingrad.models._memory import check_fit_memory, fit_bytes

ESTIMATORS = {
    LinearRegression: "regression",
    LogisticRegression: "binary",
    BipolarSigmoidClassifier: "binary",
    Perceptron: "binary",
    MulticlassPerceptron: "multiclass",
    SoftmaxRegression: "multiclass",
    TwoLayerNetwork: "multiclass",
}
SOLVERS = ("sgd", "minibatch", "batch")
PENALTIES = ("none", "l1", "l2", "elasticnet")
OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
SPARSE_KINDS = {
    "csr": sp.csr_matrix,
    "csc": sp.csc_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "coo": sp.coo_matrix,
}


def _data(kind, N=30, D=7, seed=0):
    """A small X with about 60% zeros, and targets for the model kind."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    X[rng.random((N, D)) < 0.6] = 0.0
    z = X @ rng.normal(size=D)
    if kind == "regression":
        return X, z + 0.1 * rng.normal(size=N)
    if kind == "binary":
        return X, (z > np.median(z)).astype(int)
    return X, np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))


def _params(est):
    """Every fitted parameter array of an estimator (coef_/intercept_ or the
    network's weights)."""
    names = ("coef_", "intercept_", "coefs_", "intercepts_")
    out = []
    for name in names:
        value = getattr(est, name, None)
        if value is None:
            continue
        for a in value if isinstance(value, list) else [value]:
            out.append(np.asarray(a, dtype=np.float64))
    return out


def _fit(cls, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(engine="nodes", max_iter=2, tol=None, random_state=0, **kw).fit(X, y)


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda c: c.__name__)
def test_sparse_fit_equals_dense_fit_for_every_solver_penalty_optimizer(cls):
    """CSR, CSC and dense X: the same parameters to 1e-10, over the whole matrix."""
    X, y = _data(ESTIMATORS[cls])
    lr = 1.0 if cls in (Perceptron, MulticlassPerceptron) else 0.05
    bad = []
    for solver, penalty, optimizer in itertools.product(SOLVERS, PENALTIES, OPTIMIZERS):
        kw = dict(solver=solver, penalty=penalty, optimizer=optimizer, lr=lr)
        if penalty != "none":
            kw["alpha"] = 0.01
        if solver == "minibatch":
            kw["batch_size"] = 4
        dense = _params(_fit(cls, X, y, **kw))
        assert dense, f"{cls.__name__} exposes no parameters"
        for name in ("csr", "csc"):
            got = _params(_fit(cls, SPARSE_KINDS[name](X), y, **kw))
            for a, b in zip(got, dense, strict=True):
                scale = max(float(np.abs(b).max()), 1.0)
                if not np.allclose(a, b, rtol=1e-10, atol=1e-10 * scale):
                    bad.append((solver, penalty, optimizer, name))
    assert not bad, f"sparse != dense for {cls.__name__}: {bad}"


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda c: c.__name__)
def test_predictions_on_sparse_rows_equal_those_on_dense_rows(cls):
    """predict / decision_function / predict_proba / score of a dense fit."""
    X, y = _data(ESTIMATORS[cls], N=40)
    est = _fit(cls, X, y, solver="batch", lr=0.1)
    methods = [m for m in ("predict", "decision_function", "predict_proba")
               if hasattr(est, m)]  # fmt: skip
    for name, kind in SPARSE_KINDS.items():
        Xs = kind(X)
        for method in methods:
            want = getattr(est, method)(X)
            got = getattr(est, method)(Xs)
            assert isinstance(got, np.ndarray), (name, method)
            assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=name)
        assert est.score(Xs, y) == pytest.approx(est.score(X, y), rel=1e-12)


def test_sparse_float32_stays_float32():
    X, y = _data("binary")
    est = _fit(LogisticRegression, X.astype(np.float32), y, solver="batch")
    z = est.decision_function(sp.csr_matrix(X, dtype=np.float32))
    assert z.dtype == np.float32


def test_sparse_fit_sees_the_features_of_a_sparse_X():
    X, y = _data("binary")
    est = _fit(LogisticRegression, sp.csr_array(X), y, solver="batch")
    assert est.n_features_in_ == X.shape[1]
    with pytest.raises(ValueError, match="features"):
        est.predict(sp.csr_matrix(X[:, :3]))


def test_residual_network_refuses_sparse_X_with_one_line():
    X, y = _data("binary")
    est = ResidualNetwork(random_state=0)
    assert est.__sklearn_tags__().input_tags.sparse is False
    with pytest.raises(ValueError, match="does not take sparse X") as info:
        est.fit(sp.csr_matrix(X), y)
    assert "\n" not in str(info.value)
    est.fit(X, y)
    with pytest.raises(ValueError, match="toarray"):
        est.predict(sp.csr_matrix(X))


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda c: c.__name__)
def test_sparse_tag_is_set(cls):
    assert cls().__sklearn_tags__().input_tags.sparse is True


def test_summary_refuses_a_sparse_X_with_what_to_do():
    X, y = _data("regression")
    est = LinearRegression().fit(X, y)
    with pytest.raises(InferenceError, match="toarray") as info:
        est.summary(sp.csr_matrix(X), y)
    assert "\n" not in str(info.value)


def test_memory_estimate_of_a_wide_sparse_X_counts_its_nonzeros():
    """1e6 × 2^20 with 50 nonzeros a row: megabytes, not N·D's 8 TB."""
    N, D, nnz = 10**6, 2**20, 50 * 10**6
    for solver in ("sgd", "minibatch", "batch"):
        est = LogisticRegression(solver=solver)
        need, parts = fit_bytes(est, N, D, 1, 8, True, nnz)
        assert need < 2e9, (solver, parts)
        check_fit_memory(est, N, D, 1, 8, targets=True, nnz=nnz)  # not refused
    # the batch's copy of the rows grows with the nonzeros, not with N·D
    est = LogisticRegression(solver="batch")
    _, sparse_parts = fit_bytes(est, N, D, 1, 8, True, nnz)
    _, twice = fit_bytes(est, N, D, 1, 8, True, 2 * nnz)
    assert twice["rows"] - sparse_parts["rows"] == nnz * (8 + 8)
    _, dense_parts = fit_bytes(est, N, D, 1, 8, True)
    assert "rows" not in dense_parts  # dense estimates are unchanged


@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
def test_newton_memory_on_a_wide_sparse_X_counts_the_hessian_operator(cls):
    """Beyond the dense-Hessian limit, sparse Newton keeps CG's vectors, not P²."""
    N, D, K, nnz = 10**6, 2**20, 5, 50 * 10**6
    est = cls(solver="newton")
    _, parts = fit_bytes(est, N, D, K, 8, True, nnz)
    assert parts["Hessian"] < 1e9, parts
    check_fit_memory(est, N, D, K, 8, targets=True, nnz=nnz)  # not refused
    _, dense = fit_bytes(est, N, D, K, 8, True)
    assert dense["Hessian"] > 1e13  # a dense X keeps its dense Hessian estimate
    # a narrow sparse X keeps dense blocks: one per column, or one for softmax
    _, narrow = fit_bytes(est, N, 99, K, 8, True, nnz)
    blocks = K * 100**2 if cls is LogisticRegression else (K * 100) ** 2
    assert narrow["Hessian"] == 4 * blocks * 8


def test_gradcheck_of_affine_on_sparse_X():
    """The sparse products Xᵀ dJ_dz of both layers' parameters, by differences."""
    X, y = _data("multiclass", N=12, D=6)
    rng = np.random.default_rng(1)
    chain = Chain([Affine.init(6, 4, rng), Sigmoid(), Affine.init(4, 3, rng)])
    Y = np.eye(3)[y]
    for kind in (sp.csr_matrix, sp.csc_array):
        report = check_chain(chain, CrossEntropy(from_logits=True), kind(X), Y)
        assert report.passed, str(report)
        assert {e.name for e in report.entries} == set(chain.params)


def test_affine_on_sparse_X_equals_affine_on_dense_X():
    X, _ = _data("regression", N=20, D=9)
    rng = np.random.default_rng(2)
    W, b, g = rng.normal(size=(9, 3)), rng.normal(size=3), rng.normal(size=(20, 3))
    dense, sparse = Affine(W.copy(), b.copy()), Affine(W.copy(), b.copy())
    assert_allclose(sparse.forward(sp.csr_matrix(X)), dense.forward(X), rtol=1e-13)
    dense.backward_params(g)
    sparse.backward_params(g)
    assert_allclose(sparse.dJ_dW, dense.dJ_dW, rtol=1e-13, atol=1e-15)
    assert_allclose(sparse.dJ_db, dense.dJ_db, rtol=1e-13)
    assert_allclose(sparse.local_jacobians()["dz_dW"], X[0])


WIDE_FIT = textwrap.dedent(
    """
    import resource
    import numpy as np
    import scipy.sparse as sp
    from lingrad.models import LogisticRegression

    N, D, per_row = 200_000, 2**20, 10
    rng = np.random.default_rng(0)
    indices = rng.integers(0, D, size=N * per_row).astype(np.int32)
    indptr = np.arange(0, N * per_row + 1, per_row, dtype=np.int64)
    X = sp.csr_matrix((rng.random(N * per_row), indices, indptr), shape=(N, D))
    X.sum_duplicates()
    y = (np.asarray(X[:, : D // 2].sum(axis=1)).ravel() > 2.5).astype(int)
    with open("/proc/self/status") as f:
        vm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
    limit = vm + 1_500_000_000  # a dense X (N·D·8 = 1.7 TB) or dense batch is out
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    est = LogisticRegression(solver="batch", engine="nodes", max_iter=3, tol=None,
                             penalty="l2", lr=0.5)
    est.fit(X, y)
    p = est.predict_proba(X[:1000])
    assert est.coef_.shape == (1, D) and np.isfinite(est.coef_).all()
    print("ok", p.shape)
    """
)


def test_fit_on_a_wide_sparse_X_does_not_densify_it():
    """200k × 2^20 CSR, 10 nonzeros a row, under an address-space limit that a
    dense copy of X (1.7 TB) or of a batch of its rows could never fit."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", WIDE_FIT], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ok (1000, 2)" in done.stdout
