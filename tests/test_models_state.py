"""The estimators' public fitted state: ``training_state()`` / ``restore_fitted``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from lingrad.models import (
    LinearRegression,
    LogisticRegression,
    Perceptron,
    SoftmaxRegression,
)
from lingrad.solvers.rows import ArrayRows


def _fitted_copy(est: LogisticRegression) -> LogisticRegression:
    """A new estimator holding ``est``'s public fitted attributes only."""
    new = clone(est)
    for key, value in vars(est).items():
        if key.endswith("_") and not key.startswith("_"):
            setattr(new, key, copy.deepcopy(value))
    return new


def test_restore_fitted_with_training_state_continues_exactly() -> None:
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    est = LogisticRegression(
        solver="minibatch", optimizer="adam", max_iter=3, tol=None, random_state=0
    ).fit(X, y)
    state = est.training_state()
    assert state is not None and state["t"] == est.t_ > 0
    new = _fitted_copy(est)
    new.restore_fitted((4, 1), copy.deepcopy(state))
    for model in (est, new):
        model.partial_fit(X, y)
    assert new.coef_.tobytes() == est.coef_.tobytes()
    assert new.intercept_.tobytes() == est.intercept_.tobytes()


def test_restore_fitted_refuses_another_optimizers_state() -> None:
    X, y = make_classification(
        n_samples=40, n_features=3, n_informative=2, n_redundant=0, random_state=1
    )
    est = LogisticRegression(
        solver="sgd", optimizer="adam", max_iter=2, tol=None, random_state=0
    ).fit(X, y)
    state = copy.deepcopy(est.training_state())
    assert state is not None
    state["optimizer"]["class"] = "Momentum"
    with pytest.raises(ValueError, match="stored for a different one"):
        _fitted_copy(est).restore_fitted((3, 1), state)


def test_training_state_is_none_without_an_iterative_fit() -> None:
    X, y = make_classification(
        n_samples=40, n_features=3, n_informative=2, n_redundant=0, random_state=2
    )
    est = LogisticRegression(solver="lbfgs", max_iter=200).fit(X, y)
    assert est.training_state() is None
    assert np.isfinite(est.coef_).all()


@pytest.mark.parametrize(
    "make",
    [LogisticRegression, SoftmaxRegression, Perceptron],
    ids=lambda c: c.__name__,
)
def test_encode_targets_gives_the_targets_fit_trains_on(make: type) -> None:
    X, y = make_classification(
        n_samples=30, n_features=4, n_classes=3 if make is SoftmaxRegression else 2,
        n_informative=3, n_redundant=0, random_state=3,
    )  # fmt: skip
    est = make(solver="sgd", max_iter=1, tol=None, random_state=0)
    Y = est.training_problem(X, y).Y
    y_idx = np.searchsorted(est.classes_, y)
    assert Y is not None and Y.shape[0] == 30
    assert_array_equal(est.encode_targets(y_idx, np.float64), Y)


def test_set_target_ndim_1_squeezes_what_fit_rows_fits() -> None:
    X, y = make_regression(n_samples=40, n_features=3, noise=0.1, random_state=4)
    reference = LinearRegression(solver="normal").fit(X, y)
    est = LinearRegression(solver="normal")
    est.n_features_in_ = 3
    est.set_target_ndim(1)  # fit_rows sees (N, 1) targets only
    est.fit_rows(ArrayRows(X, y.reshape(-1, 1)))
    assert est.coef_.shape == (3,) and np.ndim(est.intercept_) == 0
    assert_allclose(est.coef_, reference.coef_, rtol=1e-10)
    est.set_target_ndim(2)
    est.fit_rows(ArrayRows(X, y.reshape(-1, 1)))
    assert est.coef_.shape == (1, 3)
    with pytest.raises(ValueError, match="y must be 1-D"):
        est.set_target_ndim(3)


def test_forget_training_drops_the_trainer_and_keeps_the_fit() -> None:
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2,
                               n_redundant=0, random_state=5)  # fmt: skip
    est = LogisticRegression(solver="sgd", max_iter=2, tol=None, random_state=0)
    est.fit(X, y)
    before = est.decision_function(X)
    assert est.training_state() is not None
    assert est.forget_training() is est
    assert est.training_state() is None
    assert_array_equal(est.decision_function(X), before)
    t = est.t_
    est.partial_fit(X, y)  # continues from the fitted parameters
    assert est.t_ > t


def test_restore_fitted_refuses_another_schedules_state() -> None:
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2,
                               n_redundant=0, random_state=6)  # fmt: skip
    est = LogisticRegression(solver="sgd", max_iter=2, tol=None, random_state=0)
    state = copy.deepcopy(est.fit(X, y).training_state())
    assert state is not None and state["schedule"]["class"] == "Constant"
    state["schedule"]["state"] = {"lr": "fast"}
    with pytest.raises(ValueError, match="trainer.schedule: Constant.lr: holds"):
        _fitted_copy(est).restore_fitted((3, 1), copy.deepcopy(state))
    state["schedule"]["class"] = "Adaptive"
    with pytest.raises(ValueError, match="trainer.schedule: stored for a different"):
        _fitted_copy(est).restore_fitted((3, 1), state)
