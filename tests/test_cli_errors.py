"""Bad input, as a user meets it: each case runs ``python -m lingrad.cli`` in a
subprocess and checks the exit code, the one-line message on stderr, and that no
output file is left behind."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

GOOD = "a,b,y\n1,2,0\n2,1,1\n3,5,0\n4,2,1\n5,5,0\n"


def lingrad(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lingrad.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def check_error(
    result: subprocess.CompletedProcess[str], code: int, *parts: str
) -> None:
    """Exit ``code``; one stderr line ``lingrad: error: ...`` naming ``parts``."""
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lingrad: error: ")
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def fit(
    cwd: Path,
    data: str,
    *extra: str,
    out: str = "out",
    target: str = "y",
    model: str = "linear",
) -> subprocess.CompletedProcess[str]:
    """``lingrad fit --data DATA --target TARGET --model MODEL --out OUT EXTRA...``."""
    return lingrad(
        cwd, "fit", "--data", data, "--target", target, "--model", model, "--out", out,
        *extra,
    )  # fmt: skip


def fit_fails(
    tmp_path: Path,
    name: str,
    text: str | bytes,
    code: int,
    *parts: str,
    model: str = "linear",
    target: str = "y",
    extra: tuple[str, ...] = (),
) -> None:
    """``lingrad fit`` on a file holding ``text`` fails and writes nothing."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    before = listing(tmp_path)
    result = fit(tmp_path, name, *extra, target=target, model=model)
    check_error(result, code, *parts)
    assert listing(tmp_path) == before  # no out/, no hidden staging folder


# ------------------------------------------------------------------ data files


def test_missing_file(tmp_path: Path) -> None:
    check_error(fit(tmp_path, "nope.csv"), 1, "nope.csv", "not found")
    assert listing(tmp_path) == set()


def test_empty_file(tmp_path: Path) -> None:
    fit_fails(tmp_path, "e.csv", "", 1, "e.csv", "empty")


def test_header_only(tmp_path: Path) -> None:
    fit_fails(tmp_path, "h.csv", "a,b,y\n", 1, "h.csv", "no data rows")


def test_non_numeric_feature_names_column_and_row(tmp_path: Path) -> None:
    fit_fails(
        tmp_path, "n.csv", "a,b,y\n1,2,3\n4,x,5\n", 1, "n.csv", "'b'", "'x'", "row 2"
    )


@pytest.mark.parametrize(
    ("cell", "words"),
    [("nan", "missing value"), ("", "empty cell"), ("inf", "infinite")],
)
def test_nan_empty_cell_and_inf(tmp_path: Path, cell: str, words: str) -> None:
    fit_fails(
        tmp_path,
        "f.csv",
        f"a,b,y\n1,2,3\n4,5,6\n7,{cell},9\n",
        1,
        "f.csv",
        "'b'",
        words,
        "row 3",
    )


@pytest.mark.parametrize(
    ("row", "fields"), [("4,5,6,7", "4 fields"), ("4,5", "2 fields")]
)
def test_ragged_rows(tmp_path: Path, row: str, fields: str) -> None:
    fit_fails(
        tmp_path,
        "r.csv",
        f"a,b,y\n1,2,3\n{row}\n",
        1,
        "r.csv",
        "line 3",
        fields,
        "header has 3",
    )


def test_target_column_missing(tmp_path: Path) -> None:
    fit_fails(
        tmp_path, "t.csv", GOOD, 1, "t.csv", "target column 'price'", target="price"
    )


def test_classifier_given_a_continuous_target(tmp_path: Path) -> None:
    fit_fails(
        tmp_path,
        "c.csv",
        "a,b,y\n1,2,0.5\n2,3,1.5\n3,1,2.25\n",
        1,
        "c.csv",
        "continuous",
        "0.5",
        model="logistic",
    )


def test_binary_only_model_given_three_classes(tmp_path: Path) -> None:
    fit_fails(
        tmp_path,
        "k.csv",
        "a,b,y\n1,2,0\n2,3,1\n3,1,2\n4,4,1\n",
        1,
        "k.csv",
        "3 classes",
        "perceptron",
        "--model softmax",
        model="perceptron",
    )


def test_single_class(tmp_path: Path) -> None:
    fit_fails(
        tmp_path,
        "s.csv",
        "a,b,y\n1,2,1\n2,3,1\n3,1,1\n",
        1,
        "s.csv",
        "single class",
        model="logistic",
    )


def test_regression_target_with_strings(tmp_path: Path) -> None:
    fit_fails(
        tmp_path,
        "g.csv",
        "a,b,y\n1,2,3\n2,3,high\n",
        1,
        "g.csv",
        "'high'",
        "row 2",
        "regression",
    )


@pytest.mark.parametrize(
    ("model", "cell", "words"),
    [
        ("linear", "high", "a non-numeric value 'high' at row 3;"),
        ("linear", "inf", "an infinite value 'inf' at row 3;"),
        ("logistic", "0.5", "looks continuous (0.5 at row 3)"),
    ],
)
def test_streamed_target_errors_name_the_row_of_the_file(
    tmp_path: Path, model: str, cell: str, words: str
) -> None:
    """--stream checks the target batch by batch, rows counted from the file's."""
    fit_fails(
        tmp_path,
        "s.csv",
        f"a,y\n1,0\n2,1\n3,{cell}\n4,1\n",
        1,
        "s.csv: target column 'y' has" if model == "linear" else "s.csv: target",
        words,
        model=model,
        extra=("--stream", "--chunk-rows", "2"),
    )


def test_all_constant_feature_warns_and_still_fits(tmp_path: Path) -> None:
    (tmp_path / "k.csv").write_text("a,b,y\n1,2,3\n1,3,5\n1,5,9.5\n1,4,7\n")
    result = fit(tmp_path, "k.csv", "--no-figures")
    assert result.returncode == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if "'a'" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("lingrad: warning: ")
    assert (tmp_path / "out" / "model.lingrad").is_file()


def test_not_a_parquet_file_named_parquet(tmp_path: Path) -> None:
    fit_fails(tmp_path, "d.parquet", GOOD, 1, "d.parquet", "not a Parquet file")


def test_truncated_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 2.0]}), buf)
    data = buf.getvalue()
    fit_fails(
        tmp_path, "t.parquet", data[: len(data) // 2], 1, "t.parquet", "truncated"
    )


# ------------------------------------------------------------------ model files


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good model file (fit on arrays: no feature names) and damaged variants."""
    from lingrad.data.io import save_model
    from lingrad.models import LinearRegression

    folder = tmp_path_factory.mktemp("models")
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])
    save_model(LinearRegression().fit(X, X @ [1.0, 2.0]), folder / "good.lingrad")
    raw = (folder / "good.lingrad").read_bytes()
    (folder / "truncated.lingrad").write_bytes(raw[: len(raw) // 2])
    (folder / "pickle.lingrad").write_bytes(pickle.dumps({"coef_": [1.0, 2.0]}))

    def variant(name: str, edit: dict[str, object], coef: np.ndarray | None) -> None:
        """A copy of good.lingrad with model.json entries replaced, or coef_."""
        with zipfile.ZipFile(folder / "good.lingrad") as z:
            members = {n: z.read(n) for n in z.namelist()}
        doc = json.loads(members["model.json"])
        doc.update(edit)
        members["model.json"] = json.dumps(doc).encode()
        if coef is not None:
            member = doc["model"]["state"]["coef_"]["__array__"]
            buf = io.BytesIO()
            np.save(buf, coef, allow_pickle=True)
            members[member] = buf.getvalue()
        with zipfile.ZipFile(folder / name, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)

    good = json.loads(zipfile.ZipFile(folder / "good.lingrad").read("model.json"))
    variant("objects.lingrad", {}, np.array([{"x": 1}, 2.0], dtype=object))
    variant("nan.lingrad", {}, np.array([np.nan, 2.0]))
    variant(
        "unknown.lingrad",
        {"model": {**good["model"], "class": "subprocess.Popen"}},
        None,
    )
    variant("future.lingrad", {"format_version": 99}, None)
    (folder / "two.csv").write_text("a,b\n1,2\n3,4\n")
    (folder / "one.csv").write_text("a\n1\n3\n")
    (folder / "inf.csv").write_text("a,b,y\n1,2,5\n3,4,inf\n")
    return folder


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("pickle.lingrad", ("pickle",)),
        ("truncated.lingrad", ("truncated",)),
        ("objects.lingrad", ("Python objects",)),
        ("nan.lingrad", ("NaN",)),
        ("unknown.lingrad", ("unknown estimator class 'subprocess.Popen'",)),
        ("future.lingrad", ("format 99", "upgrade")),
    ],
)
def test_bad_model_files(
    model_files: Path, tmp_path: Path, name: str, parts: tuple[str, ...]
) -> None:
    result = lingrad(
        tmp_path,
        "predict",
        "--model",
        str(model_files / name),
        "--data",
        str(model_files / "two.csv"),
        "--out",
        "p.csv",
    )
    check_error(result, 1, name, *parts)
    assert listing(tmp_path) == set()


def test_wrong_feature_count(model_files: Path, tmp_path: Path) -> None:
    result = lingrad(
        tmp_path,
        "predict",
        "--model",
        str(model_files / "good.lingrad"),
        "--data",
        str(model_files / "one.csv"),
        "--out",
        "p.csv",
    )
    check_error(result, 1, "one.csv", "1 feature column", "expects 2")
    assert listing(tmp_path) == set()


def test_evaluate_refuses_an_infinite_target(model_files: Path, tmp_path: Path) -> None:
    result = lingrad(
        tmp_path,
        "evaluate",
        "--model",
        str(model_files / "good.lingrad"),
        "--data",
        str(model_files / "inf.csv"),
        "--target",
        "y",
    )
    check_error(result, 1, "inf.csv: target column 'y' has an infinite value 'inf'")
    assert "at row 2;" in result.stderr and result.stdout == ""


def test_feature_columns_missing_at_predict_time(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(GOOD)
    (tmp_path / "new.csv").write_text("a,c\n1,2\n")
    result = fit(tmp_path, "train.csv", "--no-figures", out="run")
    assert result.returncode == 0, result.stderr
    before = listing(tmp_path)
    result = lingrad(
        tmp_path,
        "predict",
        "--model",
        "run/model.lingrad",
        "--data",
        "new.csv",
        "--out",
        "p.csv",
    )
    check_error(result, 1, "new.csv", "feature column(s) 'b' not found")
    assert listing(tmp_path) == before


# -------------------------------------------------------- output and training


def test_output_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(GOOD)
    (tmp_path / "afile").write_text("")
    before = listing(tmp_path)
    result = fit(tmp_path, "d.csv", out="afile/run")
    check_error(result, 1, "afile", "is a file", "choose another folder")
    assert listing(tmp_path) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere"
)
def test_output_folder_without_write_permission(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(GOOD)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = fit(tmp_path, "d.csv", out="locked/run")
        check_error(result, 1, "locked", "not writable")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_learning_rate_so_large_training_diverges(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 10},{3 * i}" for i in range(40))
    (tmp_path / "d.csv").write_text(f"a,b,y\n{rows}\n")
    (tmp_path / "runs").mkdir()  # an existing, empty folder is kept
    result = fit(
        tmp_path, "d.csv", "--solver", "sgd", "--lr", "1e6", out="runs/new/out"
    )
    check_error(result, 1, "training diverged", "lr=1e+06", "--lr", "--scale")
    assert listing(tmp_path) == {"d.csv", "runs"}


def test_usage_error_exits_2(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(GOOD)
    result = fit(tmp_path, "d.csv", "--test-size", "1.5")
    check_error(result, 2, "'--test-size'", "less than or equal to 1")
    assert listing(tmp_path) == {"d.csv"}


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = lingrad(
        tmp_path, "predict", "--model", "nope.lingrad", "--data", "x.csv", "--debug"
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("lingrad: error: model file")
