"""Every model x --scale x --categorical: fit writes a Pipeline model file that
predict and evaluate apply exactly as fit trained it.

Runs through ``main(argv)`` on a 48-row table with a text column (``city``) and an
ID. The round trip is checked bit for bit: the metrics ``evaluate`` computes from
the model file equal the ones ``fit`` computed from the trained model, on the same
rows (all rows, and the held-out rows of fit's split), and the predictions
``predict`` writes equal the loaded model's own.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lingrad.cli import main

MODELS = {  # model -> (target column, extra options)
    "linear": ("value", []),
    "logistic": ("label3", []),
    "bipolar": ("label2", []),
    "perceptron": ("label2", []),
    "multiclass-perceptron": ("label3", []),
    "softmax": ("label3", []),
    "two-layer": ("label3", ["--param", "n_hidden=3"]),
    "residual": ("label2", ["--param", "n_hidden=2"]),
}
ITERS = ["--max-iter", "4", "--no-figures", "--no-compare", "--seed", "1"]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 rows: id, x1, x2 (numbers), city (text), value, label2, label3."""
    rng = np.random.default_rng(0)
    n = 48
    x = rng.normal(size=(n, 2))
    city = np.array(["Oslo", "Lima", "Pune"])[np.arange(n) % 3]
    effect = (city == "Oslo") * 1.5 - (city == "Lima")
    value = 2 * x[:, 0] - x[:, 1] + effect + 0.1 * rng.normal(size=n)
    label2 = np.where(value > 0, "up", "down")
    label3 = np.digitize(value, np.quantile(value, [1 / 3, 2 / 3]))
    lines = ["id,x1,x2,city,value,label2,label3"] + [
        f"r{i},{x[i, 0]:.5f},{x[i, 1]:.5f},{city[i]},{value[i]:.5f},{label2[i]},"
        f"{label3[i]}"
        for i in range(n)
    ]
    path = tmp_path_factory.mktemp("pipelines") / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("categorical", ["auto", "error"])
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("model", list(MODELS))
def test_model_scale_categorical_round_trip(
    model: str,
    scale: bool,
    categorical: str,
    table: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from lingrad import load, read_meta

    target, extra = MODELS[model]
    others = [c for c in ("value", "label2", "label3") if c != target]
    drop = others + ([] if categorical == "auto" else ["city"])
    options = ["--categorical", categorical, "--exclude", ",".join(drop)]
    options += ["--scale"] if scale else []
    out = tmp_path / "run"
    run(
        capsys, "fit", "-d", table, "-t", target, "-m", model, "--id", "id",
        "--test-size", "0.25", "-o", out, *options, *extra, *ITERS,
    )  # fmt: skip
    doc = json.loads((out / "metrics.json").read_text())
    meta = read_meta(out / "model.lingrad")
    assert meta["id"] == "id" and meta["target"] == target
    assert meta["categorical"] == (["city"] if categorical == "auto" else [])
    fitted = load(out / "model.lingrad")
    steps = [name for name, _ in getattr(fitted, "steps", [])]
    if categorical == "auto":  # a ColumnTransformer: (scaled) numbers, one-hot city
        assert steps == ["prep", "model"]
    else:
        assert steps == (["scale", "model"] if scale else [])

    # evaluate re-creates fit's held-out rows from the file: the same numbers
    text = run(
        capsys, "evaluate", "-m", out / "model.lingrad", "-d", table, "--split",
        "test", "--json",
    )  # fmt: skip
    got = json.loads(text)["metrics"]
    for key, value in doc["metrics"]["test"].items():
        assert got[key] == value, key

    # predict: IDs first; the loaded model's own predictions, bit for bit
    preds = tmp_path / "p.parquet"
    proba = ["--proba"] if hasattr(fitted, "predict_proba") else []
    model_file = out / "model.lingrad"
    run(capsys, "predict", "-m", model_file, "-d", table, "-o", preds, *proba)
    written = pq.read_table(preds).to_pydict()
    assert list(written)[:2] == ["id", "prediction"]
    assert written["id"] == [f"r{i}" for i in range(48)]
    frame = _features(table, meta["features"], meta["categorical"])
    X = frame.to_numpy(dtype=object if meta["categorical"] else np.float64)
    with warnings.catch_warnings():  # numpy X: no names to check
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        pred = fitted.predict(np.ascontiguousarray(X))  # C order, as predict reads
        P = fitted.predict_proba(np.ascontiguousarray(X)) if proba else None
    assert np.array_equal(np.asarray(written["prediction"]), pred)
    for j, c in enumerate(fitted.classes_ if proba else []):
        assert np.array_equal(written[f"proba_{c}"], P[:, j])  # type: ignore[index]
    # the model file knows the column names: a DataFrame predicts the same, and
    # one with its columns in another order is matched by name or refused
    assert_same(fitted.predict(frame), pred)
    try:
        assert_same(fitted.predict(frame[meta["features"][::-1]]), pred)
    except ValueError as e:
        assert "feature names" in str(e)


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal labels; numbers equal to rounding (a DataFrame is column-major)."""
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    else:
        assert np.array_equal(got, want)


def _features(path: Path, names: list[str], text: list[str]) -> object:
    """The feature columns by name, as a Python user reads them (pandas)."""
    import pandas as pd

    frame = pd.read_csv(path, dtype={name: str for name in text})
    return frame[names]


def test_perceptron_with_scale_predicts_without_probabilities(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11: --model perceptron --scale ended in an AttributeError on
    predict_proba; now the Pipeline has no predict_proba and says so."""
    out = tmp_path / "p"
    text = run(
        capsys, "fit", "-d", table, "-t", "label2", "-m", "perceptron", "--scale",
        "--exclude", "value,label3", "--id", "id", "-o", out, *ITERS,
    )  # fmt: skip
    assert "accuracy" in text and "log-loss" not in text
    args = ["predict", "-m", str(out / "model.lingrad"), "-d", str(table), "--proba"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1 and "gives no class probabilities" in err
