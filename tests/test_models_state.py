"""The estimators' public fitted state: ``training_state()`` / ``restore_fitted``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from lingrad.models import LogisticRegression


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
