"""Closed form, L-BFGS-B, Newton and the proximal L1 step against references."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.linear_model import Lasso, Ridge
from sklearn.linear_model import LinearRegression as SkLinearRegression

from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.core.nodes import Affine, Sigmoid
from lingrad.core.penalties import L1, L2, ElasticNet
from lingrad.data import datasets
from lingrad.solvers import (
    IllConditionedWarning,
    ProximalL1,
    lbfgs,
    newton,
    newton_logistic,
    normal_equation,
    proximal_l1,
    split_l1,
)
from lingrad.training.optim import GD
from lingrad.training.train import Trainer


def regression(rng, N=60, D=4, K=None):
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(D,) if K is None else (D, K))
    return X, X @ W + 0.7 + 0.1 * rng.normal(size=(N,) if K is None else (N, K))


def classification(rng, N=120, D=5):
    X = rng.normal(size=(N, D))
    z = X @ rng.normal(size=D) + 0.3 + rng.normal(size=N)
    return X, (z > 0).astype(float)


# ---- normal_equation ----------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_normal_equation_matches_sklearn(rng, fit_intercept, weighted):
    X, y = regression(rng)
    s = rng.uniform(0.2, 3.0, size=len(X)) if weighted else None
    w, b, info = normal_equation(X, y, s, fit_intercept)
    ref = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
    assert_allclose(w, ref.coef_, rtol=1e-10)
    assert_allclose(b, ref.intercept_, rtol=1e-10, atol=1e-12)
    assert info["rank"] == 4 and 1 <= info["condition_number"] < 100


def test_normal_equation_ridge_matches_sklearn_ridge(rng):
    X, Y = regression(rng, K=2)
    s = rng.uniform(0.2, 3.0, size=len(X))
    W, b, info = normal_equation(X, Y, s, l2=2.5)  # Σ s r² + 2.5 ‖w‖²
    ref = Ridge(alpha=2.5, solver="cholesky").fit(X, Y, sample_weight=s)
    assert_allclose(W, ref.coef_.T, rtol=1e-10)
    assert_allclose(b, ref.intercept_, rtol=1e-10)
    assert "ridge" in info["method"] and info["condition_number_ridge"] > 1


@settings(deadline=None, max_examples=20, derandomize=True)
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_normal_equation_is_min_norm_lstsq(N, D, seed):
    """Any shape, rank-deficient included: the centred minimum-norm solution.

    Exact rank deficiency (N - 1 < D) is silent; only a non-null part with
    cond(XᵀX) > 1e10 warns.
    """
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(N, D)), rng.normal(size=N)
    Xc, yc = X - X.mean(0), y - y.mean()
    rank = np.linalg.matrix_rank(Xc)
    sv = np.linalg.svd(Xc, compute_uv=False)
    ill = rank > 0 and (sv[0] / sv[rank - 1]) ** 2 > 1e10
    with pytest.warns(IllConditionedWarning) if ill else nullcontext():
        w, b, info = normal_equation(X, y)
    ref = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    assert_allclose(w, ref, atol=1e-9 * max(1.0, np.abs(ref).max()))
    assert_allclose(b, y.mean() - X.mean(0) @ w, atol=1e-9)
    assert info["rank"] == rank


def test_normal_equation_warns_on_collinear_features(rng):
    X, y = regression(rng)
    X = np.column_stack([X, X[:, 0] + 1e-9 * rng.normal(size=len(X))])
    with pytest.warns(IllConditionedWarning, match="ill-conditioned"):
        _, _, info = normal_equation(X, y)
    assert info["condition_number"] > 1e10
    _, _, info = normal_equation(X, y, l2=1.0)  # ridge is well-posed: no warning
    assert info["condition_number_ridge"] < 1e10


def test_normal_equation_keeps_float32(rng):
    X, y = regression(rng)
    w, b, _ = normal_equation(X.astype(np.float32), y.astype(np.float32))
    assert w.dtype == np.float32
    assert_allclose(w, normal_equation(X, y)[0], rtol=1e-4)


# ---- lbfgs --------------------------------------------------------------------
def test_lbfgs_matches_closed_form_ridge(rng):
    X, y = regression(rng)
    N = len(X)
    chain = Chain([Affine(np.zeros((4, 1)), np.zeros(1))])
    result = lbfgs(chain, SquaredError(), X, y[:, None], L2(0.3), tol=1e-12)
    w, b, _ = normal_equation(X, y, l2=0.3 * N)  # (1/N) Σ r² + 0.3‖w‖², times N
    assert result.converged
    assert_allclose(chain.params["affine.W"][:, 0], w, rtol=1e-7)
    assert_allclose(chain.params["affine.b"][0], b, rtol=1e-7)


def test_lbfgs_trains_a_two_layer_chain(rng):
    """Generic: any chain; the gradient at the result vanishes."""
    X, y = classification(rng)
    gen = np.random.default_rng(1)
    chain = Chain([Affine.init(5, 3, gen), Sigmoid(), Affine.init(3, 1, gen)])
    loss = BinaryCrossEntropy(from_logits=True)
    result = lbfgs(chain, loss, X, y[:, None], L2(1e-3), max_iter=500, tol=1e-7)
    assert result.converged
    loss.forward(chain.forward(X), y[:, None])
    chain.backward(loss.backward())
    for key, g in chain.grads.items():
        W = chain.params[key]
        full = g + (L2(1e-3).grad(W) if key.endswith("W") else 0)
        assert np.abs(full).max() < 1e-6


@pytest.mark.parametrize("penalty", [L1(0.05), ElasticNet(0.08, l1_ratio=0.7)])
def test_lbfgs_l1_satisfies_kkt_with_exact_zeros(rng, penalty):
    """Optimality of J + l1‖w‖₁: |g_j| ≤ l1 where w_j = 0, g_j = -l1 sign w_j else."""
    X, y = classification(rng, D=8)
    X[:, 5:] = rng.normal(size=(len(X), 3))  # irrelevant columns
    chain = Chain([Affine(np.zeros((8, 1)), np.zeros(1))])
    loss = BinaryCrossEntropy(from_logits=True)
    lbfgs(chain, loss, X, y[:, None], penalty, max_iter=1000, tol=1e-10)
    W = chain.params["affine.W"][:, 0]
    l1, smooth = split_l1(penalty)
    loss.forward(chain.forward(X), y[:, None])
    chain.backward(loss.backward())
    g = chain.grads["affine.W"][:, 0] + (0 if smooth is None else smooth.grad(W))
    zero = W == 0
    assert zero.sum() >= 2  # exact zeros, not 1e-9
    assert np.all(np.abs(g[zero]) <= l1 + 1e-8)
    assert_allclose(g[~zero], -l1 * np.sign(W[~zero]), atol=1e-6)


def test_lbfgs_records_history(rng):
    from lingrad.training.history import History

    X, y = classification(rng)
    chain = Chain([Affine(np.zeros((5, 1)), np.zeros(1))])
    history = History(snapshot_every=2)
    result = lbfgs(chain, BinaryCrossEntropy(from_logits=True), X, y[:, None],
                   history=history)  # fmt: skip
    assert history.n_epochs == result.n_iter
    assert np.all(np.diff(history.epoch_loss) <= 0)  # L-BFGS-B descends
    assert_allclose(history.epoch_loss[-1], result.J)
    assert_allclose(history.step_loss[1:], history.epoch_loss[:-1])
    assert history.params["affine.W"].shape[1:] == (5, 1)
    assert_allclose(history.final_params["affine.W"], chain.params["affine.W"])


# ---- newton -------------------------------------------------------------------
def test_newton_solves_a_quadratic_in_one_step(rng):
    A = rng.normal(size=(4, 4))
    H, c = A @ A.T + np.eye(4), rng.normal(size=4)

    def fg(theta):
        return 0.5 * theta @ H @ theta - c @ theta, H @ theta - c

    result = newton(fg, lambda theta: H, np.zeros(4), tol=1e-10)
    assert result.converged and result.n_iter == 1
    assert_allclose(result.theta, np.linalg.solve(H, c))


def test_newton_rosenbrock_with_line_search():
    def fg(t):
        x, y = t
        J = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        return J, g

    def hess(t):
        x, y = t
        return np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])

    result = newton(fg, hess, np.array([-1.2, 1.0]), tol=1e-10)
    assert result.converged
    assert_allclose(result.theta, [1.0, 1.0], atol=1e-8)


def test_newton_converges_where_rounding_hides_the_last_decrease(rng):
    """Near the optimum J's rounding error exceeds a Newton step's decrease
    (3e-19 here): a step that leaves J within its rounding and shrinks the
    gradient is taken, so tol = 1e-12 is reached on any BLAS."""
    eps = np.finfo(float).eps
    X = rng.normal(size=(50, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.normal(size=50) > 0).astype(float)

    def true_fg(t):
        z = X @ t
        J = np.mean(np.logaddexp(0, z) - y * z) + 0.01 * t @ t
        return J, X.T @ (1 / (1 + np.exp(-z)) - y) / len(X) + 0.02 * t

    def fg(t):  # J summed near the optimum: 4 ulps high (how a BLAS may round)
        J, g = true_fg(t)
        return (J * (1 + 4 * eps) if np.abs(g).max() < 1e-11 else J), g

    def hess(t):
        p = 1 / (1 + np.exp(-X @ t))
        return (X.T * (p * (1 - p))) @ X / len(X) + 0.02 * np.eye(3)

    result = newton(fg, hess, np.zeros(3), tol=1e-12, max_iter=50, lazy=False)
    assert result.converged and result.n_iter <= 10
    assert np.abs(true_fg(result.theta)[1]).max() <= 1e-12


def test_newton_logistic_reaches_tol_on_the_regularization_demos_data():
    """The demo's weakest penalty (λ = 0.01 on 200 rows): converged, no warning."""
    data = datasets.logistic_nd(n=200, n_features=3, seed=1)
    W, _, result = newton_logistic(
        data.X, data.y, l2=0.01 / 200, fit_intercept=False, tol=1e-12, max_iter=200
    )
    assert result.converged and result.n_iter <= 20
    p = 1 / (1 + np.exp(-data.X @ W[:, 0]))
    g = data.X.T @ (p - data.y) / 200 + 2 * 0.01 / 200 * W[:, 0]
    assert np.abs(g).max() <= 1e-12


def test_newton_logistic_matches_lbfgs_and_is_quadratic(rng):
    X, y = classification(rng)
    Y = np.column_stack([y, 1 - y])  # two one-vs-rest columns
    W, b, result = newton_logistic(X, Y, l2=0.01, tol=1e-12)
    assert result.converged and result.n_iter <= 10  # quadratic convergence
    chain = Chain([Affine(np.zeros((5, 2)), np.zeros(2))])
    lbfgs(chain, BinaryCrossEntropy(from_logits=True), X, Y, L2(0.01), tol=1e-10)
    assert_allclose(W, chain.params["affine.W"], atol=1e-7)
    assert_allclose(b, chain.params["affine.b"], atol=1e-7)


def test_newton_logistic_with_weights_and_no_intercept(rng):
    X, y = classification(rng)
    s = rng.uniform(0.5, 2, size=len(X))
    W, b, _ = newton_logistic(X, y, s, l2=0.02, fit_intercept=False, tol=1e-12)
    chain = Chain([Affine(np.zeros((5, 1)))])
    loss = BinaryCrossEntropy(from_logits=True)
    lbfgs(chain, loss, X, y[:, None], L2(0.02), s, tol=1e-10)
    assert_allclose(W, chain.params["affine.W"], atol=1e-7)
    assert_allclose(b, 0.0)


# ---- proximal L1 ------------------------------------------------------------
def test_split_l1():
    assert split_l1(None) == (0.0, None)
    assert split_l1(L1(0.3)) == (0.3, None)
    l1, smooth = split_l1(ElasticNet(0.5, l1_ratio=0.4))
    assert l1 == pytest.approx(0.2) and smooth.alpha == pytest.approx(0.3)
    pen = L2(0.1)
    assert split_l1(pen) == (0.0, pen)
    assert proximal_l1(pen, "gd") == (pen, "gd")


def test_proximal_step_is_soft_threshold():
    W = np.array([[0.5], [-0.05], [0.02], [-2.0]])
    params = {"affine.W": W, "affine.b": np.array([0.01])}
    zero = {key: np.zeros_like(p) for key, p in params.items()}
    ProximalL1(GD(), l1=1.0).step(params, zero, lr=0.1)
    assert_allclose(W[:, 0], [0.4, 0.0, 0.0, -1.9])
    assert params["affine.b"][0] == 0.01  # biases are not penalised


def test_batch_gradient_descent_with_l1_reaches_the_lasso(rng):
    """ISTA: J = (1/N)‖y - Xw - b‖² + a‖w‖₁ is sklearn's Lasso with alpha = a/2."""
    X = rng.normal(size=(100, 8))
    y = X[:, :3] @ np.array([2.0, -1.5, 1.0]) + 0.3 * rng.normal(size=100)
    penalty, optimizer = proximal_l1(L1(0.2), "gd")
    chain = Chain([Affine(np.zeros((8, 1)), np.zeros(1))])
    trainer = Trainer(chain, SquaredError(), penalty, optimizer, lr=0.2,
                      batch_size=None)  # fmt: skip
    trainer.fit(X, y[:, None], max_iter=2000, tol=1e-14, n_iter_no_change=3)
    ref = Lasso(alpha=0.1, tol=1e-12).fit(X, y)
    W = chain.params["affine.W"][:, 0]
    assert_allclose(W, ref.coef_, atol=1e-6)
    assert np.array_equal(W == 0, ref.coef_ == 0) and np.sum(W == 0) >= 3
    # the History holds the full objective, the L1 term included
    J = np.mean((y - X @ W - chain.params["affine.b"][0]) ** 2) + 0.2 * np.abs(W).sum()
    assert trainer.history.step_loss[-1] == pytest.approx(J, rel=1e-6)


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_newton_on_many_rows_subsamples_its_hessian_but_not_its_minimiser(
    rng, monkeypatch, model
):
    """From 20,000 rows on, H is summed over every 16th row; J, g and the stopping
    rule stay exact, so the minimiser is exact Newton's (and scikit-learn's)."""
    import importlib

    from sklearn.linear_model import LogisticRegression as SkLogistic

    from lingrad.models import LogisticRegression, SoftmaxRegression

    newton_module = importlib.import_module("lingrad.solvers.newton")
    N = 24_000
    X = rng.normal(size=(N, 3))
    z = X @ np.array([[1.5, -1.0, 0.5], [-0.5, 0.8, 0.0], [0.3, 0.2, -1.0]])
    if model == "logistic":
        y = (rng.random(N) < 1 / (1 + np.exp(-z[:, 0]))).astype(int)
        make = lambda: LogisticRegression(  # noqa: E731
            solver="newton", penalty="none", tol=1e-10
        )
    else:
        y = np.argmax(z + rng.gumbel(size=z.shape), axis=1)
        make = lambda: SoftmaxRegression(  # noqa: E731
            solver="newton", penalty="none", tol=1e-10
        )
    params = 4 if model == "logistic" else 12  # one Hessian block's parameters
    assert newton_module.hessian_stride(N, params) == 16
    sub = make().fit(X, y)
    monkeypatch.setattr(newton_module, "HESSIAN_STRIDE", 1)  # exact Newton
    exact = make().fit(X, y)
    # both stop at max |g| <= 1e-10: θ within about tol / (H's smallest eigenvalue)
    assert_allclose(sub.coef_, exact.coef_, rtol=1e-7, atol=1e-8)
    assert_allclose(sub.intercept_, exact.intercept_, rtol=1e-7, atol=1e-8)
    ref = SkLogistic(C=np.inf, tol=1e-12, max_iter=1000).fit(X, y)
    if model == "logistic":
        assert_allclose(sub.coef_, ref.coef_, rtol=1e-6)
    else:  # scikit-learn's multinomial coef sums to 0 over classes; ours: min-norm
        assert_allclose(sub.predict_proba(X), ref.predict_proba(X), atol=1e-7)


def test_a_strided_hessian_estimates_the_full_one(rng):
    """Every 16th row, scaled by 16: within a few percent of the full sum."""
    from lingrad.solvers.rows import ArrayRows
    from lingrad.solvers.sums import logistic_hessian_sums

    X = rng.normal(size=(32_000, 3))
    rows = ArrayRows(X, np.zeros((len(X), 1)), None, chunk_rows=1000)
    W, b = np.array([[1.0], [-2.0], [0.5]]), np.array([0.3])
    full, sub = (rows.reduce(logistic_hessian_sums, W, b, k) for k in (1, 16))
    pred = 1 / (1 + np.exp(-(X @ W[:, 0] + b[0])))
    Xt = np.c_[X, np.ones(len(X))]
    exact = Xt.T @ (Xt * (pred * (1 - pred))[:, None])
    assert_allclose(np.triu(full[0]), np.triu(exact), rtol=1e-10)  # upper triangles
    assert np.linalg.norm(sub[0] - full[0]) < 0.05 * np.linalg.norm(full[0])
    assert not np.allclose(sub[0], full[0], rtol=1e-6)  # a real subsample
