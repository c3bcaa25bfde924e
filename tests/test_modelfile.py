"""Model files: bit-identical round trips of every model and pipeline, training that
continues exactly after a load, the format itself, and format 1 files."""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

import lingrad
from lingrad.errors import LingradError, ModelFileError
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
from lingrad.persist import modelfile
from lingrad.persist.modelfile import load, read_meta, save

MODELS = {
    "linear": lambda: LinearRegression(),
    "logistic": lambda: LogisticRegression(),
    "bipolar": lambda: BipolarSigmoidClassifier(),
    "perceptron": lambda: Perceptron(random_state=0),
    "multiclass-perceptron": lambda: MulticlassPerceptron(random_state=0),
    "softmax": lambda: SoftmaxRegression(),
    "two-layer": lambda: TwoLayerNetwork(n_hidden=4, random_state=0, max_iter=60),
    "residual": lambda: ResidualNetwork(n_hidden=3, random_state=0, max_iter=60),
}
NUMERIC = ["size", "age"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """48 rows: two numeric columns (one with gaps), a city, a label, a number."""
    rng = np.random.default_rng(0)
    size, age = rng.normal(50, 10, 48), rng.normal(0, 1, 48)
    city = rng.choice(["Oslo", "Lima", "Pune"], 48)
    score = (size - 50) / 10 + age + (city == "Lima")
    frame = pd.DataFrame({"size": size, "age": age, "city": city})
    frame["label"] = np.where(score > 0.3, "yes", "no")
    frame["price"] = 3 * size - 2 * age + 10 * (city == "Pune")
    return frame


def _pipeline(kind: str, est: Any) -> tuple[Any, list[str]]:
    """(model, its input columns) for one preprocessing kind."""
    if kind == "plain":
        return est, NUMERIC
    if kind == "scaled":
        return Pipeline([("scale", StandardScaler()), ("model", est)]), NUMERIC
    if kind == "impute":
        return Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("model", est)]
        ), NUMERIC
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(drop="first", sparse_output=False), ["city"]),
        ]
    )
    return Pipeline([("prep", prep), ("model", est)]), [*NUMERIC, "city"]


def _fit(model: Any, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _outputs(model: Any, X: Any) -> list[Any]:
    """Every prediction the model offers: raw bytes (bit-identical or not), or
    the labels of an object array."""
    out = []
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(model, method):
            a = np.asarray(getattr(model, method)(X))
            out.append((a.dtype, a.tolist() if a.dtype == object else a.tobytes()))
    return out


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("kind", ["plain", "scaled", "onehot", "impute"])
@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_is_bit_identical(
    table: pd.DataFrame, tmp_path: Path, name: str, kind: str
) -> None:
    model, columns = _pipeline(kind, MODELS[name]())
    X = table[columns].copy()
    if kind == "impute":
        X.iloc[[2, 7], 0] = np.nan
    y = table["price" if name == "linear" else "label"]
    _fit(model, X, y)
    lingrad.save(model, tmp_path / "m.lingrad")
    back = lingrad.load(tmp_path / "m.lingrad")
    assert type(back) is type(model) and repr(back) == repr(model)
    assert _outputs(back, X) == _outputs(model, X)
    assert list(back.feature_names_in_) == columns


def test_every_allowed_transformer_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0]
    prep = ColumnTransformer(
        [
            ("minmax", MinMaxScaler(feature_range=(-1, 1)), [0]),
            ("robust", RobustScaler(quantile_range=(10.0, 90.0)), [1]),
            ("poly", PolynomialFeatures(2, include_bias=False), [0, 1]),
            ("gone", "drop", [2]),
        ],
        remainder="passthrough",
    )
    ridge = LinearRegression(penalty="l2", alpha=1e-3)  # x0 twice: collinear
    model = Pipeline([("prep", prep), ("model", ridge)]).fit(X, y)
    save(model, tmp_path / "t.lingrad")
    back = load(tmp_path / "t.lingrad")
    assert back.predict(X).tobytes() == model.predict(X).tobytes()
    assert back[0].output_indices_ == model[0].output_indices_
    assert back.named_steps["prep"].named_transformers_["robust"].quantile_range == (
        10.0, 90.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "emu"], dtype=object),
        np.array(["cat", "dog", "emu"]),
        np.array([-1, 3, 7]),
        np.array([0.0, 1.0, 2.0]),
        np.array([False, True]),
    ],
    ids=["object-str", "unicode", "int", "float", "bool"],
)
def test_classes_keep_their_values_and_dtype(
    tmp_path: Path, labels: np.ndarray
) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    y = np.resize(labels, 30)
    model = SoftmaxRegression(class_weight={y[0]: 2.0}).fit(X, y)
    save(model, tmp_path / "c.lingrad")
    back = load(tmp_path / "c.lingrad")
    assert back.classes_.dtype == model.classes_.dtype
    assert_array_equal(back.classes_, model.classes_)
    assert _outputs(back, X) == _outputs(model, X)
    assert back.get_params() == model.get_params()  # a dict parameter survives


def test_multi_output_float32_and_solver_info(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    Y = np.column_stack([X @ [1.0, 2.0, 3.0], X[:, 0]]).astype(np.float32)
    model = LinearRegression(tol=np.inf).fit(X, Y)
    save(model, tmp_path / "f.lingrad")
    back = load(tmp_path / "f.lingrad")
    assert back.coef_.dtype == np.float32 and back.coef_.shape == (2, 3)
    assert back.predict(X).tobytes() == model.predict(X).tobytes()
    assert (
        back.tol == np.inf and back.solver_info_["rank"] == model.solver_info_["rank"]
    )
    assert_array_equal(
        back.solver_info_["singular_values"], model.solver_info_["singular_values"]
    )


def test_long_strings_and_attributes_a_newer_lingrad_adds(tmp_path: Path) -> None:
    long = "x" * 2000  # beyond the short fixed-width unicode of .npy members
    X = np.array([[long], ["b"], [long], ["c"]], dtype=object)
    hot = OneHotEncoder(drop="first", sparse_output=False)
    model = Pipeline([("hot", hot), ("model", LinearRegression())])
    model.fit(X, [1.0, 2.0, 1.0, 3.0])
    model[-1].engine_ = "nodes"  # fitted values of another module, kept as they are
    model[-1].solver_info_["notes"] = ["exact", ("rank", 2)]
    save(model, tmp_path / "long.lingrad")
    back = load(tmp_path / "long.lingrad")
    assert back.predict(X).tobytes() == model.predict(X).tobytes()
    assert back[0].categories_[0].tolist() == model[0].categories_[0].tolist()
    assert back[-1].engine_ == "nodes"
    assert back[-1].solver_info_["notes"] == ["exact", ("rank", 2)]


# --------------------------------------------------------- training continues


def _params(model: Any) -> list[np.ndarray]:
    if hasattr(model, "coefs_"):
        return [*model.coefs_, *model.intercepts_]
    return [np.asarray(model.coef_), np.asarray(model.intercept_)]


CONTINUED = {
    "residual-adam": (
        lambda: ResidualNetwork(n_hidden=3, solver="sgd", optimizer="adam", lr=0.05,
                                max_iter=2, tol=None, random_state=0),
        "label",
    ),
    "linear-momentum-adaptive": (
        lambda: LinearRegression(solver="minibatch", batch_size=8, optimizer="momentum",
                                 schedule="adaptive", lr=1e-4, max_iter=3, tol=None,
                                 random_state=0),
        "price",
    ),
    "softmax-l1": (
        lambda: SoftmaxRegression(solver="sgd", penalty="l1", alpha=0.01, max_iter=2,
                                  tol=None, random_state=0),
        "label",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CONTINUED))
def test_partial_fit_after_load_continues_exactly(
    table: pd.DataFrame, tmp_path: Path, name: str
) -> None:
    make, target = CONTINUED[name]
    X, y = table[NUMERIC].to_numpy(), table[target].to_numpy()
    original = make().fit(X, y)
    save(original, tmp_path / "m.lingrad")
    loaded = load(tmp_path / "m.lingrad")
    assert loaded.t_ == original.t_ > 0 and loaded.history_.n_steps == original.t_
    for model in (original, loaded):
        for _ in range(2):
            model.partial_fit(X, y)
    for a, b in zip(_params(loaded), _params(original), strict=True):
        assert a.tobytes() == b.tobytes()
    assert loaded.t_ == original.t_ and loaded.n_iter_ == original.n_iter_
    assert_array_equal(loaded.history_.step_loss, original.history_.step_loss)


def _as_0_2(optimizer: dict[str, Any], hyper: dict[str, Any]) -> dict[str, Any]:
    """An optimizer's ``{"class", "state"}`` in 0.2's ``{"class", "vars"}`` layout:
    its attributes by name (the state's private ``_m``, ``_v``, ``_t``, ``_u``,
    ``_q``, and the unused ``_tmp``), a nested optimizer as ``__object__``."""
    out: dict[str, Any] = dict(hyper.get(optimizer["class"], {}))
    for key, value in optimizer["state"].items():
        if key == "inner":
            inner = {"class": "Adam", "state": dict(value["__dict__"])}
            out[key] = {"__object__": _as_0_2(inner, hyper)}
        else:
            out[f"_{key}"] = value
    if optimizer["class"] in ("GD", "Momentum"):
        out["_tmp"] = {"__dict__": []}
    return {"class": optimizer["class"], "vars": out}


def _schedule_as_0_2(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule's ``{"class", "state"}`` in 0.2's ``{"class", "vars"}`` layout:
    its attributes by name (Adaptive's ``_lr_now``, ``_best``, ``_bad_epochs``
    private, its hyperparameters and every schedule's ``lr`` public)."""
    state = dict(schedule["state"])
    out: dict[str, Any] = {"lr": state.pop("lr")}
    if schedule["class"] == "Adaptive":
        out.update(factor=0.2, patience=5, tol=1e-4, min_lr=1e-6)
    out.update({f"_{key}": value for key, value in state.items()})
    return {"class": schedule["class"], "vars": out}


@pytest.mark.parametrize("name", list(CONTINUED))
def test_a_0_2_optimizer_state_still_loads_and_continues_exactly(
    table: pd.DataFrame, tmp_path: Path, name: str
) -> None:
    """Files written by 0.2 stored the optimizers' and the schedules' attributes
    (``vars``)."""
    make, target = CONTINUED[name]
    X, y = table[NUMERIC].to_numpy(), table[target].to_numpy()
    original = make().fit(X, y)
    save(original, tmp_path / "new.lingrad")
    with zipfile.ZipFile(tmp_path / "new.lingrad") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(members.pop("model.json"))
    trainer = doc["model"]["trainer"]
    hyper = {
        "Adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "Momentum": {"beta": 0.9, "nesterov": False},
        "ProximalL1": {"l1": 0.01},
    }
    trainer["optimizer"] = _as_0_2(trainer["optimizer"], hyper)
    trainer["schedule"] = _schedule_as_0_2(trainer["schedule"])
    assert "vars" in trainer["optimizer"] and "vars" in trainer["schedule"]
    with zipfile.ZipFile(tmp_path / "old.lingrad", "w") as zf:
        zf.writestr("model.json", json.dumps(doc))
        for n, data in members.items():
            zf.writestr(n, data)
    loaded = load(tmp_path / "old.lingrad")
    for model in (original, loaded):
        model.partial_fit(X, y)
    for a, b in zip(_params(loaded), _params(original), strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ResidualNetwork(
            n_hidden=3, solver="sgd", max_iter=2, tol=None, random_state=0
        ),
        lambda: LogisticRegression(max_iter=3, random_state=0),
    ],
    ids=["residual-sgd", "logistic-lbfgs"],
)
def test_warm_start_after_load_continues_exactly(
    table: pd.DataFrame, tmp_path: Path, make: Any
) -> None:
    X, y = table[NUMERIC].to_numpy(), table["label"].to_numpy()
    original = _fit(make(), X, y)
    save(original, tmp_path / "m.lingrad")
    loaded = load(tmp_path / "m.lingrad")
    for model in (original, loaded):
        _fit(model.set_params(warm_start=True), X, y)
    for a, b in zip(_params(loaded), _params(original), strict=True):
        assert a.tobytes() == b.tobytes()
    fresh = _fit(make(), X, y)  # a cold start would land elsewhere
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(_params(fresh), _params(loaded), strict=True)
    )


def test_an_engine_state_it_does_not_know_is_left_out(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    from lingrad.training.optim import GD

    class Custom(GD):  # e.g. another engine's optimizer
        pass

    X, y = table[NUMERIC].to_numpy(), table["label"].to_numpy()
    model = LogisticRegression(solver="sgd", max_iter=2, tol=None, random_state=0)
    model.fit(X, y)._trainer.optimizer = Custom()
    save(model, tmp_path / "m.lingrad")
    doc = json.loads(zipfile.ZipFile(tmp_path / "m.lingrad").read("model.json"))
    assert doc["model"]["trainer"] is None
    back = load(tmp_path / "m.lingrad")
    assert back._trainer is None and back.partial_fit(X, y).t_ == model.t_ + len(X)


# ------------------------------------------------------------------ the format


def _small(tmp_path: Path, name: str = "m.lingrad", **kw: Any) -> Path:
    X = np.arange(12.0).reshape(6, 2)
    path = tmp_path / name
    model = LinearRegression(solver="batch", max_iter=3, tol=None, random_state=0)
    save(model.fit(X, X @ [1.0, 2.0]), path, **kw)
    return path


def test_what_is_in_the_zip(tmp_path: Path) -> None:
    meta = {
        "target": "price",
        "features": ["a", "b"],
        "split": {"test_size": 0.25, "seed": 0},
    }
    path = _small(tmp_path, meta=meta)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        doc = json.loads(zf.read("model.json"))
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert names[0] == "model.json" and all(n.startswith("arrays/") for n in names[1:])
    assert doc["format"] == "lingrad-model" and doc["format_version"] == 2
    assert doc["model"]["class"] == "LinearRegression" and doc["meta"] == meta
    assert doc["model"]["trainer"]["t"] == 3  # the engine's step count, for partial_fit
    assert read_meta(path) == meta
    assert (
        _small(tmp_path, "again.lingrad", meta=meta).read_bytes() == path.read_bytes()
    )


def test_long_history_keeps_its_epochs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modelfile, "HISTORY_MAX_BYTES", 100)
    back = load(_small(tmp_path))
    h = back.history_  # the per-step records are dropped; the counts stay exact
    assert len(h.step_loss) == 0 and h.n_steps == 3 and h.n_epochs == 3


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        (LinearRegression(), "not fitted"),
        (
            SkLogistic().fit([[0.0], [1.0]], [0, 1]),
            "not a lingrad estimator or an allowed",
        ),
        (
            Pipeline(
                [("log", FunctionTransformer(np.log1p)), ("m", LinearRegression())]
            ).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]),
            "cannot save model.steps",
        ),
        (
            Pipeline(
                [("imp", SimpleImputer(add_indicator=True)), ("m", LinearRegression())]
            ).fit([[0.0], [np.nan], [2.0]], [0.0, 1.0, 2.0]),
            r"add_indicator = True: must be False \(indicators are not stored\)",
        ),
    ],
    ids=["unfitted", "sklearn-estimator", "function", "indicator"],
)
def test_save_refuses_what_it_cannot_restore(
    tmp_path: Path, obj: Any, words: str
) -> None:
    with pytest.raises(ModelFileError, match=words):
        save(obj, tmp_path / "x.lingrad")
    with pytest.raises(ModelFileError, match="meta must hold JSON"):
        _small(tmp_path, meta={"when": object()})
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_diverged_model_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small(tmp_path)
    before = path.read_bytes()
    model = load(path)
    model.coef_[0] = np.nan
    with pytest.raises(ModelFileError, match="coef_ holds NaN or infinite"):
        save(model, path)

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(modelfile.os, "replace", fail)
    with pytest.raises(LingradError, match="cannot write .*No space left"):
        save(load(path), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.lingrad"]


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["alone", "in-a-pipeline"])
def test_save_refuses_an_estimator_whose_fit_diverged(
    tmp_path: Path, in_pipeline: bool
) -> None:
    X = np.random.default_rng(0).normal(size=(50, 3)) * 1e3
    model = LinearRegression(solver="sgd", lr=10.0, max_iter=50)
    with pytest.raises(lingrad.DivergenceError):
        model.fit(X, X @ [1.0, 2.0, 3.0])
    obj: Any = model
    if in_pipeline:
        obj = Pipeline([("scale", StandardScaler().fit(X)), ("model", model)])
    with pytest.raises(ModelFileError) as info:
        save(obj, tmp_path / "x.lingrad")
    message = str(info.value)
    assert "LinearRegression" in message and "not fitted" in message, message
    assert "diverged" in message and "\n" not in message, message
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ format 1 files


def write_v1(
    path: Path,
    estimator: str,
    params: dict[str, Any],
    arrays: dict[str, np.ndarray],
    scalars: dict[str, Any],
    classes: Any = None,
) -> None:
    """A model file as lingrad 0.1 wrote it (meta.json + a nested arrays.npz)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    specs = {
        k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()
    }
    meta = {
        "format": "lingrad-model", "format_version": 1, "lingrad_version": "0.1.0",
        "estimator": estimator, "params": params, "arrays": specs, "array_lists": {},
        "scalars": scalars, "skipped": [], "n_features_in": 2,
        "feature_names_in": None, "classes": classes,
    }  # fmt: skip
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", json.dumps(meta))
        zf.writestr("arrays.npz", buffer.getvalue())


def test_format_1_standardized_loads_as_a_pipeline(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2)) * [100.0, 0.01]
    y = (X[:, 0] / 100 + X[:, 1] * 100 > 0).astype(int)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    est = LogisticRegression(random_state=0).fit((X - mean) / scale, y)
    arrays = {
        "mean_": mean,
        "scale_": scale,
        "est_coef_": est.coef_,
        "est_intercept_": est.intercept_,
        "est_loss_curve_": est.loss_curve_,
    }
    write_v1(
        tmp_path / "old.lingrad",
        "Standardized",
        {"model": "LogisticRegression", "params": {"random_state": 0}},
        arrays,
        {"est_n_iter_": est.n_iter_, "est_t_": est.t_},
        classes={"values": [0, 1], "dtype": "<i8"},
    )
    back = load(tmp_path / "old.lingrad")
    assert [name for name, _ in back.steps] == ["scale", "model"]
    assert isinstance(back[0], StandardScaler) and type(back[1]) is LogisticRegression
    expected = est.predict_proba((X - mean) / scale)
    assert back.predict_proba(X).tobytes() == expected.tobytes()
    assert_array_equal(back[0].var_, scale**2)
    assert back[1].n_iter_ == est.n_iter_ and back[1].random_state == 0


def test_format_1_plain_estimator(tmp_path: Path) -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])
    est = LinearRegression().fit(X, X @ [1.0, 2.0] + 0.5)
    scalars = {"intercept_": float(est.intercept_), "n_iter_": 1, "t_": 0}
    path = tmp_path / "old.lingrad"
    write_v1(
        path, "LinearRegression", {"solver": "normal"}, {"coef_": est.coef_}, scalars
    )
    assert load(path).predict(X).tobytes() == est.predict(X).tobytes()
    assert read_meta(path) == {}


LINEAR = {"coef_": np.zeros(2)}
LOGISTIC = {"coef_": np.zeros((1, 2)), "intercept_": np.zeros(1)}
HOSTILE_V1 = {  # what a tampered format 1 file holds -> the words of the error
    "standardized-scalar-estimator": (
        ("Standardized", {"model": "LogisticRegression"},
         {"mean_": np.zeros(2), "scale_": np.ones(2)}, {"estimator_": 5}),
        "unexpected attribute 'estimator_'",
    ),
    "huge-unicode-classes": (
        ("LogisticRegression", {}, LOGISTIC, {},
         {"values": ["a", "b"], "dtype": "<U500000000"}),
        "dtype '<U500000000'",
    ),
    "intercept-list": (
        ("LinearRegression", {}, LINEAR, {"intercept_": [1.0]}),
        "intercept_ must be a number",
    ),
    "intercept-nan": (
        ("LinearRegression", {}, LINEAR, {"intercept_": {"__float__": "nan"}}),
        "intercept_ holds NaN or infinite",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE_V1))
def test_format_1_hostile_files(tmp_path: Path, case: str) -> None:
    args, words = HOSTILE_V1[case]
    path = tmp_path / "old.lingrad"
    write_v1(path, *args)  # type: ignore[arg-type]
    with pytest.raises(ModelFileError, match=words) as info:
        load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_one_vs_rest_loss_curves_longer_than_the_parameters_round_trip(tmp_path):
    """class_loss_curves_ hold one value per L-BFGS iteration: a 2-feature model
    that ran more than (D + 1)^2 = 9 iterations still saves and loads."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        300, 2, n_informative=2, n_redundant=0, n_classes=3, n_clusters_per_class=1,
        random_state=0,
    )  # fmt: skip
    model = LogisticRegression(solver="lbfgs", tol=1e-12).fit(X, y)
    lengths = [len(c) for c in model.class_loss_curves_]
    assert max(lengths) > 9
    save(model, tmp_path / "m.lingrad")
    back = load(tmp_path / "m.lingrad")
    assert [len(c) for c in back.class_loss_curves_] == lengths
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))


# ------------------------------------------------- files lingrad 0.2 wrote

V02 = Path(__file__).parent / "data" / "modelfile_v02"


def test_format_2_files_written_by_lingrad_0_2_load_and_predict_the_same() -> None:
    """Two format 2 files written by 0.2's writer (scikit-learn 1.9.1): a
    ColumnTransformer of imputers, scalers and a one-hot encoder (drop="if_binary",
    handle_unknown="ignore") before PolynomialFeatures and an Adam-trained softmax;
    columns by name (a DataFrame), set_output, a RobustScaler and a momentum-trained
    logistic. Their stored private attributes (``_n_features_outs``, ``_columns``, ...)
    still load, and the predictions are those 0.2 saved beside them."""
    expected = json.loads((V02 / "expected.json").read_text())
    num = np.array(expected["num"], dtype=float)
    X = np.empty((len(num), 5), dtype=object)
    X[:, :3], X[:, 3], X[:, 4] = num, expected["text"], expected["text2"]
    model = load(V02 / "column_pipeline.lingrad")
    assert read_meta(V02 / "column_pipeline.lingrad")["written_by"].endswith("2")
    np.testing.assert_allclose(
        model.predict_proba(X), expected["column_pipeline"], rtol=1e-12, atol=0
    )
    frame = pd.DataFrame(
        {"a": np.nan_to_num(num[:, 0]), "b": num[:, 1], "c": num[:, 2]}
    ).assign(t=expected["text"])
    named = load(V02 / "named_columns.lingrad")
    assert list(named.feature_names_in_) == ["a", "b", "c", "t"]
    np.testing.assert_allclose(
        named.predict_proba(frame), expected["named_columns"], rtol=1e-12, atol=0
    )


# ------------------------------------------------------- the allow-list table


def test_every_private_attribute_a_file_stores_has_its_reason() -> None:
    from lingrad.persist._allowlist import ALLOWED, PRIVATE

    assert set(modelfile.allowed_classes()) == set(ALLOWED)
    for name, spec in ALLOWED.items():
        assert spec.private <= set(PRIVATE), name
        assert all(not a.startswith("_") for a in spec.attrs), name


@pytest.mark.parametrize(
    "options",
    [{"drop": "first"}, {"drop": "if_binary", "handle_unknown": "ignore"},
     {"drop": ["b", "y"]},
     {"min_frequency": 2, "handle_unknown": "infrequent_if_exist"}],
    ids=["first", "if-binary", "values", "infrequent"],
)  # fmt: skip
def test_one_hot_stores_its_public_state_and_scikit_learn_derives_the_rest(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    X = np.array([["a", "x"], ["b", "y"], ["c", "x"], ["a", "y"]], dtype=object)
    hot = OneHotEncoder(sparse_output=False, **options)
    model = Pipeline([("hot", hot), ("m", LinearRegression())])
    model.fit(X, [1.0, 2.0, 3.0, 4.0]).set_output(transform="default")
    save(model, tmp_path / "h.lingrad")
    doc = json.loads(zipfile.ZipFile(tmp_path / "h.lingrad").read("model.json"))
    step = doc["model"]["params"]["steps"][0]["__tuple__"][1]["__estimator__"]
    stored = {k for k in step["state"] if k.startswith("_")}
    grouping = "min_frequency" in options  # the counts behind it are not kept
    assert stored == ({"_sklearn_output_config"} | (
        {"_infrequent_enabled", "_infrequent_indices", "_n_features_outs",
         "_default_to_infrequent_mappings", "_drop_idx_after_grouping"}
        if grouping else set()
    ))  # fmt: skip
    back = load(tmp_path / "h.lingrad")
    unseen = np.array([["a", "x"], ["c", "y"], ["b", "x"]], dtype=object)
    assert back.predict(unseen).tobytes() == model.predict(unseen).tobytes()
    assert back[0].get_feature_names_out().tolist() == (
        model[0].get_feature_names_out().tolist()
    )
    assert back[0].get_params() == model[0].get_params()
    assert back[0]._sklearn_output_config == model[0]._sklearn_output_config


@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_polynomial_widths_are_counted_as_scikit_learn_fits_them(
    interaction_only: bool, bias: bool
) -> None:
    from lingrad.persist._transformers import n_monomials

    for D in (1, 2, 3, 5):
        for degree in (0, 1, 2, 3, (0, 2), (1, 3), (2, 3), (3, 3)):
            lo, hi = (0, degree) if isinstance(degree, int) else degree
            poly = PolynomialFeatures(
                degree, interaction_only=interaction_only, include_bias=bias
            )
            if (lo, hi) == (0, 0) and not bias:
                continue  # scikit-learn refuses an empty output
            expected = poly.fit(np.zeros((1, D))).n_output_features_
            assert n_monomials(D, lo, hi, interaction_only, bias) == expected


@pytest.mark.parametrize("keep", [False, True])
def test_an_imputer_dropping_an_empty_column_round_trips(
    tmp_path: Path, keep: bool
) -> None:
    """SimpleImputer's output width (an all-NaN column dropped unless kept) is
    checked against the next step's input width on load."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    X[:, 1] = np.nan
    y = X[:, 0] * 2.0 + 1.0
    pipe = Pipeline([
        ("impute", SimpleImputer(keep_empty_features=keep)),
        ("model", LinearRegression()),
    ])  # fmt: skip
    with warnings.catch_warnings():  # fit and transform warn of the empty column
        warnings.filterwarnings("ignore", "Skipping features", UserWarning)
        pipe.fit(X, y)
        save(pipe, tmp_path / "p.lingrad")
        back = load(tmp_path / "p.lingrad")
        assert_array_equal(back.predict(X), pipe.predict(X))
    assert pipe[-1].n_features_in_ == back[-1].n_features_in_ == (3 if keep else 2)
