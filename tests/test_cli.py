"""The lingrad command, run in-process through ``main(argv)``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lingrad.cli import main

COMMANDS = ["fit", "predict", "evaluate", "explain", "gradcheck", "demo"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fit(
    capsys: pytest.CaptureFixture[str], out: Path, *args: object
) -> tuple[str, str, dict]:
    """``lingrad fit ARGS --out OUT`` succeeds: its stdout, stderr and metrics.json."""
    code, text, err = run(["fit", *args, "--out", out], capsys)
    assert code == 0, err
    return text, err, json.loads((out / "metrics.json").read_text())


def write_csv(path: Path, header: list[str], rows: np.ndarray) -> Path:
    lines = [",".join(header)] + [",".join(f"{v:.6g}" for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def houses(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """price = 2 size - 0.3 age + 5 rooms + 1 (+ small noise), 120 rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)) * [1.0, 10.0, 0.5] + [0.0, 50.0, 3.0]
    y = X @ [2.0, -0.3, 5.0] + 1.0 + 0.01 * rng.normal(size=120)
    path = write_csv(
        tmp_path / "houses.csv",
        ["size", "age", "rooms", "price"],
        np.column_stack([X, y]),
    )
    return path, X, y


# ------------------------------------------------------------------------- help


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    assert f"lingrad {command}" in out
    assert "Example" in out


def test_version_and_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from lingrad import __version__

    assert run(["--version"], capsys)[:2] == (0, f"lingrad {__version__}\n")
    code, out, _ = run([], capsys)
    assert code == 0 and "Commands" in out


def test_usage_errors_exit_2_with_one_line(
    houses: tuple[Path, np.ndarray, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["fit", "--data", houses[0], "--target", "price", "--out", tmp_path / "o"]
    code, _, err = run([*args, "--model", "nope"], capsys)
    assert code == 2
    assert err.startswith("lingrad: error: ") and "unknown model 'nope'" in err
    assert err.count("\n") == 1
    code, _, err = run([*args, "--model", "linar"], capsys)
    assert code == 2 and "did you mean 'linear'?" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["houses.csv"]
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2 and "No such command 'frobnicate'" in err


# --------------------------------------------------------- fit / predict / evaluate


def test_csv_to_model_predictions_and_report(
    houses: tuple[Path, np.ndarray, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's three commands: fit, predict (columns reordered), evaluate."""
    data, X, y = houses
    out = tmp_path / "run1"
    text, _, doc = fit(
        capsys, out, "--data", data, "--target", "price", "--model", "linear",
        "--test-size", "0.25",
    )  # fmt: skip
    assert "test" in text and "r2" in text
    names = {p.name for p in out.iterdir()}
    assert {"model.lingrad", "metrics.json", "report.html"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run1")]
    from lingrad.data.split import held_out_at

    n_test = int(held_out_at(0, Path(data).name, np.arange(120), 0.25).sum())
    assert doc["metrics"]["test"]["n"] == n_test and 20 <= n_test <= 40
    assert doc["metrics"]["train"]["n"] == 120 - n_test
    assert doc["metrics"]["test"]["r2"] > 0.999
    sk = doc["reference"]["r2 (test)"]  # scikit-learn's LinearRegression, same split
    assert sk["lingrad linear"] == pytest.approx(sk["scikit-learn LinearRegression"])
    assert "<html" in (out / "report.html").read_text().lower()

    new = write_csv(tmp_path / "new.csv", ["rooms", "size", "age"], X[:5][:, [2, 0, 1]])
    preds = tmp_path / "preds.csv"
    code, text, err = run(
        ["predict", "--model", out / "model.lingrad", "--data", new, "--out", preds],
        capsys,
    )
    assert code == 0, err
    lines = preds.read_text().splitlines()
    assert lines[0] == "prediction" and len(lines) == 6
    X5 = np.array([[float(f"{v:.6g}") for v in row] for row in X[:5]])
    np.testing.assert_allclose(
        [float(v) for v in lines[1:]], X5 @ [2.0, -0.3, 5.0] + 1.0, atol=0.05
    )

    code, text, err = run(
        [
            "evaluate",
            "--model",
            out / "model.lingrad",
            "--data",
            data,
            "--target",
            "price",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads(text)["metrics"]
    assert metrics["n"] == 120 and metrics["r2"] > 0.999
    assert metrics["mse"] == pytest.approx(metrics["rmse"] ** 2)
    code, text, _ = run(
        ["evaluate", "-m", out / "model.lingrad", "-d", data, "-t", "price"], capsys
    )
    assert code == 0 and "R²" in text and "MSE" in text


def test_breast_cancer_with_scale_matches_sklearn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """>= 0.95 held out, within 1% of sklearn's LogisticRegression on the same split."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lingrad.data.split import held_out_at

    out = tmp_path / "bc"
    _, _, doc = fit(
        capsys, out, "--data", "sklearn:breast_cancer", "--model", "logistic",
        "--scale", "--test-size", "0.25", "--seed", "0", "--no-figures",
    )  # fmt: skip
    ours = doc["metrics"]["test"]["accuracy"]
    X, y = load_breast_cancer(return_X_y=True)
    test = held_out_at(0, "", np.arange(len(y)), 0.25)  # fit's split: the hash
    X_tr, X_te, y_tr, y_te = X[~test], X[test], y[~test], y[test]
    assert doc["metrics"]["test"]["n"] == len(y_te)
    sk = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    theirs = sk.fit(X_tr, y_tr).score(X_te, y_te)
    assert ours >= 0.95
    assert abs(ours - theirs) <= 0.01
    compared = doc["reference"]["accuracy (test)"]  # --compare: the same pipeline
    assert compared["lingrad logistic"] == ours
    assert compared["scikit-learn LogisticRegression"] == pytest.approx(theirs)
    assert set(doc["reference"]["log_loss (test)"]) == set(compared)
    # the scaler travels inside the model file
    code, text, _ = run(
        [
            "evaluate",
            "--model",
            out / "model.lingrad",
            "--data",
            "sklearn:breast_cancer",
            "--json",
        ],
        capsys,
    )
    assert code == 0 and json.loads(text)["metrics"]["accuracy"] > 0.95


CASES = [  # model, built-in data, extra options
    ("linear", "synthetic:linear", ["--solver", "sgd", "--lr", "0.05"]),
    ("logistic", "synthetic:logistic", []),
    ("bipolar", "synthetic:bipolar", ["--solver", "batch", "--lr", "0.5"]),
    ("perceptron", "synthetic:perceptron", []),
    ("multiclass-perceptron", "synthetic:blobs", []),
    ("softmax", "synthetic:blobs", []),
    ("two-layer", "synthetic:moons", ["--param", "n_hidden=8"]),
    ("residual", "synthetic:residual", ["--param", "n_hidden=4"]),
]


@pytest.mark.parametrize(("model", "data", "extra"), CASES)
def test_every_model_fits_saves_and_predicts(
    model: str,
    data: str,
    extra: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / model
    _, _, doc = fit(
        capsys, out, "--data", data, "--model", model, "--test-size", "0.2",
        "--max-iter", "50", "--no-compare", *extra,
    )  # fmt: skip
    test = doc["metrics"]["test"]
    assert test["r2"] > 0.9 if model == "linear" else test["accuracy"] > 0.7
    assert any(p.suffix == ".png" for p in out.iterdir())
    code, text, err = run(
        ["predict", "--model", out / "model.lingrad", "--data", data], capsys
    )
    assert code == 0, err
    assert text.splitlines()[0] == "prediction"


def test_predict_with_probabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sm"
    fit(
        capsys,
        out,
        "-d",
        "synthetic:blobs",
        "-m",
        "softmax",
        "--no-figures",
        "--no-compare",
    )
    preds = tmp_path / "p.csv"
    code, _, err = run(
        [
            "predict",
            "-m",
            out / "model.lingrad",
            "-d",
            "synthetic:blobs",
            "--proba",
            "-o",
            preds,
        ],
        capsys,
    )
    assert code == 0, err
    rows = [r.split(",") for r in preds.read_text().splitlines()]
    assert rows[0] == ["prediction", "proba_0", "proba_1", "proba_2"]
    P = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-9)
    assert np.array_equal(P.argmax(axis=1), [int(r[0]) for r in rows[1:]])


def test_parquet_and_bom_csv_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fit on Parquet; predict on a UTF-8 CSV with a BOM, columns matched by name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    y = np.where(X[:, 0] - X[:, 1] > 0, "up", "down")
    pq.write_table(
        pa.table({"x1": X[:, 0], "x2": X[:, 1], "move": y}), tmp_path / "d.parquet"
    )
    out = tmp_path / "pq"
    data = tmp_path / "d.parquet"
    fit(capsys, out, "-d", data, "-t", "move", "-m", "logistic", "--no-figures")
    text = "x2,x1\n" + "".join(f"{b},{a}\n" for a, b in X[:4])
    (tmp_path / "bom.csv").write_bytes("\ufeff".encode() + text.encode())
    code, preds, err = run(
        ["predict", "-m", out / "model.lingrad", "-d", tmp_path / "bom.csv"], capsys
    )
    assert code == 0, err
    assert preds.splitlines()[1:] == list(y[:4])


def test_scaled_model_file_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scale saves Pipeline([("scale", StandardScaler()), ("model", estimator)])."""
    from lingrad.data.io import load_model

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)) * [100.0, 0.01]
    y = (X[:, 0] / 100 + X[:, 1] * 100 > 0).astype(int)
    data = write_csv(tmp_path / "s.csv", ["a", "b", "y"], np.column_stack([X, y]))
    out = tmp_path / "scaled"
    fit(capsys, out, "-d", data, "-t", "y", "-m", "logistic", "--scale", "--no-figures")
    back = load_model(out / "model.lingrad")
    assert [name for name, _ in back.steps] == ["scale", "model"]
    scaler = back.named_steps["scale"]  # of the CSV's 6 significant digits
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0), rtol=1e-4)
    import pandas as pd

    assert (back.predict(pd.DataFrame(X, columns=["a", "b"])) == y).mean() > 0.95


def test_streamed_fit_over_record_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--stream: partial_fit over 8-row record batches, minibatches of 4; sensible."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(96, 2))
    y = X @ [3.0, -1.0] + 0.5
    data = write_csv(tmp_path / "big.csv", ["a", "b", "y"], np.column_stack([X, y]))
    out = tmp_path / "stream"
    text, _, doc = fit(
        capsys, out, "--data", data, "--target", "y", "--model", "linear",
        "--stream", "--chunk-rows", "8", "--solver", "minibatch", "--batch-size", "4",
        "--lr", "0.05", "--max-iter", "8", "--test-size", "0.25",
    )  # fmt: skip
    assert "8 passes over the file" in text
    n_train = doc["data"]["training rows"]
    assert n_train + doc["data"]["held-out rows"] == 96
    assert doc["metrics"]["test"]["r2"] > 0.99
    h = np.load(out / "history.npz")
    # every step saw at most 4 rows: ceil(rows of each 8-row batch / 4) steps each
    assert len(h["step_loss"]) >= 8 * n_train / 4
    code, text, _ = run(
        ["evaluate", "-m", out / "model.lingrad", "-d", data, "-t", "y", "--json"],
        capsys,
    )
    assert json.loads(text)["metrics"]["r2"] > 0.99


def test_streamed_classifier_with_scaling_and_a_progress_bar(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import lingrad.cli.fit as fit_command

    monkeypatch.setattr(fit_command, "stderr_is_terminal", lambda: True)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 2)) * [1.0, 1000.0]
    y = (X[:, 0] + X[:, 1] / 1000 > 0).astype(int)
    data = write_csv(tmp_path / "c.csv", ["a", "b", "y"], np.column_stack([X, y]))
    out = tmp_path / "s"
    _, _, doc = fit(
        capsys, out, "-d", data, "-t", "y", "-m", "logistic", "--stream", "--scale",
        "--solver", "minibatch", "--chunk-rows", "16", "--lr", "0.5", "--max-iter",
        "10", "--no-figures",
    )  # fmt: skip
    assert doc["hyperparams"]["solver"] == "minibatch"  # as asked (the default,
    # lbfgs, is streamed exactly: tests/test_stream.py)
    assert doc["metrics"]["train"]["accuracy"] > 0.9
    from lingrad.data.io import load_model

    model = load_model(out / "model.lingrad")
    scaler = model.named_steps["scale"]
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0), rtol=1e-4)


def test_constant_feature_warns_and_still_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = np.array(
        [[1.0, 2.0, 0.0], [1.0, 5.0, 1.0], [1.0, 3.0, 0.0], [1.0, 6.0, 1.0]]
    )
    data = write_csv(tmp_path / "c.csv", ["const", "x", "y"], rows)
    out = tmp_path / "o"
    _, err, _ = fit(
        capsys, out, "-d", data, "-t", "y", "-m", "logistic", "--scale", "--no-figures"
    )
    warning = [line for line in err.splitlines() if "'const'" in line]
    assert warning and warning[0].startswith("lingrad: warning: ")
    assert (out / "model.lingrad").is_file()


def test_fit_into_an_existing_folder_needs_force_and_replaces_it_whole(
    houses: tuple[Path, np.ndarray, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    args = ["-d", houses[0], "-t", "price", "-m", "linear", "--no-figures"]
    first = fit(capsys, out, *args, "--no-compare")[2]  # an empty folder: fine
    (out / "notes.txt").write_text("mine")
    code, _, err = run(["fit", *args, "--out", out], capsys)
    assert code == 1 and "not empty" in err and "--force" in err
    assert (out / "notes.txt").read_text() == "mine"
    assert fit(capsys, out, *args, "--no-compare", "--force")[2] == first
    assert not (out / "notes.txt").exists()  # --force: the whole folder is new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "houses.csv"]


def test_batched_metrics_match_sklearn() -> None:
    """Metrics accumulated over uneven batches equal scikit-learn's on all rows."""
    from sklearn import metrics as sk

    from lingrad.workflows.metrics import ClassificationMetrics, RegressionMetrics

    rng = np.random.default_rng(5)
    y = rng.normal(size=103) * 3 + 10
    pred = y + rng.normal(size=103)
    reg = RegressionMetrics()
    for lo, hi in ((0, 7), (7, 50), (50, 103)):
        reg.update(y[lo:hi], pred[lo:hi])
    r = reg.result()
    assert r["r2"] == pytest.approx(sk.r2_score(y, pred), rel=1e-12)
    assert r["mse"] == pytest.approx(sk.mean_squared_error(y, pred), rel=1e-12)
    assert r["mae"] == pytest.approx(sk.mean_absolute_error(y, pred), rel=1e-12)

    labels = np.array(["a", "b", "c"])
    t = labels[rng.integers(0, 3, size=90)]
    P = rng.dirichlet([1.0, 1.0, 1.0], size=90)
    p = labels[P.argmax(axis=1)]
    cls = ClassificationMetrics(labels)
    for lo, hi in ((0, 31), (31, 32), (32, 90)):
        cls.update(t[lo:hi], p[lo:hi], P[lo:hi])
    c = cls.result()
    assert c["accuracy"] == pytest.approx(sk.accuracy_score(t, p))
    assert c["log_loss"] == pytest.approx(sk.log_loss(t, P, labels=labels), rel=1e-12)
    assert c["confusion_matrix"] == sk.confusion_matrix(t, p, labels=labels).tolist()


# -------------------------------------------------------------- gradcheck / demo


def test_gradcheck_passes_and_prints_a_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["gradcheck"], capsys)
    assert code == 0, err
    for subject in ("Affine", "Softmax", "Residual", "CrossEntropy", "L1", "two-layer"):
        assert subject in out
    assert "FAIL" not in out and " 0 failed" in out


def test_gradcheck_fails_with_exit_1_on_a_wrong_gradient(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lingrad.core.nodes import Sigmoid

    monkeypatch.setattr(Sigmoid, "_dpred_dz", lambda self: self.pred)  # wrong
    code, out, err = run(["gradcheck", "--model", "logistic"], capsys)
    assert code == 0  # logistic trains on z (fused loss): no Sigmoid node inside
    code, out, err = run(["gradcheck", "--model", "two-layer"], capsys)
    assert code == 1
    assert "FAIL" in out and err.startswith("lingrad: error: gradcheck:")


def test_demo_all_runs_each_demo_with_a_progress_bar(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import lingrad.cli.demo as demo_cmd
    import lingrad.demos

    subset = {k: lingrad.demos.DEMOS[k] for k in ("linear-1d", "sigmoid-shapes")}
    monkeypatch.setattr(lingrad.demos, "DEMOS", subset)
    monkeypatch.setattr(demo_cmd, "stderr_is_terminal", lambda: True)
    code, out, err = run(["demo", "all", "--quick", "--out", tmp_path / "all"], capsys)
    assert code == 0, err
    for name in subset:
        assert f"demo {name}: report at" in out
        assert (tmp_path / "all" / name / "report.html").is_file()


def test_demo_list_and_quick_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["demo", "--list"], capsys)
    assert code == 0 and "linear-1d" in out and "residual" in out
    code, out, err = run(["demo", "--quick", "--out", tmp_path / "d"], capsys)
    assert code == 0, err
    assert "linear-1d" in out and str(tmp_path / "d" / "report.html") in out
    assert (tmp_path / "d" / "report.html").is_file()
    code, _, err = run(["demo", "nope", "--out", tmp_path / "nope"], capsys)
    assert code == 1 and "unknown demo 'nope'" in err
    assert not (tmp_path / "nope").exists()


# -------------------------------------------------------- as the user types it


def test_console_script_end_to_end(
    houses: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    exe = Path(sys.executable).with_name("lingrad")
    if not exe.exists():
        found = shutil.which("lingrad")
        if found is None:
            pytest.skip("the lingrad console script is not installed")
        exe = Path(found)
    out = tmp_path / "run"
    result = subprocess.run(
        [
            str(exe),
            "fit",
            "--data",
            str(houses[0]),
            "--target",
            "price",
            "--model",
            "linear",
            "--out",
            str(out),
            "--no-figures",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "report:" in result.stdout and (out / "model.lingrad").is_file()
    bad = subprocess.run(
        [
            str(exe),
            "fit",
            "--data",
            "missing.csv",
            "--target",
            "y",
            "--model",
            "linear",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("lingrad: error: missing.csv: file not found")
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "x").exists()
