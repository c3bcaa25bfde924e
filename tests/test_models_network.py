"""TwoLayerNetwork (the notes' ANN) and ResidualNetwork (homework Problem 7)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.datasets import make_blobs, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from lingrad.core.gradcheck import check_chain
from lingrad.core.losses import CrossEntropy, SquaredError, one_hot
from lingrad.core.nodes import Residual, Softmax
from lingrad.core.penalties import L2
from lingrad.models.network import TwoLayerNetwork
from lingrad.models.residual import ResidualNetwork


def xor_data(n=400, seed=0):
    """Four blobs at the corners; the label is the XOR of the signs."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    X = (2 * corners - 1) + rng.normal(scale=0.3, size=(n, 2))
    return X, corners[:, 0] ^ corners[:, 1]


def split(X, y):
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


# ---- TwoLayerNetwork -----------------------------------------------------------
@pytest.mark.parametrize("data", ["xor", "moons"])
def test_two_layer_separates_what_no_line_can(data):
    X, y = xor_data() if data == "xor" else make_moons(300, noise=0.1, random_state=0)
    X_tr, X_te, y_tr, y_te = split(X, y)
    net = TwoLayerNetwork(n_hidden=8, random_state=0).fit(X_tr, y_tr)
    linear = LogisticRegression().fit(X_tr, y_tr)
    assert net.score(X_te, y_te) >= 0.95
    assert linear.score(X_te, y_te) <= 0.9  # the problem really is non-linear


def test_two_layer_learns_with_minibatch_steps():
    X_tr, X_te, y_tr, y_te = split(*xor_data())
    net = TwoLayerNetwork(
        n_hidden=8, solver="minibatch", lr=1.0, max_iter=200, tol=None, random_state=0
    ).fit(X_tr, y_tr)
    assert net.score(X_te, y_te) >= 0.95
    assert net.loss_curve_[-1] < 0.5 * net.loss_curve_[0]
    assert np.isfinite(net.history_.epoch_accuracy).all()


def test_two_layer_attributes_as_sklearn_mlp():
    X, y = make_blobs(50, n_features=3, centers=4, random_state=0)
    net = TwoLayerNetwork(n_hidden=5, random_state=0, max_iter=500).fit(X, y)
    assert [W.shape for W in net.coefs_] == [(3, 5), (5, 4)]
    assert [b.shape for b in net.intercepts_] == [(5,), (4,)]
    q = net.predict_proba(X)
    assert_allclose(q.sum(axis=1), 1.0)
    assert_array_equal(net.classes_[q.argmax(axis=1)], net.predict(X))
    assert_allclose(net.predict_log_proba(X), np.log(q), atol=1e-10)
    # predict_proba is the notes' forward pass, written out by hand
    W, V = net.coefs_
    b, c = net.intercepts_
    assert_allclose(q, softmax(expit(X @ W + b) @ V + c, axis=1), atol=1e-12)


def test_two_layer_backprop_is_the_notes_formula(rng):
    """dJ_dV = zᵀ(q - y)/N, dJ_dW = Xᵀ[((q - y)Vᵀ) ∘ z(1 - z)]/N (the notes' ANN)."""
    X, y = rng.normal(size=(7, 3)), rng.integers(0, 3, size=7)
    net = TwoLayerNetwork(n_hidden=4, fit_intercept=False, random_state=0)
    chain = net._init_chain(3, 3, np.random.RandomState(0), np.float64)
    Y = one_hot(y, 3)
    loss = CrossEntropy(from_logits=True)
    loss.forward(chain.forward(X), Y)
    chain.backward(loss.backward())
    W, V = chain.nodes[0].W, chain.nodes[2].W
    z = expit(X @ W)
    q = softmax(z @ V, axis=1)
    assert_allclose(chain.grads["affine1.W"], z.T @ (q - Y) / 7, atol=1e-14)
    dJ_dW = X.T @ (((q - Y) @ V.T) * z * (1 - z)) / 7
    assert_allclose(chain.grads["affine0.W"], dJ_dW, atol=1e-14)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_two_layer_gradient_check(rng, fit_intercept):
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    net = TwoLayerNetwork(n_hidden=4, fit_intercept=fit_intercept)
    chain = net._init_chain(3, 3, np.random.RandomState(1), np.float64)
    report = check_chain(chain, net._make_loss(), X, one_hot(y, 3), penalty=L2(0.1))
    assert report.passed, str(report)


def test_two_layer_explain_hooks():
    X, y = make_blobs(30, centers=3, random_state=1)
    net = TwoLayerNetwork(n_hidden=3, random_state=0, max_iter=500).fit(X, y)
    problem = net.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert isinstance(problem.output_node, Softmax)
    assert_allclose(problem.output_node.forward(chain.forward(X)), net.predict_proba(X))
    trace = chain.trace(X[0], loss, one_hot(y[:1], 3))
    assert [step.name for step in trace.steps] == ["affine0", "sigmoid", "affine1"]
    assert trace.steps[0].grads["W"].shape == (2, 3)


def test_two_layer_warm_start_and_partial_fit():
    X, y = xor_data(120)
    params = {"n_hidden": 4, "solver": "sgd", "shuffle": False, "tol": None}
    once = TwoLayerNetwork(max_iter=4, random_state=0, **params).fit(X, y)
    warm = TwoLayerNetwork(max_iter=2, warm_start=True, random_state=0, **params)
    warm.fit(X, y).fit(X, y)
    assert_allclose(warm.coefs_[0], once.coefs_[0], atol=1e-12)
    stepped = TwoLayerNetwork(random_state=0, **params)
    for _ in range(4):
        stepped.partial_fit(X, y, classes=[0, 1])
    assert_allclose(stepped.coefs_[1], once.coefs_[1], atol=1e-12)
    assert stepped.t_ == once.t_ == 480


# ---- ResidualNetwork -------------------------------------------------------------
def homework_gradients(X, y, W0, W1, w2):
    """Problem 7 by hand: (a) dL/dh_j and (b) dL/dw_{1,d,m}, for L = ½ Σ (g - y)².

    Per example: δ = (g - y) g (1 - g); dL/dh = δ w₂; with u = σ(W₁ᵀz),
    dL/dW₁[m, d] = Σ_i δ_i w₂_d u_id (1 - u_id) z_im.
    """
    z = expit(X @ W0)  # (N, M)
    u = expit(z @ W1)  # (N, D)
    h = X + u
    g = expit(h @ w2)[:, 0]  # (N,)
    delta = (g - y) * g * (1 - g)  # (N,)
    dL_dh = delta[:, None] * w2[:, 0]  # (N, D)   (a)
    dL_dW1 = z.T @ (dL_dh * u * (1 - u))  # (M, D)   (b)
    return g, dL_dh, dL_dW1


def test_residual_is_the_homework_network(rng):
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 2, size=9)
    net = ResidualNetwork(n_hidden=4)  # fit_intercept=False: no biases at all
    chain = net._init_chain(3, 1, np.random.RandomState(0), np.float64)
    assert list(chain.params) == [
        "residual.affine0.W",
        "residual.affine1.W",
        "affine.W",
    ]
    W0, W1 = chain.params["residual.affine0.W"], chain.params["residual.affine1.W"]
    w2 = chain.params["affine.W"]
    loss = SquaredError(half=True, reduction="sum")  # the homework's L
    g = chain.forward(X)
    loss.forward(g, y[:, None].astype(float))
    chain.backward(loss.backward())
    g_hand, dL_dh, dL_dW1 = homework_gradients(X, y, W0, W1, w2)
    assert_allclose(g[:, 0], g_hand, atol=1e-14)
    assert_allclose(chain.grads["residual.affine1.W"], dL_dW1, atol=1e-13)
    # (a): the gradient reaching h is what the last affine passes back
    residual_out = chain.nodes[0].forward(X)
    out = chain.nodes[2].forward(chain.nodes[1].forward(residual_out))
    loss.forward(out, y[:, None].astype(float))
    dL_dh_chain = chain.nodes[1].backward(chain.nodes[2].backward(loss.backward()))
    assert_allclose(dL_dh_chain, dL_dh, atol=1e-14)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_residual_gradient_check(rng, fit_intercept):
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=(8, 1)).astype(float)
    net = ResidualNetwork(n_hidden=5, fit_intercept=fit_intercept)
    chain = net._init_chain(3, 1, np.random.RandomState(2), np.float64)
    assert isinstance(chain.nodes[0], Residual)
    report = check_chain(chain, net._make_loss(), X, y, penalty=L2(0.05))
    assert report.passed, str(report)
    assert len(chain.params) == (6 if fit_intercept else 3)


def test_residual_beats_a_linear_model_on_moons():
    X, y = make_moons(300, noise=0.1, random_state=0)
    X_tr, X_te, y_tr, y_te = split(X, y)
    net = ResidualNetwork(n_hidden=16, random_state=0).fit(X_tr, y_tr)
    linear = LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te)
    assert net.score(X_te, y_te) >= 0.95
    assert net.score(X_te, y_te) >= linear + 0.05
    assert [W.shape for W in net.coefs_] == [(2, 16), (16, 2), (2, 1)]
    assert all(not b.any() for b in net.intercepts_)  # bias-free by default


def test_residual_probabilities_and_labels():
    X, y = make_moons(80, noise=0.1, random_state=1)
    labels = np.array([-1, 1])
    net = ResidualNetwork(n_hidden=8, random_state=0).fit(X, labels[y])
    assert_array_equal(net.classes_, [-1, 1])
    proba = net.predict_proba(X)
    assert proba.shape == (80, 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(
        proba[:, 1],
        net.training_problem(start="fitted").chain.forward(X)[:, 0],
        atol=1e-12,
    )
    decision = net.decision_function(X)
    assert_array_equal(net.predict(X), labels[(decision > 0).astype(int)])
    assert_array_equal(net.predict(X), labels[(proba[:, 1] > 0.5).astype(int)])


def test_residual_is_binary_only():
    X, y = make_blobs(30, centers=3, random_state=0)
    with pytest.raises(ValueError, match="Only binary classification is supported."):
        ResidualNetwork().fit(X, y)
    assert ResidualNetwork().__sklearn_tags__().classifier_tags.multi_class is False


def test_residual_iterative_solvers_learn():
    X, y = make_moons(200, noise=0.1, random_state=2)
    params = {"n_hidden": 8, "tol": None, "random_state": 0}
    batch = ResidualNetwork(solver="batch", lr=2.0, max_iter=300, **params).fit(X, y)
    assert batch.loss_curve_[-1] < batch.loss_curve_[0]
    stepped = ResidualNetwork(solver="sgd", lr=0.5, **params)
    stepped.partial_fit(X, y)
    t = stepped.t_
    stepped.partial_fit(X, y)
    assert stepped.t_ == t + 200  # one step per example, the clock continues
