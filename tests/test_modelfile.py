"""Model files: exact round trips, atomic writes, and hostile or damaged files."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from lingrad import modelfile
from lingrad.errors import LingradError, ModelFileError
from lingrad.modelfile import load, model_classes, register_model, save


class _History:
    def to_dict(self) -> dict[str, np.ndarray]:
        return {"step_loss": np.ones(3)}


@register_model
class TinyRegressor(RegressorMixin, BaseEstimator):
    """pred = X @ coef_ + intercept_ by least squares (a stand-in estimator)."""

    def __init__(self, *, lr: float = 0.1, fit_intercept: bool = True) -> None:
        self.lr = lr
        self.fit_intercept = fit_intercept

    def fit(self, X: np.ndarray, y: np.ndarray) -> TinyRegressor:
        A = np.hstack([X, np.ones((len(X), 1))])
        theta = np.linalg.lstsq(A, y, rcond=None)[0]
        self.coef_, self.intercept_ = theta[:-1], theta[-1:]
        self.n_features_in_ = X.shape[1]
        self.n_iter_ = np.int64(1)
        self.history_ = _History()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_ + self.intercept_[0]


@register_model
class TinyNet(ClassifierMixin, BaseEstimator):
    """A two-layer tanh net with random weights (exercises lists of arrays)."""

    def __init__(self, hidden=(4,), random_state=0, class_weight=None, tol=np.inf):
        self.hidden = hidden
        self.random_state = random_state
        self.class_weight = class_weight
        self.tol = tol

    def fit(self, X, y):
        rng = np.random.default_rng(self.random_state)
        self.classes_ = np.unique(y)
        sizes = [X.shape[1], *self.hidden, len(self.classes_)]
        self.coefs_ = [rng.normal(size=s) for s in zip(sizes, sizes[1:], strict=False)]
        self.intercepts_ = [rng.normal(size=k) for k in sizes[1:]]
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.array([f"f{j}" for j in range(X.shape[1])], object)
        self.loss_curve_ = [0.9, 0.5, 0.25]
        return self

    def predict(self, X):
        a = X
        for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1], strict=True):
            a = np.tanh(a @ W + b)
        z = a @ self.coefs_[-1] + self.intercepts_[-1]
        return self.classes_[np.argmax(z, axis=1)]


class Unregistered(TinyRegressor):
    pass


def _fitted_net(y: np.ndarray, **params: Any) -> tuple[TinyNet, np.ndarray]:
    X = np.random.default_rng(1).normal(size=(len(y), 3))
    return TinyNet(**params).fit(X, y), X


def _saved(tmp_path: Path) -> Path:
    X = np.random.default_rng(0).normal(size=(10, 3))
    path = tmp_path / "model.lingrad"
    save(TinyRegressor().fit(X, X @ [1.0, 2.0, 3.0] + 0.5), path)
    return path


def _rewrite(
    path: Path,
    meta: Callable[[dict[str, Any]], None] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
    allow_pickle: bool = False,
) -> None:
    """Tamper with a saved model file: edit meta.json, replace arrays.npz."""
    with zipfile.ZipFile(path) as zf:
        content = json.loads(zf.read("meta.json"))
        npz = zf.read("arrays.npz")
    if meta is not None:
        meta(content)
    if arrays is not None:
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=allow_pickle, **arrays)
        npz = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", json.dumps(content))
        zf.writestr("arrays.npz", npz)


def _load_error(path: Path) -> str:
    with pytest.raises(ModelFileError) as info:
        load(path)
    assert isinstance(info.value, LingradError)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    return str(info.value)


# ------------------------------------------------------------------ round trips


@settings(
    deadline=None,
    max_examples=10,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(n=st.integers(4, 20), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_regressor_round_trip_is_bit_identical(
    tmp_path: Path, n: int, d: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    model = TinyRegressor(lr=0.03, fit_intercept=False).fit(X, y)
    save(model, tmp_path / "m.lingrad")
    again = load(tmp_path / "m.lingrad")
    assert type(again) is TinyRegressor
    assert again.get_params() == model.get_params()
    assert_array_equal(again.predict(X), model.predict(X))
    assert again.predict(X).tobytes() == model.predict(X).tobytes()
    assert again.coef_.dtype == model.coef_.dtype and again.n_iter_ == 1
    assert again.n_features_in_ == d


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "emu"], dtype=object),
        np.array(["cat", "dog"]),
        np.array([-1, 1]),
        np.array([0.0, 1.0, 2.0]),
        np.array([False, True]),
    ],
    ids=["object-str", "unicode", "int", "float", "bool"],
)
def test_classifier_round_trip_keeps_classes_and_dtypes(
    tmp_path: Path, labels: np.ndarray
) -> None:
    model, X = _fitted_net(np.resize(labels, 12), hidden=(5, 2), class_weight={0: 2.0})
    save(model, tmp_path / "net.lingrad")
    again = load(tmp_path / "net.lingrad")
    assert again.classes_.dtype == model.classes_.dtype
    assert_array_equal(again.classes_, model.classes_)
    assert_array_equal(again.predict(X), model.predict(X))
    assert again.get_params() == model.get_params()  # tuples, dicts and inf survive
    assert isinstance(again.hidden, tuple) and again.tol == np.inf
    assert [W.shape for W in again.coefs_] == [(3, 5), (5, 2), (2, len(labels))]
    assert list(again.feature_names_in_) == ["f0", "f1", "f2"]
    assert again.loss_curve_ == [0.9, 0.5, 0.25]


def test_history_is_not_stored(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    assert not hasattr(load(path), "history_")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "meta.json"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        meta = json.loads(zf.read("meta.json"))
    assert meta["format_version"] == 1 and meta["estimator"] == "TinyRegressor"
    assert "history_" not in json.dumps(meta)


def test_same_model_gives_the_same_bytes(tmp_path: Path) -> None:
    first = _saved(tmp_path).read_bytes()
    assert _saved(tmp_path).read_bytes() == first


def test_registry() -> None:
    classes = model_classes()
    assert classes["TinyRegressor"] is TinyRegressor and classes["TinyNet"] is TinyNet
    assert "Unregistered" not in classes


# ------------------------------------------------------------------ saving


def test_save_refuses_what_it_cannot_restore(tmp_path: Path) -> None:
    X = np.ones((3, 1)) * [[1], [2], [3]]
    with pytest.raises(ModelFileError, match="not fitted"):
        save(TinyRegressor(), tmp_path / "a.lingrad")
    with pytest.raises(ModelFileError, match="not a lingrad estimator"):
        save(Unregistered().fit(X, X[:, 0]), tmp_path / "b.lingrad")
    with pytest.raises(ModelFileError, match="cannot save lr = "):
        save(TinyRegressor(lr=object()).fit(X, X[:, 0]), tmp_path / "c.lingrad")  # type: ignore[arg-type]
    model = TinyRegressor().fit(X, X[:, 0])
    model.coef_[0] = np.nan
    with pytest.raises(ModelFileError, match="coef_ holds NaN or infinite"):
        save(model, tmp_path / "d.lingrad")
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved(tmp_path)
    before = path.read_bytes()

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(modelfile.os, "replace", fail)
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(LingradError, match="cannot write .*No space left"):
        save(TinyRegressor().fit(X, X[:, 0]), path)
    with pytest.raises(LingradError):
        save(TinyRegressor().fit(X, X[:, 0]), tmp_path / "new.lingrad")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.lingrad"]


# ------------------------------------------------------------------ hostile files


def test_pickle_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path.touch, (marker,))

    path = tmp_path / "model.lingrad"
    path.write_bytes(pickle.dumps(Payload()))
    assert "looks like a Python pickle" in _load_error(path)
    assert not marker.exists()


def test_truncated_zip(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    content = path.read_bytes()
    for cut in (len(content) // 2, len(content) - 10):
        path.write_bytes(content[:cut])
        assert "truncated or corrupted" in _load_error(path)


def test_corrupted_member(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    content = bytearray(path.read_bytes())
    start = content.index(b"format_version")
    content[start : start + 6] = b"XXXXXX"  # CRC no longer matches
    path.write_bytes(bytes(content))
    assert "damaged model file" in _load_error(path)


def test_not_a_zip_empty_missing_and_folder(tmp_path: Path) -> None:
    (tmp_path / "text.lingrad").write_text("coef = 1\n")
    assert "not a lingrad model file (not a zip" in _load_error(
        tmp_path / "text.lingrad"
    )
    (tmp_path / "empty.lingrad").write_bytes(b"")
    assert "is empty" in _load_error(tmp_path / "empty.lingrad")
    assert "not found" in _load_error(tmp_path / "nope.lingrad")
    assert "is a folder" in _load_error(tmp_path)


def test_foreign_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "no meta.json" in _load_error(tmp_path / "other.zip")


def test_object_array_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    evil = np.array([{"a": 1}, None], dtype=object)
    _rewrite(path, arrays={"coef_": evil, "intercept_": np.zeros(1)}, allow_pickle=True)
    assert "holds Python objects, which lingrad never loads" in _load_error(path)


def test_garbage_arrays_member(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    with zipfile.ZipFile(path) as zf:
        meta = zf.read("meta.json")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", meta)
        zf.writestr("arrays.npz", b"garbage")
    assert "arrays.npz is damaged" in _load_error(path)


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"coef_": np.array([1.0, np.nan, 2.0])}, "coef_ holds NaN or infinite"),
        ({"coef_": np.array([1.0, np.inf, 2.0])}, "coef_ holds NaN or infinite"),
        ({"coef_": np.ones(3, dtype=complex)}, "coef_ has dtype complex128"),
        ({"coef_": np.ones(4)}, "coef_ has shape (4,)"),
        ({"coef_": np.array(["a", "b", "c"])}, "coef_ has dtype <U1"),
        ({}, "arrays.npz does not match meta.json"),
    ],
)
def test_tampered_arrays(
    tmp_path: Path, arrays: dict[str, np.ndarray], words: str
) -> None:
    path = _saved(tmp_path)
    _rewrite(path, arrays={"intercept_": np.zeros(1), **arrays})
    assert words in _load_error(path)


def test_unknown_estimator_class(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, meta=lambda m: m.update(estimator="os.system"))
    message = _load_error(path)
    assert (
        "unknown estimator class 'os.system'" in message and "TinyRegressor" in message
    )


def test_future_format_version(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, meta=lambda m: m.update(format_version=2, lingrad_version="9.0"))
    message = _load_error(path)
    assert "format 2" in message and "upgrade lingrad" in message and "9.0" in message


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda m: m.update(format_version="1"), "not a lingrad model file"),
        (lambda m: m.update(format_version=0), "invalid format_version 0"),
        (lambda m: m.pop("params"), "damaged model file"),
        (lambda m: m.update(params={"lr": {"__code__": "x"}}), "damaged model file"),
        (lambda m: m.update(params={"alpha": 1.0}), "do not fit TinyRegressor"),
        (lambda m: m["scalars"].update(__class__=1), "bad attribute name"),
        (lambda m: m["scalars"].update(coef_=1), "share a name"),
        (lambda m: m.update(classes={"values": [[1, 2]], "dtype": "<i8"}), "classes"),
        (lambda m: m.update(classes={"values": [1], "dtype": "<c16"}), "classes"),
        (lambda m: m.update(feature_names_in=[1, 2, 3]), "non-strings"),
    ],
)
def test_tampered_meta(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], words: str
) -> None:
    path = _saved(tmp_path)
    _rewrite(path, meta=edit)
    assert words in _load_error(path)


def test_meta_not_json(tmp_path: Path) -> None:
    path = tmp_path / "m.lingrad"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", b"\x80\x04not json")
        zf.writestr("arrays.npz", b"")
    assert "damaged model file" in _load_error(path)


def test_nan_in_a_loss_curve_is_kept(tmp_path: Path) -> None:
    X = np.arange(8.0).reshape(4, 2)
    model = TinyRegressor().fit(X, X[:, 0])
    model.loss_curve_ = np.array([2.0, np.nan, 0.5])
    save(model, tmp_path / "m.lingrad")
    assert_array_equal(load(tmp_path / "m.lingrad").loss_curve_, [2.0, np.nan, 0.5])
