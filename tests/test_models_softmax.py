"""SoftmaxRegression: scikit-learn's multinomial objective, the Hessian, the solvers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.datasets import load_digits, load_wine, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lingrad.core.chain import Chain
from lingrad.core.gradcheck import numerical_grad
from lingrad.core.losses import CrossEntropy, one_hot
from lingrad.core.nodes import Affine, Softmax
from lingrad.models.softmax import SoftmaxRegression, alpha_from_C
from lingrad.solvers.newton_softmax import SoftmaxObjective
from lingrad.solvers.rows import ArrayRows


def sklearn_objective(coef, intercept, X, y, C, sample_weight=None):
    """scikit-learn's multinomial J: ``C Σ s (logsumexp(z) - z_y) + ½ ‖W‖²``."""
    z = X @ coef.T + intercept  # (N, K)
    log_loss = logsumexp(z, axis=1) - z[np.arange(len(y)), y]
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    return C * float(s @ log_loss) + 0.5 * float(np.sum(coef**2))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def sklearn_digits(digits):
    X, y = digits
    return LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10).fit(X, y)


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_matches_sklearn_multinomial_objective(digits, sklearn_digits, solver):
    X, y = digits
    C = 1.0
    alpha = alpha_from_C(C, len(X))  # C Σ log-loss + ½‖W‖² = C N (mean + alpha‖W‖²)
    ours = SoftmaxRegression(solver=solver, alpha=alpha, tol=1e-8, max_iter=1000)
    ours.fit(X, y)
    J_ours = sklearn_objective(ours.coef_, ours.intercept_, X, y, C)
    J_sklearn = sklearn_objective(
        sklearn_digits.coef_, sklearn_digits.intercept_, X, y, C
    )
    assert abs(J_ours - J_sklearn) <= 1e-7  # absolute, on J ≈ 113
    assert_allclose(ours.coef_, sklearn_digits.coef_, atol=1e-3)
    assert_array_equal(ours.predict(X), sklearn_digits.predict(X))
    assert ours.coef_.shape == (10, 64) and ours.intercept_.shape == (10,)


def test_newton_converges_quadratically(digits):
    X, y = digits
    clf = SoftmaxRegression(solver="newton", alpha=1e-3, tol=1e-8).fit(X, y)
    assert clf.n_iter_ <= 12
    assert np.all(np.diff(clf.loss_curve_) <= 1e-12)  # monotone under Armijo


def test_newton_hessian_and_gradient_match_finite_differences(rng):
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 4, size=12)
    s = rng.uniform(0.5, 2.0, size=12)
    Y = one_hot(y, 4)
    chain = Chain([Affine(rng.normal(size=(3, 4)), rng.normal(size=4))])
    objective = SoftmaxObjective(chain, ArrayRows(X, Y, s, chunk_rows=5), l2=0.3)
    theta = objective.pack()
    J, g, H = objective.fgh(theta.copy())
    assert_allclose(objective.hess(theta.copy()), H, rtol=1e-13)

    def grad_at(th):
        return objective.fg(th)[1]

    num_g = numerical_grad(lambda: objective.fg(theta)[0], theta)
    assert_allclose(g, num_g, rtol=1e-6, atol=1e-9)
    num_H = np.empty_like(H)
    eps = 1e-6
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = eps
        num_H[:, j] = (grad_at(theta + e) - grad_at(theta - e)) / (2 * eps)
    assert_allclose(H, num_H, rtol=1e-5, atol=1e-8)
    assert_allclose(H, H.T, atol=1e-14)


def test_newton_step_leaves_the_flat_direction_alone(rng):
    """Adding c to every class's bias keeps q: H is singular there, the step is ⟂."""
    X, y = rng.normal(size=(20, 2)), rng.integers(0, 3, size=20)
    chain = Chain([Affine(np.zeros((2, 3)), np.zeros(3))])
    objective = SoftmaxObjective(chain, ArrayRows(X, one_hot(y, 3)), l2=0.1)
    _, g, H = objective.fgh(objective.pack())
    d = objective.solve(H, g)
    bias_sum = d.reshape(3, 3)[:, 2].sum()
    assert abs(bias_sum) < 1e-12
    assert_allclose(H @ d, -g, atol=1e-12)  # still an exact Newton step


@pytest.mark.parametrize("name", ["digits", "wine"])
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "lr": 0.01, "max_iter": 5},  # 30 on wine: N = 133
        {"solver": "minibatch", "lr": 0.1, "max_iter": 50},
        {"solver": "batch", "lr": 1.0, "max_iter": 300},
    ],
    ids=["sgd", "minibatch", "batch"],
)
def test_iterative_solvers_reach_sklearn_accuracy(name, params):
    X, y = (load_digits if name == "digits" else load_wine)(return_X_y=True)
    if name == "wine" and params["solver"] == "sgd":
        params = {**params, "max_iter": 30}
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    reference = LogisticRegression(C=1.0).fit(X_tr, y_tr).score(X_te, y_te)
    ours = SoftmaxRegression(
        alpha=alpha_from_C(1.0, len(X_tr)), tol=None, random_state=0, **params
    ).fit(X_tr, y_tr)
    assert ours.score(X_te, y_te) >= reference - 0.01
    assert ours.n_iter_ == params["max_iter"]  # tol=None: every epoch runs
    assert len(ours.history_.epoch_loss) == ours.n_iter_


def test_sample_weight_equals_repetition():
    X, y = make_blobs(30, centers=3, cluster_std=2.0, random_state=0)
    w = np.arange(30) % 3  # 0, 1 or 2 copies
    weighted = SoftmaxRegression(solver="newton", tol=1e-10, alpha=1e-2)
    weighted.fit(X, y, sample_weight=w)
    repeated = SoftmaxRegression(solver="newton", tol=1e-10, alpha=1e-2)
    repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-8)


def test_sample_weight_matches_sklearn(rng):
    X, y = make_blobs(40, centers=3, cluster_std=2.0, random_state=1)
    s = rng.uniform(0.2, 3.0, size=40)
    C = 0.5
    sk = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-10)
    sk.fit(X, y, sample_weight=s)
    ours = SoftmaxRegression(solver="newton", alpha=alpha_from_C(C, s.sum()), tol=1e-9)
    ours.fit(X, y, sample_weight=s)
    J_sk = sklearn_objective(sk.coef_, sk.intercept_, X, y, C, s)
    J_ours = sklearn_objective(ours.coef_, ours.intercept_, X, y, C, s)
    assert abs(J_ours - J_sk) <= 1e-7 * J_sk


def test_probabilities_and_decisions():
    X, y = make_blobs(60, centers=3, random_state=2)
    clf = SoftmaxRegression().fit(X, y)
    q = clf.predict_proba(X)
    assert_allclose(q.sum(axis=1), 1.0)
    assert_allclose(np.log(q), clf.predict_log_proba(X), atol=1e-10)
    assert_array_equal(clf.classes_[q.argmax(axis=1)], clf.predict(X))
    assert clf.decision_function(X).shape == (60, 3)
    problem = clf.training_problem(start="fitted")  # explain: scores z, then q
    assert isinstance(problem.output_node, Softmax)
    assert isinstance(problem.loss, CrossEntropy) and problem.loss.from_logits
    assert_allclose(problem.output_node.forward(problem.chain.forward(X)), q)


def test_two_classes_keep_two_columns_and_any_labels():
    X, y = make_blobs(40, centers=2, random_state=3)
    labels = np.array(["spam", "ham"])
    clf = SoftmaxRegression().fit(X, labels[y])
    assert_array_equal(clf.classes_, ["ham", "spam"])
    assert clf.coef_.shape == (2, 2)
    scores = clf.decision_function(X)
    assert scores.shape == (40,)
    assert_array_equal(clf.classes_[(scores > 0).astype(int)], clf.predict(X))


def test_partial_fit_only_for_iterative_solvers():
    X, y = make_blobs(40, centers=3, random_state=4)
    assert not hasattr(SoftmaxRegression(), "partial_fit")
    clf = SoftmaxRegression(solver="minibatch", batch_size=10, shuffle=False)
    clf.partial_fit(X[:20], y[:20], classes=[0, 1, 2])
    clf.partial_fit(X[20:], y[20:])
    assert clf.t_ == 4  # the step counter (and schedule) continues
    assert clf.n_iter_ == 2
    fitted = SoftmaxRegression(
        solver="minibatch", batch_size=10, shuffle=False, max_iter=2, tol=None
    ).fit(X[:20], y[:20])
    twice = SoftmaxRegression(solver="minibatch", batch_size=10, shuffle=False)
    twice.partial_fit(X[:20], y[:20], classes=[0, 1, 2]).partial_fit(X[:20], y[:20])
    assert_allclose(twice.coef_, fitted.coef_, atol=1e-12)


def test_newton_rejects_l1():
    X, y = make_blobs(20, centers=2, random_state=0)
    with pytest.raises(ValueError, match="penalty 'none' or 'l2'"):
        SoftmaxRegression(solver="newton", penalty="l1").fit(X, y)


def test_float32_is_kept():
    X, y = make_blobs(30, centers=3, random_state=5)
    clf = SoftmaxRegression().fit(X.astype(np.float32), y)
    assert clf.coef_.dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "sgd"])
def test_weights_that_leave_one_class_are_refused_naming_it(solver):
    """Zero weight on every example of one class: the unpenalized optimum is at
    infinity, so the fit says why instead of iterating until max_iter."""
    X = np.random.default_rng(0).uniform(size=(10, 3))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=r"at least 2 classes.*class \[1\] only"):
        SoftmaxRegression(solver=solver).fit(X, y, sample_weight=y.astype(float))
