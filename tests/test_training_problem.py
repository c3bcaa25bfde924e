"""``training_problem``: the public view of what an estimator's fit trains."""

from __future__ import annotations

import numpy as np
import pytest

from lingrad.models import LinearRegression, LogisticRegression, Perceptron
from lingrad.training.step import objective


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, np.where(X[:, 0] + 0.3 * X[:, 1] > 0, "yes", "no")


def test_the_problems_trainer_fit_is_the_estimators_fit():
    X, y = _data()
    kw = dict(solver="sgd", penalty="l1", alpha=0.01, max_iter=3, tol=None)
    est = LogisticRegression(random_state=0, **kw)
    problem = est.training_problem(X, y)
    assert problem.Y.shape == (40, 1) and set(np.unique(problem.Y)) == {0.0, 1.0}
    problem.trainer.fit(problem.X, problem.Y, max_iter=3, tol=None,
                        n_correct=problem.n_correct)  # fmt: skip
    est.adopt_trainer(problem.trainer, (3, 1), 3)
    ref = LogisticRegression(random_state=0, **kw).fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))
    est.partial_fit(X, y)  # the adopted trainer continues
    ref.partial_fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)


def test_the_fitted_problems_objective_is_J_with_the_penalty():
    X, y = _data()
    Xr, yr = X, X @ [1.0, -2.0, 0.5] + 0.1
    est = LinearRegression(solver="normal", penalty="l2", alpha=0.5).fit(Xr, yr)
    p = est.training_problem(Xr, yr, start="fitted")
    J0 = objective(p.chain, p.loss, None, p.X, p.Y)
    w = est.coef_.ravel()
    np.testing.assert_allclose(
        objective(p.chain, p.loss, p.penalty, p.X, p.Y),
        J0 + p.penalty.value(w[:, None]),
    )
    np.testing.assert_allclose(J0, np.mean((yr - est.predict(Xr)) ** 2))  # J0 = mean r²


def test_starts_fresh_draws_with_the_seed_and_refuses_unknown_starts():
    est = Perceptron()
    p = est.training_problem(start="fresh", random_state=0, shape=(3, 1))
    assert p.trainer is not None and p.chain.params["affine.W"].shape == (3, 1)
    assert p.output_node is not None  # the perceptron's Step, shown by explain
    with pytest.raises(ValueError, match="start must be one of"):
        est.training_problem(start="warm")
