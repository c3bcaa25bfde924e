"""Estimator hygiene: hyperparameters checked like scikit-learn's, parameters a solver
ignores announced, partial_fit that says why not, and no NaN from huge inputs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation

from lingrad.errors import DataError, LingradError, UnusedParameterWarning
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

ALL = [
    LinearRegression, LogisticRegression, BipolarSigmoidClassifier, Perceptron,
    MulticlassPerceptron, SoftmaxRegression, TwoLayerNetwork, ResidualNetwork,
]  # fmt: skip
X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [1.0, 3.0], [2.0, 0.0]])
Y = np.array([0, 0, 1, 1, 0, 1])


def _y(cls: type) -> np.ndarray:
    return X @ [1.0, -1.0] if cls is LinearRegression else Y


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_scikit_learn_parameter_validation(cls: type) -> None:
    """scikit-learn's own check: a constraint per parameter, each enforced in fit
    (and partial_fit) with its InvalidParameterError."""
    solver = {} if cls in (Perceptron, MulticlassPerceptron) else {"solver": "sgd"}
    check_param_validation(cls.__name__, cls(**solver))


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("alpha", -1.0), ("alpha", np.nan), ("alpha", np.inf), ("lr", 0.0),
        ("lr", np.nan), ("l1_ratio", 1.5), ("batch_size", 0), ("solver", "magic"),
        ("penalty", "l3"), ("max_iter", 0),
    ],
)  # fmt: skip
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_invalid_values_raise_at_fit(cls: type, param: str, value: Any) -> None:
    model = cls(**{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of"):
        model.fit(X, _y(cls))
    assert not hasattr(model, "n_features_in_")  # refused before anything ran


def test_a_parameter_another_module_adds_is_not_validated() -> None:
    model = LinearRegression()
    model.experimental = "anything"  # e.g. a newer option, without a table entry
    constraints = model._parameter_constraints
    assert set(constraints) == set(model.get_params())
    assert constraints["alpha"] != "no_validation"


# ------------------------------------------------------- unused parameters


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (LogisticRegression(lr=0.5), ["lr=0.5"]),
        (
            LinearRegression(lr=0.5, schedule="invscaling"),
            ["lr=0.5", "schedule='invscaling'"],
        ),
        (SoftmaxRegression(solver="newton", batch_size=8), ["batch_size=8"]),
        (LinearRegression(solver="sgd", batch_size=8), ["batch_size=8"]),
    ],
    ids=["lbfgs-lr", "normal-lr-schedule", "newton-batch", "sgd-batch"],
)
def test_a_parameter_the_solver_ignores_warns_once(
    model: Any, named: list[str]
) -> None:
    with pytest.warns(UnusedParameterWarning) as record:
        warnings.simplefilter("ignore", category=Warning)
        warnings.simplefilter("always", category=UnusedParameterWarning)
        model.fit(X, _y(type(model)))
    assert len(record) == 1
    message = str(record[0].message)
    assert f"solver={model.solver!r}" in message and all(n in message for n in named)
    assert issubclass(UnusedParameterWarning, UserWarning)


def test_used_parameters_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedParameterWarning)
        warnings.simplefilter("ignore", UserWarning)
        LinearRegression(solver="minibatch", lr=1e-3, batch_size=4, max_iter=2).fit(
            X, X[:, 0]
        )
        LogisticRegression(solver="sgd", lr=0.5, schedule="invscaling").fit(X, Y)
        LogisticRegression(lr=0.01).fit(X, Y)  # the default is not "set"


# ----------------------------------------------------------------- partial_fit


@pytest.mark.parametrize(
    "model",
    [LinearRegression(), LogisticRegression(), SoftmaxRegression(solver="newton")],
    ids=["normal", "lbfgs", "newton"],
)
def test_partial_fit_names_the_solvers_that_have_it(model: Any) -> None:
    assert not hasattr(model, "partial_fit")  # scikit-learn's duck typing still works
    with pytest.raises(
        AttributeError, match="iterative solver .'sgd', 'minibatch'"
    ) as info:
        model.partial_fit(X, _y(type(model)))
    assert isinstance(info.value, LingradError)
    assert f"solver={model.solver!r}" in str(info.value)


def test_partial_fit_keeps_the_classes_of_its_first_call() -> None:
    model = LogisticRegression(solver="sgd", random_state=0)
    model.partial_fit(X, Y, classes=[0, 1, 2])
    model.partial_fit(X, Y, classes=[2, 1, 0])  # the same set, in any order
    with pytest.raises(ValueError, match=r"classes=\[0, 1\] differs .* \[0, 1, 2\]"):
        model.partial_fit(X, Y, classes=[0, 1])
    assert list(model.classes_) == [0, 1, 2]


# ------------------------------------------------------------- huge inputs


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_an_overflowing_row_is_an_error_not_nan(cls: type) -> None:
    """A row of ±1e308: a DataError naming the row, or (where the model saturates,
    as the network's sigmoids do) finite outputs; never NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(random_state=0).fit(X, _y(cls))
    huge = np.vstack([X[:2], [[1e308, -1e308]], [[1e308, 1e308]]])
    errors = 0
    for method in ("predict", "predict_proba", "decision_function"):
        if not hasattr(model, method):
            continue
        try:
            out = np.asarray(getattr(model, method)(huge))
        except DataError as e:
            assert "row 2 overflow" in str(e) or "row 3 overflow" in str(e)
            errors += 1
        else:
            assert out.dtype.kind != "f" or np.isfinite(out).all()
    assert errors or cls is TwoLayerNetwork


def test_one_vs_rest_probabilities_stay_finite_far_from_every_class() -> None:
    model = LogisticRegression().fit(X, [0, 1, 2, 0, 1, 2])
    model.coef_, model.intercept_ = (
        np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]),
        np.zeros(3),
    )
    far = np.array([[-1e3, -1e3], [-800.0, -900.0]])  # every σ(z) underflows to 0
    P = model.predict_proba(far)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[0], [1 / 3, 1 / 3, 1 / 3])
    assert P[1].argmax() == 0 and P[1, 0] > 0.99
