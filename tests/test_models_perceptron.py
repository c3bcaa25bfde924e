"""Perceptron and MulticlassPerceptron: the rules step for step, against hand loops
and scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.linear_model import Perceptron as SkPerceptron

from lingrad.core.losses import PerceptronCriterion
from lingrad.core.nodes import Step
from lingrad.models.perceptron import MulticlassPerceptron, Perceptron


def separable_binary(seed, n=60, d=2, margin=0.5):
    """Points at least ``margin`` away from a random hyperplane, labelled by side."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    X = rng.normal(scale=3.0, size=(4 * n, d)) + rng.normal(size=d)
    z = X @ w / np.linalg.norm(w)
    z -= np.quantile(z, rng.uniform(0.3, 0.7))  # both classes, an offset b
    X, z = X[np.abs(z) > margin][:n], z[np.abs(z) > margin][:n]
    return X, (z > 0).astype(int)


def hand_perceptron(X, y, lr, epochs, s=None):
    """The lectures' loop: pred = [xᵀw + b ≥ 0]; w ← w + lr (y - pred) x."""
    w, b = np.zeros(X.shape[1]), 0.0
    s = np.ones(len(X)) if s is None else s
    path = []
    for _ in range(epochs):
        for x_i, y_i, s_i in zip(X, y, s, strict=True):
            path.append(np.append(w, b))
            pred = float(x_i @ w + b >= 0)
            w = w + lr * s_i * (y_i - pred) * x_i
            b = b + lr * s_i * (y_i - pred)
    return np.array(path), w, b


def lingrad_path(model):
    """(w, b) before every step, from the History snapshots (snapshot_every=1)."""
    params = model.history_.params
    W, b = params["affine.W"][:, :, 0], params["affine.b"]
    return np.hstack([W, b])


# ---- binary perceptron -------------------------------------------------------
@settings(deadline=None, max_examples=10, derandomize=True)
@given(st.integers(0, 2**16))
def test_separable_data_reach_full_training_accuracy(seed):
    X, y = separable_binary(seed)
    # Stopping is scikit-learn's (no gain > tol for n_iter_no_change epochs);
    # 10 epochs of patience outlast the mistakes of a margin-0.5 set.
    clf = Perceptron(n_iter_no_change=10, random_state=seed).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.loss_curve_[-1] == 0.0  # no mistakes left: the criterion is 0


@pytest.mark.parametrize("lr", [1.0, 0.3])
def test_per_sample_rule_matches_a_hand_loop(lr):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 3))
    y = (X[:, 0] + 0.8 * rng.normal(size=25) > 0).astype(int)  # not separable
    clf = Perceptron(lr=lr, shuffle=False, max_iter=4, tol=None, snapshot_every=1)
    clf.fit(X, y)
    path, w, b = hand_perceptron(X, y, lr, epochs=4)
    assert clf.t_ == len(path) == 100
    assert_allclose(lingrad_path(clf), path, rtol=0, atol=1e-12)
    assert_allclose(clf.coef_[0], w, rtol=0, atol=1e-12)
    assert_allclose(clf.intercept_, [b], rtol=0, atol=1e-12)


def test_batch_rule_sums_the_mistakes():
    """solver="batch": θ ← θ + lr Σ (y - pred) x (summed over the batch, not a mean)."""
    X, y = separable_binary(5, n=30)
    clf = Perceptron(solver="batch", lr=0.5, max_iter=3, tol=None).fit(X, y)
    w, b = np.zeros(2), 0.0
    for _ in range(3):
        err = y - (X @ w + b >= 0)
        w, b = w + 0.5 * X.T @ err, b + 0.5 * err.sum()
    assert_allclose(clf.coef_[0], w, atol=1e-12)
    assert_allclose(clf.intercept_[0], b, atol=1e-12)


def test_class_weight_scales_each_step():
    X, y = separable_binary(7, n=20)
    y[:3] = 1 - y[:3]  # a few mistakes that stay
    clf = Perceptron(shuffle=False, max_iter=2, tol=None, class_weight={0: 1, 1: 3})
    clf.fit(X, y)
    s = np.where(y == 1, 3.0, 1.0)
    s *= len(s) / s.sum()  # weights rescaled to mean 1 (as every classifier)
    _, w, b = hand_perceptron(X, y, 1.0, epochs=2, s=s)
    assert_allclose(clf.coef_[0], w, atol=1e-12)
    assert_allclose(clf.intercept_[0], b, atol=1e-12)


def test_matches_sklearn_on_a_separable_set():
    X, y = separable_binary(11, n=200, margin=1.0)
    X_train, y_train, X_test = X[:150], y[:150], X[150:]
    ours = Perceptron(random_state=0).fit(X_train, y_train)
    theirs = SkPerceptron(random_state=0).fit(X_train, y_train)
    assert ours.score(X_train, y_train) == theirs.score(X_train, y_train) == 1.0
    assert_array_equal(ours.predict(X_test), theirs.predict(X_test))


def test_any_label_set_through_classes_():
    X, y = separable_binary(2)
    for labels in (np.array([-1, 1]), np.array([1, 2]), np.array(["no", "yes"])):
        clf = Perceptron(random_state=0).fit(X, labels[y])
        assert_array_equal(clf.classes_, labels)
        assert_array_equal(clf.predict(X), labels[y])
        assert clf.decision_function(X).shape == (len(X),)


def test_binary_only():
    X, y = make_blobs(30, centers=3, random_state=0)
    with pytest.raises(ValueError, match="Only binary classification is supported."):
        Perceptron().fit(X, y)
    assert Perceptron().__sklearn_tags__().classifier_tags.multi_class is False


def test_zero_score_predicts_the_positive_class():
    clf = Perceptron().fit([[1.0], [-1.0]], [1, 0])
    clf.coef_[:] = 0.0
    clf.intercept_[:] = 0.0
    assert clf.predict([[5.0]])[0] == 1  # pred = [z >= 0], as the lectures


def test_partial_fit_continues_like_fit():
    X, y = separable_binary(4, n=40)
    fitted = Perceptron(shuffle=False, max_iter=3, tol=None).fit(X, y)
    stepped = Perceptron(shuffle=False)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=[0, 1])
    assert_allclose(stepped.coef_, fitted.coef_, atol=1e-12)
    assert stepped.t_ == fitted.t_ == 120
    assert stepped.n_iter_ == 3
    assert len(stepped.history_.epoch_loss) == 3


def test_warm_start_continues_from_the_fit():
    X, y = separable_binary(9, n=40)
    once = Perceptron(shuffle=False, max_iter=4, tol=None).fit(X, y)
    twice = Perceptron(shuffle=False, max_iter=2, tol=None, warm_start=True)
    twice.fit(X, y).fit(X, y)
    assert_allclose(twice.coef_, once.coef_, atol=1e-12)
    assert twice.t_ == once.t_


def test_chain_and_output_for_explain():
    X, y = separable_binary(1)
    clf = Perceptron(random_state=0).fit(X, y)
    problem = clf.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert isinstance(loss, PerceptronCriterion)
    assert isinstance(problem.output_node, Step)
    z = chain.forward(X)  # the criterion's input
    assert_array_equal(problem.output_node.forward(z)[:, 0], clf.predict(X))
    trace = chain.trace(X[0], loss, [y[0]])
    assert trace.J == 0.0  # separable: the fitted model makes no mistake


# ---- multi-class perceptron --------------------------------------------------
def hand_multiclass(X, y, K, lr, epochs):
    """For a mistake: θ_y += lr x̃ and θ_argmax -= lr x̃ (x̃ = [x, 1])."""
    theta = np.zeros((K, X.shape[1] + 1))
    Xt = np.hstack([X, np.ones((len(X), 1))])
    path = []
    for _ in range(epochs):
        for x_i, y_i in zip(Xt, y, strict=True):
            path.append(theta.copy())
            j = int(np.argmax(theta @ x_i))
            if j != y_i:
                theta[y_i] += lr * x_i
                theta[j] -= lr * x_i
    return np.array(path), theta


@settings(deadline=None, max_examples=10, derandomize=True)
@given(st.integers(0, 2**16))
def test_multiclass_separable_blobs_reach_full_accuracy(seed):
    centers = [[0.0, 4.0], [4.0, 0.0], [-4.0, -4.0]]
    X, y = make_blobs(90, centers=centers, cluster_std=0.8, random_state=seed)
    clf = MulticlassPerceptron(random_state=seed).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.coef_.shape == (3, 2) and clf.intercept_.shape == (3,)
    assert clf.__sklearn_tags__().classifier_tags.multi_class is True


@pytest.mark.parametrize("lr", [1.0, 0.25])
def test_multiclass_rule_matches_a_hand_loop(lr):
    X, y = make_blobs(30, centers=4, cluster_std=2.5, random_state=3)
    clf = MulticlassPerceptron(lr=lr, shuffle=False, max_iter=3, tol=None)
    clf.set_params(snapshot_every=1).fit(X, y)
    path, theta = hand_multiclass(X, y, 4, lr, epochs=3)
    W, b = clf.history_.params["affine.W"], clf.history_.params["affine.b"]
    ours = np.concatenate([W.transpose(0, 2, 1), b[:, :, None]], axis=2)  # (S, K, D1)
    assert_allclose(ours, path, rtol=0, atol=1e-12)
    assert_allclose(np.hstack([clf.coef_, clf.intercept_[:, None]]), theta, atol=1e-12)


def test_multiclass_update_touches_two_rows_only():
    clf = MulticlassPerceptron(shuffle=False, max_iter=1, tol=None)
    clf.fit([[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [2, 0, 1])
    # x̃ = [1, 2, 1], y = 2: scores [0, 0, 0], argmax 0: θ_2 += x̃, θ_0 -= x̃
    # x̃ = [0, 0, 1], y = 0: scores [-1, 0, 1], argmax 2: θ_0 += x̃, θ_2 -= x̃
    # x̃ = [3, 0, 1], y = 1: scores [-3, 0, 3], argmax 2: θ_1 += x̃, θ_2 -= x̃
    expected = np.array([[-1.0, -2.0, 0.0], [3.0, 0.0, 1.0], [-2.0, 2.0, -1.0]])
    assert_allclose(np.hstack([clf.coef_, clf.intercept_[:, None]]), expected)


def test_multiclass_labels_and_two_classes():
    X, y = make_blobs(40, centers=2, cluster_std=0.5, random_state=2)
    labels = np.array(["cat", "dog"])
    clf = MulticlassPerceptron(random_state=0).fit(X, labels[y])
    assert clf.coef_.shape == (2, 2)  # two competing rows, not one
    assert_array_equal(clf.predict(X), labels[y])
    scores = clf.decision_function(X)
    assert scores.shape == (40,)
    assert_array_equal(clf.classes_[(scores > 0).astype(int)], clf.predict(X))


# ---- the hinge loss: a linear SVM ----------------------------------------------
@pytest.fixture
def overlapping():
    """Two overlapping classes: some points inside the margin at every epoch."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    y = (X @ [1.0, -1.0, 0.5] + 0.8 * rng.normal(size=80) > 0.2).astype(int)
    return X, np.where(y == 1, "yes", "no")


@pytest.mark.parametrize("engine", ["nodes", "compiled"])
def test_hinge_epochs_match_sklearn_sgdclassifier(overlapping, engine):
    """Per-sample hinge steps in data order are scikit-learn's linear SVM: its
    shrink ``w (1 - eta a)`` is lingrad's ``alpha ‖w‖²`` with alpha = a / 2."""
    from sklearn.linear_model import SGDClassifier

    X, y = overlapping
    lr, a = 0.05, 0.02
    ours = Perceptron(
        loss="hinge", lr=lr, shuffle=False, penalty="l2", alpha=a / 2, max_iter=3,
        tol=None, engine=engine,
    ).fit(X, y)  # fmt: skip
    ref = SGDClassifier(
        loss="hinge", learning_rate="constant", eta0=lr, shuffle=False,
        penalty="l2", alpha=a,
    )  # fmt: skip
    for _ in range(3):
        ref.partial_fit(X, y, classes=["no", "yes"])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10)
    assert_array_equal(ours.predict(X), ref.predict(X))


def test_hinge_is_refused_where_it_is_not_registered(overlapping):
    from lingrad.errors import InvalidParameterError

    X, y = overlapping
    with pytest.raises(InvalidParameterError, match=r"\{'hinge', 'perceptron'\}"):
        Perceptron(loss="huber").fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"\{'perceptron'\}"):
        MulticlassPerceptron(loss="hinge").fit(X, y)


def test_hinge_model_saves_loads_fits_by_cli_and_on_dask(
    overlapping, tmp_path, capsys, client
):
    """The model file keeps the loss; ``lingrad fit --param loss=hinge`` and Dask
    (one partial_fit per block) train the same estimator."""
    import dask.array as da

    from lingrad import load, save
    from lingrad.cli import main
    from lingrad.scale.dask_sgd import block_order, order_seed

    X, y = overlapping
    svm = Perceptron(loss="hinge", penalty="l2", alpha=0.01, lr=0.05, max_iter=2,
                     tol=None, random_state=7)  # fmt: skip
    model = clone(svm).fit(X, y)
    save(model, tmp_path / "svm.lingrad")
    back = load(tmp_path / "svm.lingrad")
    assert back.loss == "hinge"
    assert_array_equal(back.decision_function(X), model.decision_function(X))
    path = tmp_path / "svm.csv"
    rows = [
        f"{a:.17g},{b:.17g},{c:.17g},{t}" for (a, b, c), t in zip(X, y, strict=True)
    ]
    path.write_text("a,b,c,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run = str(tmp_path / "run")
    code = main(["fit", "-d", str(path), "-t", "label", "-m", "perceptron",
                 "--param", "loss=hinge", "--penalty", "l2", "--alpha", "0.01",
                 "--lr", "0.05", "--max-iter", "2", "--tol", "inf", "--no-shuffle",
                 "--no-figures", "--no-compare", "--out", run])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    cli = load(tmp_path / "run" / "model.lingrad")
    assert cli.loss == "hinge"
    ref = clone(svm).set_params(shuffle=False).fit(X, y)
    assert_allclose(cli.coef_, ref.coef_, rtol=1e-12)
    chunks = (30, 1, 49)
    Xd, yd = da.from_array(X, chunks=(chunks, (3,))), da.from_array(y, chunks=chunks)
    ours, ref = clone(svm).fit(Xd, yd), clone(svm)
    bounds = np.cumsum((0, *chunks))
    for epoch in range(2):
        for i in block_order(order_seed(7), epoch, len(chunks)):
            rows_i = slice(bounds[i], bounds[i + 1])
            ref.partial_fit(X[rows_i], y[rows_i], classes=["no", "yes"])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-12)


def test_explain_writes_the_hinge_step_from_the_loss_class():
    from lingrad.models.registry import model_spec
    from lingrad.workflows.render import render
    from lingrad.workflows.walk import walk

    X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1, 0])
    w = walk(model_spec("perceptron"), Perceptron(loss="hinge"), X, y, step=0,
             lr=0.1, seed=0)  # fmt: skip
    text = render(w, "toy", 2)
    # z = 0, t = 1: J = max(0, 1 - 0) = 1, dJ_dz = -1
    assert "J = max(0, 1 - t z) = 1   (t = 2 y - 1)" in text
    assert "dJ_dz = -t [t z <= 1] = -1" in text
