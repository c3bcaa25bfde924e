"""The loader's value rules declared as data (templates, parameter rules): each still
refuses a tampered file with one line naming the attribute and what it must be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from lingrad.errors import ModelFileError
from lingrad.models import LinearRegression, LogisticRegression
from lingrad.persist.modelfile import Limits, load, save
from modelfiles import parts, refused, write

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 3))
X[::7, 1] = np.nan
Y = X[:, 0] > 0


def _node(tree: Any, cls: str) -> dict[str, Any]:
    """The first estimator node of class ``cls`` in a model.json tree."""
    if isinstance(tree, dict):
        if tree.get("class") == cls and "state" in tree:
            return tree
        tree = list(tree.values())
    for item in tree if isinstance(tree, list) else []:
        if found := _node(item, cls):
            return found
    return {}


def _edited(tmp_path: Path, model: Any, cls: str, part: str, edit: Any) -> Path:
    """``model`` saved, then the ``part`` ("state" or "params") of its first
    ``cls`` node edited in place (``edit(dict)``)."""
    source, path = tmp_path / "source.lingrad", tmp_path / "edited.lingrad"
    save(model, source)
    doc, members = parts(source)
    edit(_node(doc["model"], cls)[part])
    return write(path, doc, members)


def clf() -> LogisticRegression:
    return LogisticRegression(solver="sgd", max_iter=1, tol=None, random_state=0)


COLUMNS = Pipeline([
    ("ct", ColumnTransformer([("s", StandardScaler(), [0, 2]), ("d", "drop", [1])])),
    ("m", LinearRegression(max_iter=2, random_state=0)),
])  # fmt: skip
IMPUTED = Pipeline([
    ("imp", SimpleImputer()), ("m", clf())
])  # fmt: skip


@pytest.mark.parametrize(
    ("attr", "value", "words"),
    [
        ("sparse_output_", "yes", "sparse_output_ must be a boolean"),
        ("output_indices_", {"__dict__": [["s", 1]]}, "must map names to slices"),
        ("_remainder", [1], "_remainder must be a (name, transformer, columns)"),
        ("_columns", 5, "_columns must be a list"),
    ],
)
def test_a_column_transformer_with_malformed_fitted_state_isrefused(
    tmp_path: Path, attr: str, value: Any, words: str
) -> None:
    with np.errstate(invalid="ignore"):
        model = COLUMNS.fit(np.nan_to_num(X), X[:, 0])
    path = _edited(
        tmp_path, model, "ColumnTransformer", "state", lambda s: s.update({attr: value})
    )
    refused(path, words)


def test_a_column_transformer_without_its_fitted_state_isrefused(
    tmp_path: Path,
) -> None:
    model = COLUMNS.fit(np.nan_to_num(X), X[:, 0])
    path = _edited(
        tmp_path, model, "ColumnTransformer", "state", lambda s: s.pop("sparse_output_")
    )
    refused(path, "sparse_output_")


@pytest.mark.parametrize(
    ("attr", "value", "words"),
    [
        ("_fit_dtype", "float64", "_fit_dtype must be a dtype"),
        ("_fill_dtype", 3, "_fill_dtype must be a dtype"),
        ("indicator_", 1, "indicator_ must be None"),
    ],
)
def test_an_imputer_with_malformed_private_state_isrefused(
    tmp_path: Path, attr: str, value: Any, words: str
) -> None:
    model = IMPUTED.fit(X, Y)
    path = _edited(
        tmp_path, model, "SimpleImputer", "state", lambda s: s.update({attr: value})
    )
    refused(path, words)


def test_an_imputer_without_its_private_dtypes_still_loads(tmp_path: Path) -> None:
    """An older scikit-learn's imputer has no _fill_dtype: optional in the template."""
    model = IMPUTED.fit(X, Y)
    path = _edited(
        tmp_path, model, "SimpleImputer", "state", lambda s: s.pop("_fill_dtype")
    )
    assert not hasattr(load(path).steps[0][1], "_fill_dtype")


def test_a_hashing_width_left_to_its_default_is_held_to_the_limit(
    tmp_path: Path,
) -> None:
    """A file without n_features gets HashingVectorizer's default, 2**20 columns:
    the caller's max_text_features bounds that too."""
    docs = ["a cat", "a dog", "the end", "a cat sat"] * 3
    model = Pipeline([
        ("v", HashingVectorizer(n_features=2**20)),
        ("m", clf()),
    ]).fit(docs, np.arange(12) % 2)  # fmt: skip
    path = _edited(
        tmp_path, model, "HashingVectorizer", "params", lambda p: p.pop("n_features")
    )
    assert load(path).steps[0][1].n_features == 2**20
    refused(
        path, "n_features", "max_text_features", limits=Limits(max_text_features=2**19)
    )


def test_a_tfidf_transformer_wider_than_the_text_limit_isrefused(
    tmp_path: Path,
) -> None:
    counts = RNG.integers(0, 3, size=(20, 40)).astype(float)
    model = Pipeline([
        ("t", TfidfTransformer()), ("m", clf())
    ]).fit(counts, np.arange(20) % 2)  # fmt: skip
    path = tmp_path / "tfidf.lingrad"
    save(model, path)
    np.testing.assert_array_equal(load(path).predict(counts), model.predict(counts))
    refused(
        path, "n_features_in_", "max_text_features", limits=Limits(max_text_features=39)
    )


POLY = Pipeline([
    ("poly", PolynomialFeatures(2)), ("m", LinearRegression(max_iter=2, random_state=0))
])  # fmt: skip


def test_a_polynomial_degree_stored_as_a_float_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    """An integral NumPy float passes the integer rule but is no degree: refused
    with one line naming the attribute (not a damaged-file TypeError)."""
    model = POLY.fit(np.nan_to_num(X), X[:, 0])
    degree = {"__np__": "<f8", "value": 2.0}
    path = _edited(
        tmp_path, model, "PolynomialFeatures", "state",
        lambda s: s.update({"_max_degree": degree}),
    )  # fmt: skip
    refused(path, "_max_degree must be an integer")


def test_a_history_that_is_not_a_history_is_refused_at_save(tmp_path: Path) -> None:
    model = clf().fit(np.nan_to_num(X), Y)
    model.history_ = {"epoch_loss": [1.0]}
    with pytest.raises(ModelFileError, match=r"cannot save model\.history_: it is"):
        save(model, tmp_path / "m.lingrad")
    assert not (tmp_path / "m.lingrad").exists()
