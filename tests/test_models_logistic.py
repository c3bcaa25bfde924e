"""LogisticRegression and BipolarSigmoidClassifier: the exact L2 objective
against scikit-learn, accuracy of every solver, labels, weights, sparsity."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_expit
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lingrad.models.bipolar import BipolarSigmoidClassifier
from lingrad.models.logistic import LogisticRegression


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    return _scaled(load_breast_cancer)


@pytest.fixture(scope="module")
def wine():
    return _scaled(load_wine)


def sklearn_objective(coef, intercept, X, y, C, s=None):
    """scikit-learn's L2 logistic J: ``C Σ s log-loss + ½ ‖w‖²`` (y in {0, 1})."""
    z = X @ np.ravel(coef) + np.ravel(intercept)[0]
    log_loss = -(y * log_expit(z) + (1 - y) * log_expit(-z))
    s = np.ones(len(y)) if s is None else s
    return C * float(s @ log_loss) + 0.5 * float(np.ravel(coef) @ np.ravel(coef))


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
@pytest.mark.parametrize("weighted", [False, True])
def test_reaches_sklearn_l2_objective_within_1e8(cancer, solver, weighted):
    """alpha = 1 / (2 C Σ s): ours (1/Σs) Σ s J0 + alpha‖w‖², times 1/(2 alpha)."""
    X, y = cancer
    s = np.random.default_rng(0).uniform(0.5, 2, size=len(y)) if weighted else None
    C = 1.0
    alpha = 1.0 / (2 * C * (len(y) if s is None else s.sum()))
    ref = SkLogisticRegression(C=C, tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=s)
    model = LogisticRegression(solver=solver, alpha=alpha, tol=1e-10, max_iter=1000)
    model.fit(X, y, sample_weight=s)
    F_ref = sklearn_objective(ref.coef_, ref.intercept_, X, y, C, s)
    F = sklearn_objective(model.coef_, model.intercept_, X, y, C, s)
    assert abs(F - F_ref) <= 1e-8 * F_ref
    assert_allclose(model.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


CLASSIFIER_SETTINGS = [
    (LogisticRegression, {"solver": "sgd", "max_iter": 20}),
    (LogisticRegression, {"solver": "minibatch", "lr": 0.1, "max_iter": 100}),
    (LogisticRegression, {"solver": "batch", "lr": 1.0, "max_iter": 300}),
    (LogisticRegression, {"solver": "lbfgs", "loss": "squared"}),
    (LogisticRegression, {"solver": "minibatch", "loss": "squared", "lr": 0.1}),
    (BipolarSigmoidClassifier, {"solver": "sgd", "max_iter": 20}),
    (BipolarSigmoidClassifier, {"solver": "batch", "lr": 1.0, "max_iter": 300}),
    (BipolarSigmoidClassifier, {"solver": "lbfgs"}),
]


@pytest.mark.parametrize(("cls", "params"), CLASSIFIER_SETTINGS)
@pytest.mark.parametrize("dataset", ["cancer", "wine"])
def test_accuracy_within_1pct_of_sklearn(request, dataset, cls, params):
    X, y = request.getfixturevalue(dataset)
    ref = SkLogisticRegression().fit(X, y).score(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of fixed budgets
        model = cls(random_state=0, **params).fit(X, y)
    assert model.score(X, y) >= ref - 0.01
    assert model.coef_.shape == ((1, 30) if dataset == "cancer" else (3, 13))


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "lr": 0.01, "max_iter": 30},
        {"solver": "minibatch", "lr": 0.1, "max_iter": 100},
        {"solver": "batch", "lr": 1.0, "max_iter": 500},
    ],
    ids=lambda p: p["solver"],
)
def test_digits_one_vs_rest_within_1pct_of_sklearn(params):
    """Ten one-vs-rest columns trained together by the engine, on held-out digits,
    with scikit-learn's penalty (C = 1, so alpha = 1 / (2 C N))."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    ref = OneVsRestClassifier(SkLogisticRegression()).fit(X_tr, y_tr).score(X_te, y_te)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets
        alpha = 1 / (2 * len(y_tr))
        model = LogisticRegression(alpha=alpha, random_state=0, **params)
        model.fit(X_tr, y_tr)
    assert model.coef_.shape == (10, 64)
    assert model.score(X_te, y_te) >= ref - 0.01


def test_one_vs_rest_probabilities_match_sklearn(wine):
    X, y = wine
    C = 1.0
    ref = OneVsRestClassifier(SkLogisticRegression(C=C, tol=1e-10)).fit(X, y)
    model = LogisticRegression(alpha=1 / (2 * C * len(y)), tol=1e-10).fit(X, y)
    assert_allclose(model.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert_array_equal(model.predict(X), ref.predict(X))
    assert model.history_.n_epochs == model.t_  # every column's iterations


@pytest.mark.parametrize(
    "labels", [["ham", "spam"], [1, 2], [-1, 1], [True, False], [-1.0, 1.0]]
)
@pytest.mark.parametrize("cls", [LogisticRegression, BipolarSigmoidClassifier])
def test_any_label_set(cancer, labels, cls):
    X, y = cancer
    y_any = np.asarray(labels)[y]
    model = cls().fit(X, y_any)
    assert_array_equal(model.classes_, np.unique(y_any))
    pred = model.predict(X)
    assert pred.dtype == y_any.dtype and set(pred) <= set(labels)
    assert_array_equal(model.predict(X) == y_any, cls().fit(X, y).predict(X) == y)
    assert model.decision_function(X).shape == (len(y),)


def test_binary_probabilities_and_decision(cancer):
    X, y = cancer
    model = LogisticRegression().fit(X, y)
    P = model.predict_proba(X)
    z = model.decision_function(X)
    assert_allclose(P[:, 1], 1 / (1 + np.exp(-z)))
    assert_allclose(P.sum(axis=1), 1.0)
    assert_array_equal(model.predict(X), (z > 0).astype(int))
    assert_allclose(model.predict_log_proba(X), np.log(P))
    assert not hasattr(BipolarSigmoidClassifier(), "predict_proba")


@pytest.mark.parametrize("cls", [LogisticRegression, BipolarSigmoidClassifier])
def test_scores_keep_the_input_dtype(cancer, cls):
    X, y = cancer
    model = cls().fit(X, y)  # float64 parameters
    X32 = X.astype(np.float32)
    assert model.decision_function(X32).dtype == np.float32
    assert_allclose(
        model.decision_function(X32), model.decision_function(X), rtol=1e-4, atol=1e-4
    )


def test_class_weight_equals_sample_weight(cancer):
    X, y = cancer
    by_class = LogisticRegression(class_weight={0: 3.0, 1: 0.5}).fit(X, y)
    by_sample = LogisticRegression().fit(X, y, sample_weight=np.where(y == 0, 3, 0.5))
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-6)
    balanced = LogisticRegression(class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    s = (len(y) / (2 * counts))[y]
    assert_allclose(balanced.coef_, LogisticRegression().fit(X, y, s).coef_)


def test_integer_weight_equals_repetition(cancer):
    """Weights are rescaled to mean 1: weight 2 is the example twice (penalty kept)."""
    X, y = cancer
    X, y = X[:100], y[:100]
    s = np.r_[np.full(50, 2), np.ones(50)]
    weighted = LogisticRegression(alpha=1e-2, tol=1e-10).fit(X, y, sample_weight=s)
    Xr, yr = np.r_[X[:50], X], np.r_[y[:50], y]
    repeated = LogisticRegression(alpha=1e-2, tol=1e-10).fit(Xr, yr)
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)


@pytest.mark.parametrize(
    ("solver", "params"),
    [("lbfgs", {}), ("batch", {"lr": 1.0, "max_iter": 300}), ("sgd", {"lr": 0.01})],
)
def test_l1_zeroes_irrelevant_features(solver, params):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 8))
    y = (X[:, :3] @ np.array([2.0, -2.0, 1.5]) + 0.5 * rng.normal(size=300)) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        l1 = LogisticRegression(solver=solver, penalty="l1", alpha=0.05,
                                random_state=0, **params).fit(X, y)  # fmt: skip
        l2 = LogisticRegression(solver=solver, penalty="l2", alpha=0.05,
                                random_state=0, **params).fit(X, y)  # fmt: skip
    assert np.all(l1.coef_[0, 3:] == 0.0) and np.all(l1.coef_[0, :3] != 0.0)
    assert np.all(l2.coef_ != 0.0)
    assert l1.score(X, y) > 0.9


def test_newton_needs_a_smooth_convex_objective(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="newton"):
        LogisticRegression(solver="newton", loss="squared").fit(X, y)
    with pytest.raises(ValueError, match="newton"):
        LogisticRegression(solver="newton", penalty="l1").fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        BipolarSigmoidClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        LogisticRegression(loss="hinge").fit(X, y)


def test_one_class_is_an_error(cancer):
    X, _ = cancer
    with pytest.raises(ValueError, match="2 classes"):
        LogisticRegression().fit(X[:5], np.ones(5))


def test_partial_fit_with_classes(cancer):
    X, y = cancer
    model = LogisticRegression(solver="sgd", schedule="invscaling", random_state=0)
    model.partial_fit(X[:10], y[:10] * 0 + 1, classes=[0, 1])  # one label seen
    for _ in range(3):
        model.partial_fit(X, y)
    assert_array_equal(model.classes_, [0, 1])
    assert model.t_ == 10 + 3 * len(y) and model.n_iter_ == 4
    assert np.all(np.diff(model.history_.step_lr) < 0)
    assert model.score(X, y) > 0.95
    assert not np.isnan(model.history_.epoch_accuracy).any()
    with pytest.raises(ValueError, match="classes_"):
        model.partial_fit(X[:3], [0, 1, 7])


def test_bipolar_gradient_is_the_homework_rule(rng):
    """dJ/dw = (1/N) Σ (f - y)(1 - f²)/2 · x for J = (1/N) Σ ½ (f - y)² (Problem 3)."""
    X = rng.normal(size=(20, 3))
    y_pm = np.where(rng.normal(size=20) > 0, 1.0, -1.0)
    model = BipolarSigmoidClassifier(solver="batch", max_iter=3, tol=None)
    model.fit(X, y_pm)
    problem = model.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    f = chain.forward(X)
    loss.forward(f, y_pm[:, None])
    chain.backward(loss.backward())
    w, b = model.coef_[0], model.intercept_[0]
    z = X @ w + b
    f_hand = (1 - np.exp(-z)) / (1 + np.exp(-z))
    assert_allclose(f[:, 0], f_hand)
    dJ_dw = ((f_hand - y_pm) * (1 - f_hand**2) / 2) @ X / len(X)
    assert_allclose(chain.grads["affine.W"][:, 0], dJ_dw)


def test_logistic_squared_is_the_notes_mse(rng):
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression(loss="squared", penalty="none").fit(X, y)
    problem = model.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert [n.name for n in chain.nodes] == ["affine", "sigmoid"]
    pred = chain.forward(X)[:, 0]
    assert_allclose(pred, model.predict_proba(X)[:, 1])
    J = loss.forward(pred[:, None], y[:, None])
    assert J == pytest.approx(np.mean(0.5 * (pred - y) ** 2))


def test_pipeline_grid_search_cross_val_and_dataframe(cancer):
    pd = pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    grid = GridSearchCV(pipe, {"logisticregression__alpha": [1e-4, 1e-2]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.95
    bipolar = make_pipeline(StandardScaler(), BipolarSigmoidClassifier())
    scores = cross_val_score(bipolar, X, y, cv=3)
    assert scores.min() > 0.9
    model = LogisticRegression(solver="newton").fit(pd.DataFrame(cancer[0],
                                                    columns=X.columns), y)  # fmt: skip
    assert list(model.feature_names_in_) == list(X.columns)
