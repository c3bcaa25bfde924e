"""Estimator hygiene: hyperparameters checked like scikit-learn's, parameters a solver
ignores announced, partial_fit that says why not, and no NaN from huge inputs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from lingrad.errors import (
    DataError,
    InvalidParameterError,
    LingradError,
    UnusedParameterWarning,
)
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
from lingrad.models._classifier import prepare_sample_weight
from lingrad.models.params import check_params, constraints_of

ALL = [
    LinearRegression, LogisticRegression, BipolarSigmoidClassifier, Perceptron,
    MulticlassPerceptron, SoftmaxRegression, TwoLayerNetwork, ResidualNetwork,
]  # fmt: skip
X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [1.0, 3.0], [2.0, 0.0]])
Y = np.array([0, 0, 1, 1, 0, 1])


def _y(cls: type) -> np.ndarray:
    return X @ [1.0, -1.0] if cls is LinearRegression else Y


class _BadType:
    """A value of no type any parameter takes (scikit-learn's check uses one)."""


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_parameter_is_in_the_table_and_enforced_in_fit_and_partial_fit(
    cls: type,
) -> None:
    """As scikit-learn's ``check_param_validation``: each parameter has an entry,
    and a value of no valid type is refused by fit and partial_fit, by name."""
    solver = {} if cls in (Perceptron, MulticlassPerceptron) else {"solver": "sgd"}
    model = cls(**solver)
    assert set(constraints_of(model)) == set(model.get_params())
    for param in model.get_params():
        bad = cls(**{**solver, param: _BadType()})
        for method in ("fit", "partial_fit"):
            with pytest.raises(
                InvalidParameterError,
                match=rf"^The '{param}' parameter of {cls.__name__} must be .* "
                r"Got <.*_BadType object at .*> instead\.$",
            ):
                getattr(bad, method)(X, _y(cls))


@pytest.mark.parametrize(
    ("param", "value", "must"),
    [
        ("lr", 0.0, "a float in the range (0.0, inf)"),
        ("lr", np.inf, "a float in the range (0.0, inf)"),
        ("lr", "fast", "a float in the range (0.0, inf)"),
        ("alpha", -1, "a float in the range [0.0, inf)"),
        ("alpha", np.nan, "a float in the range [0.0, inf)"),
        ("l1_ratio", 1.5, "a float in the range [0.0, 1.0]"),
        ("validation_fraction", 1.0, "a float in the range (0.0, 1.0)"),
        ("tol", -1e-3, "a float in the range [0.0, inf] or None"),
        ("batch_size", 0, "an int in the range [1, inf)"),
        ("max_iter", 2.0, "an int in the range [1, inf)"),
        ("n_iter_no_change", 0, "an int in the range [1, inf)"),
        ("snapshot_every", 0, "an int in the range [1, inf) or None"),
        ("verbose", -1, "an int in the range [0, inf) or a bool"),
        ("solver", "magic", "a str among {'batch', 'lbfgs', 'minibatch', 'newton', "
         "'sgd'}"),
        ("penalty", "l3", "a str among {'elasticnet', 'l1', 'l2', 'none'} or None"),
        ("engine", "gpu", "a str among {'auto', 'compiled', 'nodes'}"),
        ("loss", "hinge", "a str among {'log', 'squared'}"),
        ("fit_intercept", "yes", "a bool"),
        ("shuffle", "columns", "a bool or a str among {'blocks', 'rows'}"),
        ("random_state", -1, "an int in the range [0, 4294967295], a "
         "numpy.random.RandomState or None"),
        ("schedule", 3, "a str among {'adaptive', 'constant', 'exponential', "
         "'inverse_time', 'invscaling', 'step'} or a callable"),
        ("optimizer", object(), "a str among {'adam', 'gd', 'momentum', "
         "'nesterov', 'sgd'} or an object implementing 'step'"),
        ("class_weight", "even", "a dict, a str among {'balanced'} or None"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "",
)  # fmt: skip
def test_each_constraint_kind_refuses_a_bad_value_naming_parameter_and_class(
    param: str, value: Any, must: str
) -> None:
    model = LogisticRegression(**{param: value})
    with pytest.raises(InvalidParameterError) as info:
        check_params(model)
    assert str(info.value) == (
        f"The {param!r} parameter of LogisticRegression must be {must}. "
        f"Got {value!r} instead."
    )


def test_the_invalid_parameter_error_is_a_value_and_a_type_error() -> None:
    with pytest.raises(InvalidParameterError) as info:
        LogisticRegression(alpha=-1).fit(X, Y)
    assert str(info.value) == (
        "The 'alpha' parameter of LogisticRegression must be a float in the range "
        "[0.0, inf). Got -1 instead."
    )
    for kind in (LingradError, ValueError, TypeError):
        assert isinstance(info.value, kind)


class _Step:
    def step(self, params: Any, grads: Any) -> None:
        """An optimizer of one's own: anything with a ``step``."""


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("lr", 1e-9), ("lr", 1), ("alpha", 0), ("alpha", np.float32(0.5)),
        ("l1_ratio", 0), ("l1_ratio", 1.0), ("validation_fraction", 0.5),
        ("tol", None), ("tol", np.inf), ("tol", 0), ("batch_size", np.int64(3)),
        ("max_iter", 1), ("snapshot_every", None), ("snapshot_every", 2),
        ("verbose", True), ("verbose", 2), ("solver", "newton"), ("penalty", None),
        ("penalty", "elasticnet"), ("engine", "nodes"), ("loss", "squared"),
        ("fit_intercept", np.bool_(False)), ("shuffle", "blocks"),
        ("shuffle", False), ("random_state", None), ("random_state", 2**32 - 1),
        ("random_state", np.random.RandomState(0)), ("schedule", "step"),
        ("schedule", lambda t: 1.0), ("optimizer", "adam"), ("optimizer", _Step()),
        ("class_weight", {0: 2.0}), ("class_weight", "balanced"),
        ("class_weight", None),
    ],
)  # fmt: skip
def test_valid_values_pass(param: str, value: Any) -> None:
    check_params(LogisticRegression(**{param: value}))  # raises nothing


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


class _Newer(LinearRegression):
    """A subclass with a parameter the table does not know."""

    def __init__(self, *, experimental: Any = None, alpha: float = 0.0) -> None:
        self.experimental = experimental
        self.alpha = alpha


def test_a_parameter_without_a_table_entry_is_not_checked() -> None:
    assert set(constraints_of(_Newer())) == {"alpha"}
    check_params(_Newer(experimental=_BadType()))  # anything goes
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of _Newer"):
        check_params(_Newer(alpha=-1.0))


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ([1.0, 2.0], r"sample_weight.shape == \(2,\), expected \(6,\)"),
        (np.ones((6, 1)), "Sample weights must be 1D array or scalar, got 2D"),
        ([1.0, -1.0, 1.0, 1.0, 1.0, 1.0], "Negative values in data passed to"),
        (np.zeros(6), "Sample weights must contain at least one non-zero number"),
        ([1.0, np.nan, 1.0, 1.0, 1.0, 1.0], "sample_weight contains NaN"),
    ],
    ids=["length", "2d", "negative", "all-zero", "nan"],
)
def test_bad_sample_weights_are_refused_as_scikit_learn_does(
    weights: Any, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        LogisticRegression().fit(X, Y, sample_weight=weights)


def test_sample_weights_scale_to_mean_one() -> None:
    s = prepare_sample_weight(np.array([1, 1, 2, 2, 1, 1]), X)
    assert s is not None and s.dtype == X.dtype
    np.testing.assert_allclose(s, np.array([1, 1, 2, 2, 1, 1]) * 6 / 8)
    np.testing.assert_allclose(prepare_sample_weight(3.0, X), np.ones(6))


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
