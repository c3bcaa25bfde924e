"""Reading CSV / Parquet tables: round trips, batches, and one test per bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from lingrad.data.io import (
    as_regression_target,
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    check_classification_target,
    ensure_writable_dir,
    iter_batches,
    read_table,
)
from lingrad.errors import ConstantFeatureWarning, DataError, LingradError

CSV = "a,b,y\n1,2.5,0\n-3,4e-1,1\n5,6,0\n"
X_CSV = np.array([[1.0, 2.5], [-3.0, 0.4], [5.0, 6.0]])


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error(path: Path, **kwargs: object) -> str:
    """The one-line message read_table raises for ``path``."""
    with pytest.raises(DataError) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert isinstance(info.value, LingradError)
    assert "\n" not in message and str(path) in message
    return message


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_round_trip_with_and_without_bom(tmp_path: Path, bom: bytes) -> None:
    path = write(tmp_path, "d.csv", bom + CSV.encode())
    table = read_table(path, target="y")
    assert_array_equal(table.X, X_CSV)
    assert table.X.dtype == np.float64
    assert_array_equal(table.y, [0, 1, 0])
    assert table.y is not None and table.y.dtype == np.int64
    assert table.feature_names == ["a", "b"]
    assert table.target_name == "y"


def test_csv_without_target_and_chosen_features(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", CSV)
    table = read_table(path)
    assert table.y is None and table.feature_names == ["a", "b", "y"]
    table = read_table(path, target="a", features=["y", "b"])
    assert_array_equal(table.X, [[0, 2.5], [1, 0.4], [0, 6]])
    assert_array_equal(table.y, [1, -3, 5])


def test_tsv_blank_lines_and_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "d.tsv", "a\tb\n\n 1 \t2\n\n3\t 4\n")
    assert_array_equal(read_table(path).X, [[1, 2], [3, 4]])


def test_parquet_round_trip_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    labels = np.array(["cat", "dog", "cat", "dog", "emu", "cat"], dtype=object)
    data = {f"x{j}": X[:, j] for j in range(3)}
    data["n"] = np.arange(6)
    pq.write_table(pa.table({**data, "label": labels}), tmp_path / "d.parquet")
    table = read_table(tmp_path / "d.parquet", target="label")
    assert_array_equal(table.X[:, :3], X)
    assert_array_equal(table.X[:, 3], np.arange(6))
    assert table.y is not None and table.y.dtype == object
    assert_array_equal(table.y, labels)


@settings(
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    n=st.integers(1, 12),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    batch_size=st.integers(1, 7),
)
def test_csv_and_parquet_agree_exactly_and_batches_concatenate(
    tmp_path: Path, n: int, d: int, seed: int, batch_size: int
) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=10.0 ** rng.integers(-5, 6), size=(n, d))
    y = rng.normal(size=n)
    names = [f"f{j}" for j in range(d)]
    lines = [",".join([*names, "t"])]
    lines += [
        ",".join(repr(float(v)) for v in [*row, t]) for row, t in zip(X, y, strict=True)
    ]
    csv_path = write(tmp_path, "r.csv", "\n".join(lines) + "\n")
    pq_path = tmp_path / "r.parquet"
    pq.write_table(pa.table({**dict(zip(names, X.T, strict=True)), "t": y}), pq_path)
    for path in (csv_path, pq_path):
        table = read_table(path, target="t")
        assert_array_equal(table.X, X)
        assert_array_equal(table.y, y)
        batches = list(iter_batches(path, "t", batch_size=batch_size))
        assert [len(b) for b, _ in batches[:-1]] == [batch_size] * (len(batches) - 1)
        assert_array_equal(np.vstack([b for b, _ in batches]), X)
        assert_array_equal(np.concatenate([t for _, t in batches]), y)


def test_iter_batches_reads_large_csv_in_bounded_batches(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 7},{i % 2}\n" for i in range(5000))
    path = write(tmp_path, "big.csv", "a,b,y\n" + rows)
    batches = list(iter_batches(path, target="y", batch_size=1200))
    assert [len(X) for X, _ in batches] == [1200, 1200, 1200, 1200, 200]
    assert_array_equal(batches[-1][0][-1], [4999, 4999 % 7])
    assert batches[1][1] is not None and batches[1][1][0] == 1200 % 2


def test_iter_batches_numbers_rows_from_the_start_of_the_file(tmp_path: Path) -> None:
    rows = "".join(f"{i},1\n" for i in range(2500)) + "x,1\n"
    path = write(tmp_path, "big.csv", "a,y\n" + rows)
    with pytest.raises(DataError, match=r"row 2501 \(line 2502 of the file\)"):
        list(iter_batches(path, target="y", batch_size=1000))
    pq.write_table(
        pa.table({"a": [1.0] * 30 + [np.nan], "y": [1] * 31}), tmp_path / "p.pq"
    )
    with pytest.raises(DataError, match=r"'a' has a missing value.*row 31"):
        list(iter_batches(tmp_path / "p.pq", target="y", batch_size=8))


def test_iter_batches_checks_the_file_when_called(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        iter_batches(tmp_path / "nope.csv", target="y")
    with pytest.raises(DataError, match="target column 'z' not found"):
        iter_batches(write(tmp_path, "d.csv", CSV), target="z")
    with pytest.raises(DataError, match="batch_size"):
        iter_batches(write(tmp_path, "d.csv", CSV), batch_size=0)
    with pytest.raises(DataError, match="no data rows"):
        list(iter_batches(write(tmp_path, "h.csv", "a,y\n"), target="y"))


# ------------------------------------------------------------------ bad inputs


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "file not found" in error(tmp_path / "nope.csv")
    (tmp_path / "dir.csv").mkdir()
    assert "is a folder" in error(tmp_path / "dir.csv")


def test_empty_file(tmp_path: Path) -> None:
    assert "empty (0 bytes)" in error(write(tmp_path, "e.csv", b""))
    assert "empty (0 bytes)" in error(write(tmp_path, "e.parquet", b""))
    assert "no header line" in error(write(tmp_path, "blank.csv", "\n\n"))


def test_header_only(tmp_path: Path) -> None:
    assert "header but no data rows" in error(write(tmp_path, "h.csv", "a,b,y\n"))
    pq.write_table(pa.table({"a": pa.array([], pa.float64())}), tmp_path / "h.parquet")
    assert "header but no data rows" in error(tmp_path / "h.parquet")


def test_non_numeric_feature_names_column_and_row(tmp_path: Path) -> None:
    rows = ["1,2,0"] * 6 + ["1,oops,1", "7,x,0"]
    path = write(tmp_path, "d.csv", "a,b,y\n" + "\n".join(rows) + "\n")
    message = error(path, target="y")
    assert "column 'b'" in message and "'oops'" in message
    assert "row 7 (line 8 of the file)" in message


def test_row_and_line_differ_after_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "\na,y\n1,0\n\n\nz,1\n")
    assert "row 2 (line 6 of the file)" in error(path, target="y")


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("", "empty cell"),
        ("nan", "missing value ('nan')"),
        ("NaN", "missing value ('NaN')"),
        ("NA", "missing value ('NA')"),
        ("inf", "infinite value 'inf'"),
        ("-Infinity", "infinite value '-Infinity'"),
        ("1e999", "infinite value '1e999'"),
    ],
)
def test_missing_or_infinite_feature(tmp_path: Path, cell: str, words: str) -> None:
    path = write(tmp_path, "d.csv", f"a,b,y\n1,2,0\n3,{cell},1\n")
    message = error(path, target="y")
    assert (
        f"feature column 'b' has {'an' if words[0] in 'aeiu' else 'a'} {words}"
        in message
    )
    assert "row 2 (line 3 of the file)" in message


@pytest.mark.parametrize("cell", ["", "nan", " NaN "])
def test_missing_target(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, "d.csv", f"a,y\n1,0\n2,{cell}\n3,1\n")
    message = error(path, target="y")
    assert "target column 'y'" in message and "row 2 (line 3 of the file)" in message


def test_nan_inf_null_in_parquet(tmp_path: Path) -> None:
    cases = {
        "nan_feature": ({"a": [1.0, np.nan], "y": [0, 1]}, "'a' has a missing value"),
        "inf_feature": ({"a": [1.0, np.inf], "y": [0, 1]}, "'a' has an infinite"),
        "null_feature": ({"a": [1, None], "y": [0, 1]}, "'a' has a missing value"),
        "null_target": ({"a": [1.0, 2.0], "y": [0, None]}, "'y' has a missing value"),
        "nan_target": ({"a": [1.0, 2.0], "y": [0.5, np.nan]}, "'y' has a missing"),
        "str_target": ({"a": [1.0, 2.0], "y": ["u", None]}, "'y' has a missing"),
    }
    for name, (columns, words) in cases.items():
        pq.write_table(pa.table(columns), tmp_path / f"{name}.parquet")
        message = error(tmp_path / f"{name}.parquet", target="y")
        assert words in message and "row 2 (data rows counted from 1)" in message


def test_non_numeric_parquet_columns(tmp_path: Path) -> None:
    table = pa.table(
        {"s": ["1", "x"], "t": pa.array([0, 1], pa.timestamp("s")), "y": [0, 1]}
    )
    pq.write_table(table, tmp_path / "d.parquet")
    assert "'s' has a non-numeric value 'x' at row 2" in error(
        tmp_path / "d.parquet", target="y", features=["s"]
    )
    assert "'t' holds timestamp[ms] values, not numbers" in error(
        tmp_path / "d.parquet", target="y", features=["t"]
    )


@pytest.mark.parametrize(
    ("row", "fields"), [("4,5,6,7", 4), ("4,5", 2)], ids=["too-many", "too-few"]
)
def test_ragged_rows_name_the_line(tmp_path: Path, row: str, fields: int) -> None:
    path = write(tmp_path, "d.csv", f"a,b,y\n1,2,3\n\n{row}\n8,9,10\n")
    message = error(path, target="y")
    assert f"line 4 has {fields} fields but the header has 3 (data row 2)" in message


def test_missing_target_lists_columns(tmp_path: Path) -> None:
    message = error(write(tmp_path, "d.csv", CSV), target="label")
    assert "target column 'label' not found" in message
    assert "columns: 'a', 'b', 'y'" in message


def test_missing_features_are_named(tmp_path: Path) -> None:
    message = error(write(tmp_path, "d.csv", CSV), target="y", features=["a", "q", "r"])
    assert "feature column(s) 'q', 'r' not found" in message


def test_target_listed_as_feature(tmp_path: Path) -> None:
    message = error(write(tmp_path, "d.csv", CSV), target="y", features=["a", "y"])
    assert "both target and feature" in message


def test_duplicate_column_names(tmp_path: Path) -> None:
    message = error(write(tmp_path, "d.csv", "a,b,a\n1,2,3\n"))
    assert "duplicate column name 'a'" in message


def test_unnamed_column(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", ",a,y\n0,1,2\n1,3,4\n")
    assert "no name" in error(path, target="y")
    assert read_table(path, target="y", features=["a"]).X.shape == (2, 1)


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.parquet", CSV)
    assert "not a Parquet file" in error(path)


def test_truncated_parquet(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"a": np.arange(100.0), "y": np.arange(100)}), tmp_path / "f.pq"
    )
    content = (tmp_path / "f.pq").read_bytes()
    path = write(tmp_path, "t.parquet", content[: len(content) // 2])
    assert "truncated" in error(path, target="y")


def test_unsupported_extension(tmp_path: Path) -> None:
    message = error(write(tmp_path, "d.xlsx", CSV))
    assert "unsupported file type '.xlsx'" in message and ".csv" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b\n1,caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in error(path)


def test_constant_feature_only_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b,y\n1,5,0\n2,5,1\n3,5,0\n")
    with pytest.warns(ConstantFeatureWarning, match="'b' hold a single value"):
        table = read_table(path, target="y")
    assert_array_equal(table.X[:, 1], [5, 5, 5])
    assert issubclass(ConstantFeatureWarning, UserWarning)


# --------------------------------------------------------------- target checks


def test_string_target_is_returned_raw(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,y\n1,10\n2,ten\n3,12.5\n")
    table = read_table(path, target="y")
    assert table.y is not None and table.y.dtype == object
    assert list(table.y) == ["10", "ten", "12.5"]
    with pytest.raises(DataError, match=r"d.csv: target column 'y' has a non-numeric"):
        as_regression_target(table.y, path, "y")
    with pytest.raises(DataError, match=r"'ten' at row 2"):
        as_regression_target(table.y, path, "y")


def test_numeric_text_targets_become_numbers(tmp_path: Path) -> None:
    ints = read_table(write(tmp_path, "i.csv", "a,y\n1,3\n2,-4\n"), target="y").y
    floats = read_table(write(tmp_path, "f.csv", "a,y\n1,3\n2,-4.5\n"), target="y").y
    assert ints is not None and ints.dtype == np.int64
    assert floats is not None and floats.dtype == np.float64
    assert_array_equal(as_regression_target(floats), [3.0, -4.5])
    assert_array_equal(as_regression_target(np.array(["1", " 2.5"], object)), [1, 2.5])


def test_check_classification_target() -> None:
    assert_array_equal(check_classification_target(np.array([1.0, 0.0, 1.0])), [0, 1])
    labels = np.array(["b", "a", "b"], dtype=object)
    assert_array_equal(check_classification_target(labels), ["a", "b"])
    with pytest.raises(DataError, match=r"f.csv: target column 'y' looks continuous"):
        check_classification_target(np.array([0.0, 0.5, 1.0]), "f.csv", "y")
    with pytest.raises(DataError, match=r"single class \(1\)"):
        check_classification_target(np.array([1, 1, 1]), "f.csv", "y")
    with pytest.raises(DataError, match=r"single class \('a'\)"):
        check_classification_target(np.array(["a"], dtype=object))


# --------------------------------------------------------------- output files


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "out" / "m.json", '{"J": 0.5}')
    assert (tmp_path / "out" / "m.json").read_text() == '{"J": 0.5}'
    atomic_write_bytes(tmp_path / "out" / "m.json", b"new")
    assert (tmp_path / "out" / "m.json").read_bytes() == b"new"
    assert os.listdir(tmp_path / "out") == ["m.json"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "p.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write(b"half written")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["p.csv"]
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "new.csv") as f:
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == ["p.csv"]


def test_atomic_write_into_a_folder_name_fails(tmp_path: Path) -> None:
    with pytest.raises(LingradError, match="is a folder"):
        atomic_write_text(tmp_path, "x")


def test_ensure_writable_dir(tmp_path: Path) -> None:
    assert ensure_writable_dir(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(LingradError, match="is a file, not a folder"):
        ensure_writable_dir(tmp_path / "file")
    with pytest.raises(LingradError, match="cannot create output folder"):
        ensure_writable_dir(tmp_path / "file" / "sub")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write")
def test_ensure_writable_dir_read_only(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(LingradError, match="not writable"):
            ensure_writable_dir(locked)
        with pytest.raises(LingradError, match="not writable"):
            atomic_write_text(locked / "m.json", "{}")
    finally:
        locked.chmod(0o700)


def test_ensure_writable_dir_reports_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(LingradError, match="is not writable; choose another folder"):
        ensure_writable_dir(tmp_path)


def test_errors_late_in_a_large_csv_are_located(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 3},{i % 2}\n" for i in range(60000))
    path = write(tmp_path, "big.csv", "a,b,y\n" + rows + "1,2,3,4\n" + rows)
    message = error(path, target="y")
    assert "line 60002 has 4 fields but the header has 3 (data row 60001)" in message
    path = write(tmp_path, "big2.csv", "a,b,y\n" + rows + "1,,0\n")
    assert "'b' has an empty cell at row 60001 (line 60002" in error(path, target="y")


def test_columns_reads_the_header_of_csv_and_parquet(tmp_path):
    from lingrad.data.io import columns

    csv = tmp_path / "t.csv"
    csv.write_text("\ufeffb,a,target\n1,2,3\n", encoding="utf-8")
    assert columns(csv) == ["b", "a", "target"]
    pq.write_table(pa.table({"x": [1.0], "y": [2.0]}), tmp_path / "t.parquet")
    assert columns(tmp_path / "t.parquet") == ["x", "y"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("fake.parquet", b"a,b\n1,2\n", "is not a Parquet file"),
    ],
)
def test_columns_errors_are_clear(tmp_path, name, content, message):
    from lingrad.data.io import columns

    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError) as info:
        columns(path)
    assert str(path) in str(info.value) and message in str(info.value)
