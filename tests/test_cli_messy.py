"""Messy tables, prediction files and evaluation (issue 11), as a user meets them.

The table is the README's: ``examples/houses.csv`` (an ID, a date, a text column,
empty and "NA" cells). Commands run through ``main(argv)``; special files and the
imports of ``predict`` need a real process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lingrad.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HOUSES, NEW = EXAMPLES / "houses.csv", EXAMPLES / "houses_new.csv"
FAST = ["--no-figures", "--no-compare"]


def call(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    code, out, err = call(capsys, *argv)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def house_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fit --id id --exclude listed --impute median --scale --test-size 0.25."""
    out = tmp_path_factory.mktemp("houses") / "run"
    code = main(
        ["fit", "-d", str(HOUSES), "-t", "price", "-m", "linear", "--id", "id",
         "--exclude", "listed", "--impute", "median", "--scale", "--test-size",
         "0.25", "-o", str(out), *FAST]
    )  # fmt: skip
    assert code == 0
    return out


def test_id_exclude_text_and_imputed_cells(
    house_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lingrad import load, read_meta

    meta = read_meta(house_model / "model.lingrad")
    assert meta["features"] == ["city", "area", "rooms", "built"]  # no id, listed
    assert meta["categorical"] == ["city"] and meta["id"] == "id"
    assert meta["impute"] == "median" and meta["target"] == "price"
    doc = json.loads((house_model / "metrics.json").read_text())
    assert doc["metrics"]["test"]["r2"] > 0.85
    assert "SimpleImputer -> OneHotEncoder" in doc["preprocessing"]
    # new rows with empty and NA cells and an unseen city: filled as at fit
    rows = NEW.read_text().splitlines()
    rows[1] = "X1,2024-01-01,Bergen,,3,NA"
    new = tmp_path / "new.csv"
    new.write_text("\n".join(rows) + "\n")
    out = ok(capsys, "predict", "-m", house_model / "model.lingrad", "-d", new)
    lines = out.splitlines()
    assert lines[0] == "id,prediction" and len(lines) == 13
    assert lines[1].startswith("X1,") and lines[2].startswith("H0242,")
    # the imputer holds the median area of fit's training rows
    import csv

    from lingrad.data.split import held_out_at

    with open(HOUSES) as f:
        table = list(csv.DictReader(f))
    price = np.array([float(r["price"]) for r in table])
    train = np.flatnonzero(~held_out_at(0, HOUSES.name, np.arange(len(price)), 0.25))
    areas = [float(table[i]["area"]) for i in train if table[i]["area"]]
    prep = load(house_model / "model.lingrad").named_steps["prep"]
    imputer = prep.named_transformers_["num"].named_steps["impute"]
    assert imputer.statistics_[0] == np.median(areas)


def test_a_missing_cell_without_imputer_is_named_at_fit_and_predict(
    house_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = call(
        capsys, "fit", "-d", HOUSES, "-t", "price", "-m", "linear", "--id", "id",
        "--exclude", "listed", "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert code == 1 and not (tmp_path / "o").exists()
    assert "feature column 'area' has an empty cell at row 4 (line 5" in err
    assert "--impute mean|median|most_frequent|drop" in err
    out = tmp_path / "numbers"
    ok(
        capsys, "fit", "-d", HOUSES, "-t", "price", "-m", "linear", "--id", "id",
        "--exclude", "listed,area,built", "-o", out, *FAST,
    )  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("id,city,rooms\nA,Oslo,3\nB,Lima,\n")
    code, _, err = call(capsys, "predict", "-m", out / "model.lingrad", "-d", bad)
    assert code == 1 and "'rooms' has an empty cell at row 2" in err
    assert "the model has no imputer" in err


def test_impute_drop_leaves_rows_out_at_fit_and_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drop"
    ok(
        capsys, "fit", "-d", HOUSES, "-t", "price", "-m", "linear", "--id", "id",
        "--exclude", "listed", "--impute", "drop", "-o", out, *FAST,
    )  # fmt: skip
    with open(HOUSES) as f:
        complete = sum(",," not in line and ",NA" not in line for line in f) - 1
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["metrics"]["train"]["n"] == complete
    assert doc["data"]["rows left out (missing cells)"] == 240 - complete
    text = ok(capsys, "evaluate", "-m", out / "model.lingrad", "-d", HOUSES, "--json")
    metrics = json.loads(text)["metrics"]
    assert metrics["n"] == complete  # the target comes from the model file
    assert metrics["r2"] == doc["metrics"]["train"]["r2"]


def test_text_columns_auto_or_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["fit", "-d", HOUSES, "-t", "price", "-m", "linear", "--impute", "mean"]
    code, _, err = call(
        capsys, *args, "--categorical", "error", "--exclude", "listed,id", "-o",
        tmp_path / "e",
    )  # fmt: skip
    assert code == 1
    assert "feature column 'city' has a non-numeric value 'Pune' at row 1" in err
    assert "--categorical auto" in err
    out = tmp_path / "a"
    code, _, err = call(capsys, *args, "--exclude", "id", "-o", out, *FAST)
    assert code == 0, err
    assert "text column 'listed' has" in err and "--exclude 'listed'" in err


def test_classifier_refuses_a_continuous_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = call(
        capsys, "fit", "-d", "sklearn:diabetes", "-m", "logistic", "-o", tmp_path / "o"
    )
    assert code == 1 and not (tmp_path / "o").exists()
    assert "214 distinct numbers" in err and "--model linear" in err


def test_values_whose_square_overflows_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "big.csv"
    data.write_text("a,b,y\n1,2,3\n2,-3e160,4\n3,5,6\n4,1,2\n")
    code, _, err = call(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "-o", tmp_path / "o"
    )
    assert code == 1
    assert "feature column 'b' holds -3e+160 at row 2 (line 3 of the file)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


def test_non_finite_training_metrics_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    y = rng.choice([-1.3e154, 1.3e154], size=40)  # finite squares, infinite sums
    data = tmp_path / "huge.csv"
    data.write_text("x,y\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(y.tolist())))
    code, _, err = call(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "-o", tmp_path / "o"
    )
    # the closed form refuses first: its Gram sums overflow (lingrad.solvers.gram)
    assert code == 1 and (
        "non-finite metrics (train mse=inf" in err or "sum) overflow float64" in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.csv"]


@pytest.mark.parametrize(
    ("options", "code", "words"),
    [
        (["--features", "area,area"], 2, "'area' is listed twice"),
        (["--features", "area", "--exclude", "id"], 2, "not both"),
        (["--exclude", "nope"], 1, "column 'nope' (from --exclude / --id) not found"),
        (["--id", "price"], 1, "'price' is both the target and the ID"),
        (["--id", "id", "--features", "id,area"], 1, "ID column and also a feature"),
    ],
)
def test_column_options_say_what_is_wrong(
    options: list[str],
    code: int,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    got, _, err = call(
        capsys, "fit", "-d", HOUSES, "-t", "price", "-m", "linear", "-o",
        tmp_path / "o", *options,
    )  # fmt: skip
    assert got == code and words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ prediction files


def test_prediction_files_follow_the_suffix(
    house_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = house_model / "model.lingrad"
    text = ok(capsys, "predict", "-m", model, "-d", NEW)
    rows = [line.split(",") for line in text.splitlines()]
    ok(capsys, "predict", "-m", model, "-d", NEW, "-o", tmp_path / "p.parquet")
    table = pq.read_table(tmp_path / "p.parquet").to_pydict()
    assert table["id"] == [r[0] for r in rows[1:]]
    assert table["prediction"] == [float(r[1]) for r in rows[1:]]  # repr: exact
    ok(capsys, "predict", "-m", model, "-d", NEW, "-o", tmp_path / "p.tsv")
    tsv = (tmp_path / "p.tsv").read_text().splitlines()
    assert tsv == ["\t".join(r) for r in rows]
    code, _, err = call(
        capsys, "predict", "-m", model, "-d", NEW, "-o", tmp_path / "p.xlsx"
    )
    assert code == 1 and "unsupported output type '.xlsx'" in err
    assert not (tmp_path / "p.xlsx").exists()


def test_fifo_and_symlink_are_written_not_replaced(
    house_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = house_model / "model.lingrad"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    ok(capsys, "predict", "-m", model, "-d", NEW, "-o", fifo)
    reader.join(timeout=30)
    assert got and got[0].decode().splitlines()[0] == "id,prediction"
    assert fifo.is_fifo()
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    ok(capsys, "predict", "-m", model, "-d", NEW, "-o", link)
    assert link.is_symlink() and target.read_bytes() == got[0]


def test_predict_to_dev_stdout_and_its_imports(house_model: Path) -> None:
    """As a user types it: the CSV arrives on stdout; predict imports neither
    matplotlib nor numba nor dask."""
    probe = (
        "import sys; from lingrad.cli import main; code = main(sys.argv[1:]); "
        "heavy = {'matplotlib', 'numba', 'dask', 'distributed'} & "
        "{m.split('.')[0] for m in sys.modules}; "
        "print('HEAVY', sorted(heavy), file=sys.stderr); sys.exit(code)"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe, "predict", "-m",
         str(house_model / "model.lingrad"), "-d", str(NEW), "-o", "/dev/stdout"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "id,prediction"
    assert len(res.stdout.splitlines()) == 13
    assert "HEAVY []" in res.stderr


def test_threaded_csv_reads_hold_no_python_callback(tmp_path: Path) -> None:
    """Issue 14's exit 134: a pyarrow thread must not hold a Python callback."""
    import dataclasses

    from lingrad.data.tablefile import _csv_options, open_source

    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    src = dataclasses.replace(open_source(tmp_path / "t.csv"), n_features=1)
    fast = _csv_options(src, ["a", "b"], [], 1 << 16, fast=True)
    assert fast["read_options"].use_threads
    assert fast["parse_options"].invalid_row_handler is None
    slow = _csv_options(src, ["a", "b"], [], 1 << 16, fast=False)
    assert not slow["read_options"].use_threads
    assert slow["parse_options"].invalid_row_handler is not None


# ------------------------------------------------------------------ evaluate


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_evaluate_metrics_match_sklearn(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn import metrics as sk

    from lingrad import load

    data = "synthetic:logistic" if model == "logistic" else "synthetic:blobs"
    out = tmp_path / "m"
    ok(capsys, "fit", "-d", data, "-m", model, "--max-iter", "3", "-o", out, *FAST)
    doc = json.loads(
        ok(capsys, "evaluate", "-m", out / "model.lingrad", "-d", data, "--json")
    )
    m = doc["metrics"]
    from lingrad.data.datasets import load as builtin

    X, y, *_ = builtin(data)
    fitted = load(out / "model.lingrad")
    with warnings.catch_warnings():  # numpy X: no column names to check
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        pred, P = fitted.predict(X), fitted.predict_proba(X)
    labels = fitted.classes_
    p, r, f, s = sk.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0
    )
    for k, c in enumerate(labels):
        row = m["per_class"][str(c)]
        assert row["precision"] == pytest.approx(p[k], abs=1e-12)
        assert row["recall"] == pytest.approx(r[k], abs=1e-12)
        assert row["f1"] == pytest.approx(f[k], abs=1e-12)
        assert row["support"] == s[k]
    assert m["f1_macro"] == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert m["precision_macro"] == pytest.approx(
        sk.precision_score(y, pred, average="macro", zero_division=0)
    )
    assert m["confusion_matrix"] == sk.confusion_matrix(y, pred, labels=labels).tolist()
    assert m["log_loss"] == pytest.approx(sk.log_loss(y, P, labels=labels), rel=1e-9)
    if len(labels) == 2:
        assert m["roc_auc"] == pytest.approx(sk.roc_auc_score(y, P[:, 1]), rel=1e-12)
    else:
        assert m["roc_auc"] is None
    text = ok(capsys, "evaluate", "-m", out / "model.lingrad", "-d", data)
    assert "F1 (macro)" in text and "per class" in text and "confusion matrix" in text


def test_roc_auc_counts_ties_as_halves() -> None:
    from sklearn.metrics import roc_auc_score

    from lingrad.workflows.metrics import roc_auc

    rng = np.random.default_rng(3)
    score = rng.integers(0, 4, size=200) / 4.0  # many ties
    positive = rng.random(200) < 0.3 + 0.3 * score
    pairs = np.stack([score, positive], axis=1)
    assert roc_auc(pairs) == pytest.approx(roc_auc_score(positive, score), rel=1e-12)
    assert roc_auc(pairs[~positive]) is None


def test_evaluate_split_needs_fit_s_table_and_split(
    house_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = house_model / "model.lingrad"
    doc = json.loads((house_model / "metrics.json").read_text())
    train = json.loads(
        ok(capsys, "evaluate", "-m", model, "-d", HOUSES, "--split", "train", "--json")
    )["metrics"]
    assert train == {**doc["metrics"]["train"], **train}
    assert train["n"] == doc["data"]["training rows"] == 184
    other = tmp_path / "other.csv"
    other.write_text("\n".join(HOUSES.read_text().splitlines()[:100]) + "\n")
    code, _, err = call(capsys, "evaluate", "-m", model, "-d", other, "--split", "test")
    assert code == 1 and "is not the table the model" in err and "99 rows" in err
    out = tmp_path / "all"
    ok(capsys, "fit", "-d", "synthetic:linear", "-m", "linear", "-o", out, *FAST)
    code, _, err = call(
        capsys, "evaluate", "-m", out / "model.lingrad", "-d", "synthetic:linear",
        "--split", "test",
    )  # fmt: skip
    assert code == 1 and "no --test-size" in err
