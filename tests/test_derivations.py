"""The homework's matrix-calculus identities, checked by finite differences.

Each test is one identity of docs/derivations.md.
"""

import numpy as np
from numpy.testing import assert_allclose
from scipy.special import expit

from lingrad.core.chain import Chain
from lingrad.core.gradcheck import check_chain, check_formula
from lingrad.core.losses import BinaryCrossEntropy, SquaredError, one_hot
from lingrad.core.nodes import Affine, BipolarSigmoid, Residual, Sigmoid
from lingrad.core.penalties import L2


def test_trace_of_square(rng):  # Problem 1(a): d tr(X^2)/dX = 2 X^T
    X = rng.normal(size=(4, 4))
    assert check_formula(lambda A: np.trace(A @ A), lambda A: 2 * A.T, X).passed


def test_check_formula_catches_the_missing_transpose(rng):  # Problem 1(a), wrong
    X = rng.normal(size=(4, 4))  # not symmetric: 2 X differs from 2 X^T
    report = check_formula(lambda A: np.trace(A @ A), lambda A: 2 * A, X)
    assert not report.passed and report.entries[0].rel_err > 0.1


def test_trace_of_cube(rng):  # Problem 1(b): d tr(X^3)/dX = 3 (X^2)^T
    X = rng.normal(size=(4, 4))
    assert check_formula(
        lambda A: np.trace(A @ A @ A), lambda A: 3 * (A @ A).T, X
    ).passed


def test_frobenius_product(rng):  # Problem 5: d<A, B>/dA = B
    B = rng.normal(size=(3, 3))
    assert check_formula(
        lambda A: np.trace(A.T @ B), lambda A: B, rng.normal(size=(3, 3))
    ).passed


def test_quadratic_form(rng):  # Problem 6: d(w^T X w)/dw = (X + X^T) w
    X = rng.normal(size=(4, 4))
    assert check_formula(
        lambda w: w @ X @ w, lambda w: (X + X.T) @ w, rng.normal(size=4)
    ).passed


def test_l2_logistic_gradient(rng):  # Problem 2: sum_i (f(x_i) - y_i) x_i + 2 w
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8) * 1.0

    def L(w):
        f = expit(X @ w)
        return -np.sum(y * np.log(f) + (1 - y) * np.log(1 - f)) + w @ w

    def dL(w):
        return X.T @ (expit(X @ w) - y) + 2 * w

    assert check_formula(L, dL, rng.normal(size=3)).passed
    chain = Chain([Affine(rng.normal(size=3)), Sigmoid()])  # the same, node by node
    assert check_chain(
        chain, BinaryCrossEntropy(reduction="sum"), X, y, penalty=L2(1.0)
    ).passed


def test_bipolar_sigmoid_mse_gradient(rng):  # Problem 3
    X, y = rng.normal(size=(8, 3)), rng.choice([-1.0, 1.0], 8)

    def L(w):
        f = (1 - np.exp(-X @ w)) / (1 + np.exp(-X @ w))
        return 0.5 * np.sum((f - y) ** 2)

    def dL(w):
        f = np.tanh(X @ w / 2)
        return X.T @ ((f - y) * (1 - f**2) / 2)

    assert check_formula(L, dL, rng.normal(size=3)).passed
    chain = Chain([Affine(rng.normal(size=3)), BipolarSigmoid()])
    assert check_chain(chain, SquaredError(half=True, reduction="sum"), X, y).passed


def _residual_net(rng, D=3, M=2):
    W0, W1, w2 = rng.normal(size=(D, M)), rng.normal(size=(M, D)), rng.normal(size=D)
    return W0, W1, w2


def test_residual_network_dL_dh_and_dL_dW1(rng):  # Problem 7 (a) and (b)
    W0, W1, w2 = _residual_net(rng)
    x, y = rng.normal(size=3), 1.0
    s = expit
    z = s(x @ W0)  # (M,)
    h = x + s(z @ W1)  # (D,)
    g = s(h @ w2)
    dL_dh = (g - y) * g * (1 - g) * w2  # (a): (g - y) g (1 - g) w_2,j
    dL_dW1 = np.outer(z, dL_dh * s(z @ W1) * (1 - s(z @ W1)))  # (b)

    def L_of_h(hh):
        return 0.5 * (s(hh @ w2) - y) ** 2

    assert check_formula(L_of_h, lambda hh: dL_dh, h).passed

    def L_of_W1(W):
        return 0.5 * (s((x + s(z @ W)) @ w2) - y) ** 2

    assert check_formula(L_of_W1, lambda W: dL_dW1, W1.copy()).passed
    inner = Chain([Affine(W0), Sigmoid(), Affine(W1.copy()), Sigmoid()])
    chain = Chain([Residual(inner), Affine(w2), Sigmoid()])
    loss = SquaredError(half=True, reduction="sum")
    loss.forward(chain.forward(x[None]), np.array([y]))
    chain.backward(loss.backward())
    assert_allclose(chain.grads["residual.affine1.W"], dL_dW1, rtol=1e-12)


def test_softmax_cross_entropy_gradient(rng):  # notes: d(-log q_y)/dtheta = x^T (q - y)
    X, Y = rng.normal(size=(6, 3)), one_hot(rng.integers(0, 4, 6), 4)

    def L(T):
        Z = X @ T
        return -np.sum(Y * (Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))))

    def dL(T):
        Z = np.exp(X @ T)
        return X.T @ (Z / Z.sum(axis=1, keepdims=True) - Y)

    assert check_formula(L, dL, rng.normal(size=(3, 4))).passed


def test_two_layer_network_gradient(
    rng,
):  # notes (ANN): x^T (((q - y) V^T) * z (1 - z))
    X, Y = rng.normal(size=(5, 3)), one_hot(rng.integers(0, 3, 5), 3)
    V = rng.normal(size=(4, 3))

    def forward(W):
        z = expit(X @ W)
        Q = np.exp(z @ V)
        return z, Q / Q.sum(axis=1, keepdims=True)

    def L(W):
        return -np.sum(Y * np.log(forward(W)[1]))

    def dL(W):
        z, q = forward(W)
        return X.T @ (((q - Y) @ V.T) * z * (1 - z))

    assert check_formula(L, dL, rng.normal(size=(3, 4))).passed


def test_gaussian_mle_is_least_squares(rng):  # Problem 4: w = (X^T X)^-1 X^T y
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    w_mle = np.linalg.solve(X.T @ X, X.T @ y)

    def neg_log_p(w, sigma=0.7):
        r = y - X @ w
        return 0.5 * len(y) * np.log(2 * np.pi * sigma**2) + r @ r / (2 * sigma**2)

    def grad(w, sigma=0.7):
        return -X.T @ (y - X @ w) / sigma**2

    assert check_formula(neg_log_p, grad, rng.normal(size=3)).passed
    assert_allclose(grad(w_mle), 0.0, atol=1e-10)  # the gradient vanishes at w_MLE
    assert_allclose(w_mle, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)


def test_ols_covariance_is_sigma2_inverse_gram_exactly(rng):  # §11, Gaussian
    from lingrad.models import LinearRegression

    N, sigma, reps = 40, 0.5, 4000
    X = rng.normal(size=(N, 2))
    Xt = np.column_stack([np.ones(N), X])
    w = np.array([1.0, -2.0, 0.5])
    E = rng.normal(scale=sigma, size=(reps, N))
    W = np.linalg.lstsq(Xt, (Xt @ w + E).T, rcond=None)[0].T  # (reps, 3) estimates
    theory = sigma**2 * np.linalg.inv(Xt.T @ Xt)
    d = np.sqrt(np.diag(theory))
    # sample covariance of 4000 draws: relative error ~ sqrt(2/4000) = 2.2%
    assert np.max(np.abs(np.cov(W.T) - theory) / np.outer(d, d)) < 0.1
    y = Xt @ w + E[0]
    s = LinearRegression().fit(X, y).summary(X, y)
    s2 = np.sum((y - Xt @ s.coef) ** 2) / (N - 3)
    assert_allclose(s.se, np.sqrt(s2 * np.diag(np.linalg.inv(Xt.T @ Xt))), rtol=1e-12)


def test_logistic_covariance_is_the_inverse_fisher_information(rng):  # §11, Bernoulli
    N, reps = 400, 600
    X = np.column_stack([np.ones(N), rng.normal(size=(N, 2))])
    w = np.array([0.3, 1.0, -0.8])
    p = expit(X @ w)
    fisher = X.T @ (X * (p * (1 - p))[:, None])

    def loglik(v, y):
        z = X @ v
        return float(np.sum(y * z - np.logaddexp(0, z)))

    # the Hessian of ℓ by central differences is -I (free of y)
    y0 = (rng.random(N) < p).astype(float)
    h, H = 1e-4, np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            plus = loglik(w + e_i + e_j, y0) + loglik(w - e_i - e_j, y0)
            minus = loglik(w + e_i - e_j, y0) + loglik(w - e_i + e_j, y0)
            H[i, j] = (plus - minus) / (4 * h * h)
    assert_allclose(-H, fisher, rtol=1e-4)
    estimates = []
    for _ in range(reps):  # Newton on each simulated y
        y = (rng.random(N) < p).astype(float)
        v = np.zeros(3)
        for _ in range(25):
            q = expit(X @ v)
            v = v + np.linalg.solve(X.T @ (X * (q * (1 - q))[:, None]), X.T @ (y - q))
        estimates.append(v)
    theory = np.linalg.inv(fisher)
    d = np.sqrt(np.diag(theory))
    assert (
        np.max(np.abs(np.cov(np.array(estimates).T) - theory) / np.outer(d, d)) < 0.15
    )
