"""The scikit-learn parameters a model file holds, checked by lingrad's own table
(persist/_params.py) at save and at load: never looser than scikit-learn's own
validation, and admitting every option of it a file can hold."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from lingrad.errors import ModelFileError
from lingrad.models import LinearRegression
from lingrad.persist._allowlist import ALLOWED
from lingrad.persist._params import param_problem
from lingrad.persist.modelfile import load, save
from modelfiles import parts, refused, write

SKLEARN = sorted(name for name, spec in ALLOWED.items() if not spec.extra_attrs)

# options scikit-learn takes that a model file refuses by design: never a file
# read by name (input='file'), never a missing-value indicator (not stored)
BY_DESIGN = {
    ("HashingVectorizer", "input"), ("CountVectorizer", "input"),
    ("TfidfVectorizer", "input"), ("SimpleImputer", "add_indicator"),
}  # fmt: skip
CANDIDATES: list[object] = [
    True, False, None, 0, 1, 2, -1, 0.0, 0.5, 1.0, 1.5, -0.5, "auto", "x", "",
    (0, 1), (1, 0), (0.0, 100.0), (5, 5), [], ["a"], [1, 2], {}, {"a": 1.0},
    np.float64(0.25), np.int64(3), np.bool_(True),
]  # fmt: skip


BASE: dict[str, dict[str, object]] = {  # the arguments without a default
    "Pipeline": {"steps": [("s", StandardScaler())]},
    "ColumnTransformer": {"transformers": [("s", StandardScaler(), [0])]},
}


def _sklearn_accepts(name: str, key: str, value: object) -> bool:
    """scikit-learn's own parameter validation (the reference; private to it)."""
    obj = ALLOWED[name].cls(name)(**BASE.get(name, {}))
    setattr(obj, key, value)
    try:
        obj._validate_params()
    except (ValueError, TypeError):
        return False
    return True


def _options(constraints: list[Any]) -> list[object]:
    """The string options, booleans and None a parameter's constraints name."""
    out: list[object] = []
    for c in constraints:
        out += sorted(getattr(c, "options", ())) if hasattr(c, "options") else []
        out += [True, False] if c == "boolean" else []
        out += [None] if c is None else []
    return out


@pytest.mark.parametrize("name", SKLEARN)
def test_every_parameter_of_the_installed_sklearn_has_a_rule(name: str) -> None:
    """No parameter falls back to 'keep its default' on a supported scikit-learn."""
    spec = ALLOWED[name]
    params = inspect.signature(spec.cls(name)).parameters
    assert set(params) - set(spec.params) == set(), name


@pytest.mark.parametrize("name", SKLEARN)
def test_the_rules_are_never_looser_than_sklearn(name: str) -> None:
    spec = ALLOWED[name]
    cls = spec.cls(name)
    for key in inspect.signature(cls).parameters:
        for value in CANDIDATES:
            if param_problem(spec.params, cls, key, value) is None:
                assert _sklearn_accepts(name, key, value), (name, key, value)


@pytest.mark.parametrize("name", SKLEARN)
def test_every_option_sklearn_names_is_admitted(name: str) -> None:
    spec = ALLOWED[name]
    cls = spec.cls(name)
    constraints = cls._parameter_constraints  # the reference's table
    for key, allowed in constraints.items():
        if allowed == "no_validation" or (name, key) in BY_DESIGN:
            continue
        for value in _options(allowed):
            if not _sklearn_accepts(name, key, value):
                continue  # an option it names but refuses alone
            problem = param_problem(spec.params, cls, key, value)
            assert problem is None, (name, key, value, problem)


class Later:
    """A class with a parameter lingrad's table has no rule for (a newer
    scikit-learn's): it must keep its default."""

    def __init__(self, shiny: str = "off") -> None:
        self.shiny = shiny


def test_a_parameter_without_a_rule_must_keep_its_default() -> None:
    assert param_problem({}, Later, "shiny", "off") is None
    problem = param_problem({}, Later, "shiny", "on")
    assert problem is not None and "default 'off'" in problem


X = np.array(
    [[0.0, 1.0, 5.0], [1.0, np.nan, 3.0], [2.0, 2.0, 1.0], [3.0, 0.0, 4.0]] * 5
)
Y = X[:, 0] * 2.0 + 1.0
NON_DEFAULT = Pipeline([
    ("impute", SimpleImputer(strategy="constant", fill_value=0.5,
                             keep_empty_features=True, copy=False)),
    ("columns", ColumnTransformer(
        [("mm", MinMaxScaler(feature_range=(-1.0, 1.0), clip=True), [0]),
         ("rob", RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True), [1]),
         ("std", StandardScaler(with_std=False), [2])],
        sparse_threshold=0.0, n_jobs=1, transformer_weights={"mm": 2.0},
        verbose_feature_names_out=False,
    )),
    ("poly", PolynomialFeatures(degree=(1, 2), include_bias=False, order="F")),
    ("m", LinearRegression(solver="normal")),
], verbose=False)  # fmt: skip


def test_non_default_parameters_save_and_load_with_the_same_predictions(
    tmp_path: Path,
) -> None:
    model = NON_DEFAULT.fit(X, Y)
    save(model, tmp_path / "m.lingrad")
    back = load(tmp_path / "m.lingrad")
    assert back.get_params()["columns__mm__feature_range"] == (-1.0, 1.0)
    assert back.get_params()["poly__degree"] == (1, 2)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("cls", "key", "value", "words"),
    [
        ("StandardScaler", "with_mean", "yes", "must be True or False"),
        ("SimpleImputer", "strategy", "evil", "must be one of ('mean'"),
        ("PolynomialFeatures", "degree", 10**6, "integer in [0, 1000]"),
        ("ColumnTransformer", "sparse_threshold", 2.0, "a number in [0, 1]"),
        ("RobustScaler", "quantile_range", [10, 90], "must be a pair"),
    ],
)
def test_a_tampered_parameter_is_refused_at_load(
    tmp_path: Path, cls: str, key: str, value: object, words: str
) -> None:
    save(NON_DEFAULT.fit(X, Y), tmp_path / "m.lingrad")
    doc, members = parts(tmp_path / "m.lingrad")

    def node(tree: Any) -> dict[str, Any] | None:
        if isinstance(tree, dict):
            if tree.get("class") == cls and "params" in tree:
                return tree
            tree = list(tree.values())
        for item in tree if isinstance(tree, list) else []:
            if (found := node(item)) is not None:
                return found
        return None

    target = node(doc["model"])
    assert target is not None
    target["params"][key] = value
    refused(write(tmp_path / "bad.lingrad", doc, members), f"params['{key}']", words)


def test_save_refuses_a_parameter_the_file_could_not_load_back(tmp_path: Path) -> None:
    model = Pipeline([("t", OneHotEncoder()), ("m", LinearRegression())])
    model.fit(np.array([["a"], ["b"], ["a"]]), [0.0, 1.0, 0.0])
    model.steps[0][1].max_categories = -3  # set after fit: fit never checked it
    with pytest.raises(ModelFileError, match=r"max_categories = -3: must be an"):
        save(model, tmp_path / "m.lingrad")
    assert not (tmp_path / "m.lingrad").exists()
