"""Hostile model files (issue 14's list and more), each generated here: every one
is refused with a one-line ModelFileError naming the file and what is wrong,
nothing in it runs, and nothing large is allocated (peak RSS of a subprocess)."""

from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    RobustScaler,
    StandardScaler,
)

from lingrad.models import (
    LinearRegression,
    LogisticRegression,
    ResidualNetwork,
    TwoLayerNetwork,
)
from lingrad.persist.modelfile import Limits, load, save
from modelfiles import Doc, parts, refused, write


class Payload:
    """Touches a marker file if it is ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


@pytest.fixture(scope="module")
def logistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary LogisticRegression on 2 features: coef_ (1, 2), intercept_ (1,)."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0], [1.0, 2.0]])
    path = tmp_path_factory.mktemp("models") / "logistic.lingrad"
    save(LogisticRegression().fit(X, [0, 0, 1, 1, 0]), path)
    return path


def edited(
    tmp_path: Path, source: Path, edit: Callable[[Doc, dict[str, bytes]], Any]
) -> Path:
    doc, members = parts(source)
    edit(doc, members)
    return write(tmp_path / "hostile.lingrad", doc, members)


def state(doc: Doc) -> Doc:
    return doc["model"]["state"]  # type: ignore[no-any-return]


def member(doc: Doc, attr: str) -> str:
    return state(doc)[attr]["__array__"]  # type: ignore[no-any-return]


# --------------------------------------------------------- code never runs


def test_a_pickle_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "model.lingrad"
    path.write_bytes(pickle.dumps(Payload(marker)))
    refused(path, "looks like a Python pickle")
    assert not marker.exists()


def test_an_object_array_is_refused_and_never_unpickled(
    tmp_path: Path, logistic: Path
) -> None:
    marker = tmp_path / "ran"
    evil = np.array([Payload(marker), None], dtype=object)

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        members[member(doc, "coef_")] = npy(evil)

    refused(edited(tmp_path, logistic, edit), "holds Python objects")
    assert not marker.exists()


CLASS_EDITS: dict[str, tuple[Callable[[Doc], Any], tuple[str, ...]]] = {
    "outside-allow-list": (
        lambda d: d["model"].update({"class": "os.system"}),
        ("unknown estimator class 'os.system'", "Pipeline"),
    ),
    "relabelled-linear": (
        lambda d: d["model"].update({"class": "LinearRegression"}),
        ("LinearRegression) has parameter 'class_weight'", "does not take"),
    ),
    "relabelled-linear-same-params": (
        lambda d: d["model"].update({"class": "LinearRegression", "params": {}}),
        ("classes_ is not an attribute of a regressor",),
    ),
    "relabelled-softmax": (
        lambda d: d["model"].update({"class": "SoftmaxRegression", "params": {}}),
        ("coef_ has shape (1, 2); expected (2, 2)",),
    ),
    "relabelled-two-layer": (
        lambda d: d["model"].update({"class": "TwoLayerNetwork", "params": {}}),
        ("coefs_ must be a list of 2 arrays",),
    ),
    "classes-7-8-9-binary-coef": (
        lambda d: state(d).update({"classes_": {"__objects__": [7, 8, 9]}}),
        ("coef_ has shape (1, 2); expected (3, 2)",),
    ),
    "n-features-negative": (
        lambda d: state(d).update({"n_features_in_": -3}),
        ("n_features_in_ must be an integer in [1, 2147483648]; got -3",),
    ),
    "n-features-1e300": (
        lambda d: state(d).update({"n_features_in_": 1e300}),
        ("n_features_in_ must be an integer",),
    ),
    "intercept-a-list": (
        lambda d: state(d).update({"intercept_": [0.5]}),
        ("intercept_ must be an array of shape (1,); got list",),
    ),
    "unknown-parameter": (
        lambda d: d["model"]["params"].update({"momentum_of_the_future": 1}),
        ("parameter 'momentum_of_the_future'", "newer lingrad"),
    ),
    "bad-parameter-value": (
        lambda d: d["model"]["params"].update({"alpha": -1.0}),
        ("'alpha' parameter of LogisticRegression must be a float in the range",),
    ),
    "attribute-named-like-a-method": (
        lambda d: state(d).update({"predict": 1}),
        ("model.predict is not a fitted attribute name",),
    ),
    "network-attribute-on-a-linear-model": (
        lambda d: state(d).update({"coefs_": []}),
        ("coefs_ is not an attribute of LogisticRegression",),
    ),
    "future-format": (
        lambda d: d.update({"format_version": 3, "lingrad_version": "9.0"}),
        ("format 3", "upgrade lingrad", "9.0"),
    ),
}


@pytest.mark.parametrize("case", list(CLASS_EDITS))
def test_state_that_breaks_its_class_rules(
    tmp_path: Path, logistic: Path, case: str
) -> None:
    edit, words = CLASS_EDITS[case]
    refused(edited(tmp_path, logistic, lambda doc, _: edit(doc)), *words)


def test_a_parameter_a_newer_lingrad_added_is_refused_but_a_missing_one_defaults(
    tmp_path: Path, logistic: Path
) -> None:
    path = edited(tmp_path, logistic, lambda doc, _: doc["model"]["params"].pop("tol"))
    assert load(path).tol == LogisticRegression().tol


# --------------------------------------------------------- numbers and JSON

JSON_TEXT = {
    "nested-200k-deep": (b"[" * 200_000 + b"]" * 200_000, "nests deeper than 64"),
    "millions-of-objects": (b"[" + b"{}," * 2_000_000 + b"{}]", "(at most 500000)"),
    "nan-literal": (b'{"format": NaN}', "NaN is not allowed"),
    "1e999": (b'{"format": 1e999}', "out of range"),
    "n-features-1e400": (b'{"n_features_in_": 1e400}', "out of range"),
    "duplicate-keys": (b'{"format": 1, "format": 2}', "duplicate keys"),
}


@pytest.mark.parametrize("case", list(JSON_TEXT))
def test_json_that_would_crash_a_parser(
    tmp_path: Path, logistic: Path, case: str
) -> None:
    text, words = JSON_TEXT[case]
    _, members = parts(logistic)
    refused(write(tmp_path / "j.lingrad", text, members), words)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.array([np.nan]), "intercept_ holds NaN"),
        (np.array([np.inf]), "holds NaN or infinite"),
    ],
    ids=["nan", "inf"],
)
def test_non_finite_parameters(
    tmp_path: Path, logistic: Path, value: Any, words: str
) -> None:
    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        members[member(doc, "intercept_")] = npy(value)

    refused(edited(tmp_path, logistic, edit), words)


# ---------------------------------------------------------- arrays and dtypes


def test_a_huge_unicode_dtype_is_refused_before_reading(
    tmp_path: Path, logistic: Path
) -> None:
    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        name = "arrays/99999.npy"
        state(doc)["classes_"] = {
            "__array__": name,
            "dtype": "<U500000000",
            "shape": [2],
        }
        members[name] = b"x" * 100

    refused(edited(tmp_path, logistic, edit), "dtype '<U500000000'")


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    head = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    head += " " * (63 - len(head) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode()


ARRAY_EDITS: dict[str, tuple[Callable[[Doc, dict[str, bytes]], Any], str]] = {
    "header-of-1e12-elements": (
        lambda d, m: m.update(
            {member(d, "coef_"): npy_header("<f8", (10**12,)) + b"\0" * 16}
        ),
        "declares shape (1000000000000,)",
    ),
    "shape-unlike-the-json": (
        lambda d, m: m.update({member(d, "coef_"): npy(np.zeros((2, 1)))}),
        "holds <f8 (2, 1), not the declared <f8 (1, 2)",
    ),
    "complex-dtype": (
        lambda d, m: m.update({member(d, "coef_"): npy(np.zeros((1, 2), complex))}),
        "dtype '<c16'",
    ),
    "not-an-npy": (
        lambda d, m: m.update({member(d, "coef_"): b"garbage!" * 4}),
        "not a .npy",
    ),
    "missing-member": (
        lambda d, m: m.pop(member(d, "coef_")),
        "refers to a missing member",
    ),
    "member-used-twice": (
        lambda d, m: state(d).update({"intercept_": state(d)["coef_"]}),
        "a second time",
    ),
    "stowaway-member": (
        lambda d, m: m.update({"payload.bin": b"x"}),
        "'payload.bin' is not referenced",
    ),
}


@pytest.mark.parametrize("case", list(ARRAY_EDITS))
def test_arrays_that_do_not_match_their_declaration(
    tmp_path: Path, logistic: Path, case: str
) -> None:
    edit, words = ARRAY_EDITS[case]
    refused(edited(tmp_path, logistic, edit), words)


# ------------------------------------------------------------------- the zip


def test_two_model_json_members(tmp_path: Path, logistic: Path) -> None:
    doc, members = parts(logistic)
    path = tmp_path / "two.lingrad"
    with zipfile.ZipFile(path, "w") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("model.json", json.dumps(doc))
        zf.writestr("model.json", json.dumps(doc))
        for name, data in members.items():
            zf.writestr(name, data)
    refused(path, "'model.json' appears twice")


def test_truncated_and_corrupted_files(tmp_path: Path, logistic: Path) -> None:
    raw = logistic.read_bytes()
    path = tmp_path / "bad.lingrad"
    for cut in (len(raw) // 2, len(raw) - 10):
        path.write_bytes(raw[:cut])
        refused(path, "truncated or corrupted")
    data = bytearray(raw)
    at = data.index(b"format_version")
    data[at : at + 6] = b"XXXXXX"  # the CRC no longer matches
    path.write_bytes(bytes(data))
    refused(path, "damaged model file", "CRC")
    doc, members = parts(logistic)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.json", json.dumps(doc))
        for name, content in members.items():
            zf.writestr(name, content)
    data = bytearray(path.read_bytes())
    at = data.index(b"arrays/00000.npy") + len("arrays/00000.npy")
    data[at : at + 8] = b"\xff" * 8  # a broken deflate stream
    path.write_bytes(bytes(data))
    refused(path, "damaged model file")


def test_not_a_zip_empty_missing_and_folder(tmp_path: Path) -> None:
    (tmp_path / "text.lingrad").write_text("coef = 1\n")
    refused(tmp_path / "text.lingrad", "not a zip archive")
    (tmp_path / "empty.lingrad").write_bytes(b"")
    refused(tmp_path / "empty.lingrad", "is empty")
    refused(tmp_path / "nope.lingrad", "not found")
    refused(tmp_path, "is a folder")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hello")
    refused(tmp_path / "other.zip", "no model.json")


def patch_central(path: Path, offset: int, value: int) -> None:
    """Set a 2-byte field of every central-directory entry (flags: 8, method: 10)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + offset : at + offset + 2] = struct.pack("<H", value)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_encrypted_and_unknown_compression(tmp_path: Path, logistic: Path) -> None:
    path = tmp_path / "enc.lingrad"
    path.write_bytes(logistic.read_bytes())
    patch_central(path, 8, 0x1)
    refused(path, "is encrypted")
    path.write_bytes(logistic.read_bytes())
    patch_central(path, 10, 99)
    refused(path, "compression method 99")


def test_member_count_is_read_before_the_directory(
    tmp_path: Path, logistic: Path
) -> None:
    data = bytearray(logistic.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 60_000, 60_000)
    path = tmp_path / "many.lingrad"
    path.write_bytes(bytes(data))
    refused(
        path, "declares 60000 members (at most 1000)", limits=Limits(max_members=1000)
    )


def deflated_zeros(zf: zipfile.ZipFile, name: str, inflated: int) -> int:
    """Write member ``name``: an .npy of zeros, ``inflated`` bytes, deflated ~1000x;
    returns its element count."""
    n = (inflated - 128) // 8
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w") as w:
        w.write(npy_header("<f8", (n,)))
        for _ in range(n // (1 << 21)):
            w.write(bytes(1 << 24))
        w.write(bytes(8 * (n % (1 << 21))))
    return n


def deflate_bomb(path: Path, inflated: int, *, declared: int | None = None) -> Path:
    """A model whose coef_ member deflates ``inflated`` bytes of zeros; ``declared``:
    the size its directory entry claims instead (a lying directory)."""
    with zipfile.ZipFile(path, "w") as zf:
        n = deflated_zeros(zf, "arrays/00000.npy", inflated)
        coef = {"__array__": "arrays/00000.npy", "dtype": "<f8", "shape": [n]}
        state = {"n_features_in_": n, "intercept_": 0.0, "coef_": coef}
        model = {"class": "LinearRegression", "params": {}, "state": state}
        doc = {"format": "lingrad-model", "format_version": 2, "model": model}
        zf.writestr("model.json", json.dumps(doc))
    if declared is not None:
        data = bytearray(path.read_bytes())
        entry = data.find(b"PK\x01\x02")  # the array's directory entry
        data[entry + 24 : entry + 28] = struct.pack("<I", declared)
        path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """64 MiB of zeros deflated to 64 KB: directory truthful / lying (1 MiB)."""
    folder = tmp_path_factory.mktemp("bombs")
    return (
        deflate_bomb(folder / "bomb.lingrad", 64 << 20),
        deflate_bomb(folder / "liar.lingrad", 64 << 20, declared=1 << 20),
    )


def test_zip_bombs(bombs: tuple[Path, Path]) -> None:
    refused(bombs[0], "inflates", "a zip bomb?")
    refused(bombs[1], "declares shape")


def test_a_compressed_npz_inside_a_format_1_file(tmp_path: Path) -> None:
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as zf:
        n = deflated_zeros(zf, "coef_.npy", 64 << 20)
    meta = {
        "format": "lingrad-model", "format_version": 1, "estimator": "LinearRegression",
        "params": {}, "arrays": {"coef_": {"dtype": "<f8", "shape": [n]}},
        "array_lists": {}, "scalars": {}, "n_features_in": n,
        "feature_names_in": None, "classes": None,
    }  # fmt: skip
    path = tmp_path / "old.lingrad"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", json.dumps(meta))
        zf.writestr("arrays.npz", npz.getvalue())
    refused(path, "member 'coef_.npy' inflates", "a zip bomb?")


# ------------------------------------------------------------- pipelines


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [3.0, 3.0, 1.0]])
    model = Pipeline([("scale", StandardScaler()), ("model", LinearRegression())])
    path = tmp_path_factory.mktemp("pipes") / "pipe.lingrad"
    save(model.fit(X, X[:, 0]), path)
    return path


def _step(doc: Doc, i: int) -> Doc:
    return doc["model"]["params"]["steps"][i]["__tuple__"][1]["__estimator__"]  # type: ignore[no-any-return]


PIPELINE_EDITS: dict[str, tuple[Callable[[Doc], Any], tuple[str, ...]]] = {
    "step-outside-allow-list": (
        lambda d: _step(d, 0).update({"class": "subprocess.Popen"}),
        ("unknown estimator class 'subprocess.Popen'",),
    ),
    "function-transformer-with-a-function": (
        lambda d: _step(d, 0).update(
            {
                "class": "FunctionTransformer",
                "params": {"func": "os.system"},
                "state": {},
            }
        ),
        ("params['func'] must be one of (None,)",),
    ),  # fmt: skip
    "estimator-in-the-middle": (
        lambda d: d["model"]["params"]["steps"].reverse(),
        ("is a LinearRegression, which only ends a pipeline",),
    ),
    "a-pickled-memory": (
        lambda d: d["model"]["params"].update({"memory": "/tmp/cache"}),
        ("params['memory'] must be one of (None,)",),
    ),
}


@pytest.mark.parametrize("case", list(PIPELINE_EDITS))
def test_hostile_pipelines(tmp_path: Path, pipeline: Path, case: str) -> None:
    edit, words = PIPELINE_EDITS[case]
    refused(edited(tmp_path, pipeline, lambda doc, _: edit(doc)), *words)


def test_an_unfitted_step_in_a_fitted_pipeline(tmp_path: Path, pipeline: Path) -> None:
    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        scaler = _step(doc, 0)["state"]
        for value in scaler.values():
            if isinstance(value, dict) and "__array__" in value:
                members.pop(value["__array__"])
        scaler.clear()

    refused(edited(tmp_path, pipeline, edit), "step 'scale' is not fitted")


def test_a_step_wider_than_the_next(tmp_path: Path, pipeline: Path) -> None:
    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        model = _step(doc, 1)["state"]  # consistent in itself: 2 features
        model["n_features_in_"], model["coef_"]["shape"] = 2, [2]
        members[model["coef_"]["__array__"]] = npy(np.ones(2))

    refused(edited(tmp_path, pipeline, edit), "expects 2 input columns", "outputs 3")


def test_one_hot_categories_must_match_their_outputs(tmp_path: Path) -> None:
    X = np.array([["a"], ["b"], ["c"], ["a"]], dtype=object)
    hot = OneHotEncoder(drop="first", sparse_output=False)
    model = Pipeline([("hot", hot), ("m", LinearRegression())])
    save(model.fit(X, [1.0, 2.0, 3.0, 1.0]), tmp_path / "hot.lingrad")

    def edit(doc: Doc, _: Any) -> None:
        _step(doc, 0)["state"]["_n_features_outs"] = [30]

    refused(
        edited(tmp_path, tmp_path / "hot.lingrad", edit), "_n_features_outs[0] is 30"
    )


def test_a_drop_idx_unlike_its_drop_parameter_is_refused(tmp_path: Path) -> None:
    """drop="first" drops category 0; a file that says 2 would silently drop
    another column: scikit-learn's own fit of the categories tells them apart."""
    X = np.array([["a"], ["b"], ["c"], ["a"]], dtype=object)
    hot = OneHotEncoder(drop="first", sparse_output=False)
    model = Pipeline([("hot", hot), ("m", LinearRegression())])
    save(model.fit(X, [1.0, 2.0, 3.0, 1.0]), tmp_path / "hot.lingrad")

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        _step(doc, 0)["state"]["drop_idx_"] = {"__objects__": [2]}

    refused(
        edited(tmp_path, tmp_path / "hot.lingrad", edit),
        "model.steps[0][1].drop_idx_ is not what drop='first' gives",
    )


def test_trainer_state_must_fit_the_parameters(tmp_path: Path) -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    net = ResidualNetwork(
        n_hidden=2, solver="sgd", optimizer="momentum", max_iter=2, tol=None
    )
    save(net.fit(X, [0, 1, 1, 0]), tmp_path / "net.lingrad")

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        velocity = doc["model"]["trainer"]["optimizer"]["state"]["v"]["__dict__"]
        members[velocity[0][1]["__array__"]] = npy(np.zeros((900, 900)))
        velocity[0][1]["shape"] = [900, 900]

    refused(
        edited(tmp_path, tmp_path / "net.lingrad", edit),
        "holds an array of shape (900, 900)",
    )


@pytest.mark.parametrize(
    ("make", "attr", "i", "words"),
    [
        (lambda: TwoLayerNetwork(n_hidden=3), "intercepts_", 0, "(4,); expected (3,)"),
        (lambda: TwoLayerNetwork(n_hidden=3), "coefs_", 1, "(4, 2); expected (3, 2)"),
        (lambda: ResidualNetwork(n_hidden=3), "coefs_", 1, "(4, 2); expected (3, 2)"),
        (lambda: ResidualNetwork(n_hidden=3), "intercepts_", 2, "(4,); expected (1,)"),
    ],
    ids=["two-layer-bias", "two-layer-out", "residual-back", "residual-out"],
)
def test_a_network_s_layers_must_chain(
    tmp_path: Path, make: Any, attr: str, i: int, words: str
) -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    est = make().set_params(solver="sgd", max_iter=2, tol=None, random_state=0)
    save(est.fit(X, [0, 1, 1, 0]), tmp_path / "net.lingrad")
    shape = (4,) if attr == "intercepts_" else (4, 2)

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        ref = state(doc)[attr][i]
        members[ref["__array__"]] = npy(np.zeros(shape))
        ref["shape"] = list(shape)

    refused(edited(tmp_path, tmp_path / "net.lingrad", edit), f"{attr}[{i}]", words)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("t", -1, "trainer.t must be a non-negative integer"),
        ("epoch", 2**62, "trainer.epoch must be a non-negative integer"),
        ("rng", {"state": "zz"}, "trainer.rng is malformed"),
        ("optimizer", {"class": "Adam"}, "trainer.optimizer is a malformed"),
        ("schedule", {"class": "os.system", "vars": {}}, "trainer.schedule is a"),
    ],
)
def test_trainer_counts_generator_and_classes_are_checked(
    tmp_path: Path, key: str, value: Any, words: str
) -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    model = LogisticRegression(solver="sgd", max_iter=2, tol=None, random_state=0)
    save(model.fit(X, [0, 1, 1, 0]), tmp_path / "m.lingrad")

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        doc["model"]["trainer"][key] = value

    refused(edited(tmp_path, tmp_path / "m.lingrad", edit), words)


def test_a_trainer_generator_state_that_is_not_hex_is_refused(tmp_path: Path) -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    model = LogisticRegression(solver="sgd", max_iter=2, tol=None, random_state=0)
    save(model.fit(X, [0, 1, 1, 0]), tmp_path / "m.lingrad")

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        doc["model"]["trainer"]["rng"]["state"] = "not hex"

    refused(edited(tmp_path, tmp_path / "m.lingrad", edit), "generator state")


# ------------------------------------------------------------- peak memory

MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    import lingrad
    from lingrad.errors import ModelFileError

    lingrad.load(sys.argv[1])  # every import the loader needs, first
    lingrad.load(sys.argv[2])
    def rss():  # peak RSS of this process (VmHWM: ru_maxrss includes the parent's)
        try:
            with open("/proc/self/status") as f:
                line = next(l for l in f if l.startswith("VmHWM"))
            return 1024 * int(line.split()[1])
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = {}
    for path in sys.argv[2:]:
        base = rss()
        tracemalloc.start()
        try:
            lingrad.load(path)
            loaded = True
        except ModelFileError:
            loaded = False
        traced = tracemalloc.get_traced_memory()[1]  # peak of Python and NumPy
        tracemalloc.stop()
        out[path] = {"loaded": loaded, "traced": traced, "rss": rss() - base}
    print(json.dumps(out))
    """
)


def test_peak_memory_of_hostile_and_legitimate_files(
    tmp_path: Path, logistic: Path, bombs: tuple[Path, Path]
) -> None:
    """Hostile files allocate nothing large; a legitimate one about its array."""
    hostile = list(bombs)
    doc, members = parts(logistic)
    state(doc)["classes_"] = {
        "__array__": "arrays/x.npy",
        "dtype": "<U500000000",
        "shape": [2],
    }
    hostile.append(
        write(tmp_path / "unicode.lingrad", doc, {**members, "arrays/x.npy": b""})
    )
    doc, members = parts(logistic)
    members[member(doc, "coef_")] = npy_header("<f8", (10**12,)) + bytes(16)
    hostile.append(write(tmp_path / "header.lingrad", doc, members))
    objects = b"[" + b"{}," * 4_000_000 + b"{}]"  # 12 MB of JSON: 4M dicts if parsed
    hostile.append(write(tmp_path / "objects.lingrad", objects, members))
    X = np.random.default_rng(0).normal(size=(2, 2_000_000))
    legit = tmp_path / "wide.lingrad"  # coef_: 2M float64 = 16 MB
    save(
        LinearRegression(solver="batch", max_iter=1, tol=None).fit(X, [0.0, 1.0]), legit
    )
    paths = [str(p) for p in (logistic, legit, *hostile)]
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, *paths],
        capture_output=True,
        text=True,
        check=True,
    )
    peaks = json.loads(result.stdout)
    for path in hostile:
        peak = peaks[str(path)]
        bound = max(1 << 20, 4 * path.stat().st_size)  # the JSON is read and decoded
        assert not peak["loaded"] and peak["traced"] < bound, (path, peak)
        assert peak["rss"] < max(8 << 20, bound), (path, peak)
    peak = peaks[str(legit)]
    # coef_, and W and dJ_dW of the engine's chain that partial_fit continues
    assert peak["loaded"] and 16_000_000 < peak["traced"] < 3.2 * 16_000_000, peak


# ------------------------------------------------- transformer values (issue 17)

TRANSFORMERS: dict[str, Any] = {
    "standard": StandardScaler(),
    "minmax": MinMaxScaler(),
    "robust": RobustScaler(),
    "imputer": SimpleImputer(),
    "onehot": OneHotEncoder(sparse_output=False, handle_unknown="ignore"),
}


@pytest.fixture(scope="module")
def transformers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Pipeline(transformer, LinearRegression) per transformer, saved."""
    folder = tmp_path_factory.mktemp("transformers")
    X = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 7.0], [2.0, 4.0, 6.0], [3.0, 3.0, 9.0]])
    text = np.array([["b", "x"], ["a", "y"], ["c", "x"], ["a", "y"]], dtype=object)
    out = {}
    for name, step in TRANSFORMERS.items():
        Xs = text if name == "onehot" else X
        model = Pipeline([("prep", step), ("model", LinearRegression())])
        out[name] = folder / f"{name}.lingrad"
        save(model.fit(Xs, [1.0, 2.0, 3.0, 4.0]), out[name])
    return out


def set_step_array(attr: str, value: Any, index: int | None = None) -> Any:
    """An edit: the first step's ``attr`` (item ``index`` of a list) := ``value``."""

    def edit(doc: Doc, members: dict[str, bytes]) -> None:
        ref = _step(doc, 0)["state"][attr]
        ref = ref if index is None else ref[index]
        members[ref["__array__"]] = npy(np.asarray(value))
        ref["dtype"], ref["shape"] = np.asarray(value).dtype.str, list(np.shape(value))
        ref.pop("object", None)

    return edit


TRANSFORMER_EDITS = {
    "standard-scale-zero": ("standard", "scale_", [1.0, 0.0, 1.0], "scale_[1] is 0.0"),
    "standard-scale-negative": ("standard", "scale_", [1.0, 1.0, -2.0], "scale_[2]"),
    "standard-var-negative": ("standard", "var_", [1.0, -1.0, 1.0], "var_[1]"),
    "minmax-scale-zero": ("minmax", "scale_", [0.5, 0.0, 1.0], "scale_[1] is 0.0"),
    "robust-scale-zero": ("robust", "scale_", [0.0, 1.0, 1.0], "scale_[0] is 0.0"),
    "robust-center-inf": ("robust", "center_", [0.0, np.inf, 1.0], "center_ holds"),
    "imputer-statistic-inf": (
        "imputer", "statistics_", [1.0, -np.inf, 2.0], "statistics_[1] is -inf"
    ),
    "onehot-categories-repeated": (
        "onehot", "categories_", np.array(["a", "a", "c"]), "not sorted and unique"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TRANSFORMER_EDITS))
def test_transformer_values_that_would_break_predict(
    tmp_path: Path, transformers: dict[str, Path], case: str
) -> None:
    name, attr, value, words = TRANSFORMER_EDITS[case]
    edit = set_step_array(attr, value, 0 if attr == "categories_" else None)
    message = refused(edited(tmp_path, transformers[name], edit), words)
    assert "model.steps[0][1]." in message, message


def test_transformers_that_pass_their_checks_still_predict(
    transformers: dict[str, Path],
) -> None:
    for name, path in transformers.items():
        X = [["a", "x"]] if name == "onehot" else [[1.0, 2.0, 3.0]]
        assert np.isfinite(load(path).predict(np.array(X, dtype=object))).all()
