"""Out-of-core training from files (lingrad.scale.stream, ``fit --stream``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from lingrad.cli import main
from lingrad.data.split import held_out
from lingrad.models import LinearRegression, LogisticRegression
from lingrad.scale.stream import Table, shuffled_batches
from lingrad.scale.tablefiles import list_files, open_files


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """Three Parquet files (row groups of 40) and a CSV: one table of 460 rows."""
    rng = np.random.default_rng(1)
    folder = tmp_path / "parts"
    folder.mkdir()
    frames = []
    for i, n in enumerate((150, 130, 100, 80)):
        X = rng.normal(size=(n, 3))
        frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
            row=np.arange(n) + 1000 * i,
            y=X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=n),
            label=np.where(X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=n) > 0, "b", "a"),
        )
        if i < 3:
            frame.to_parquet(folder / f"p{i}.parquet", row_group_size=40)
        else:
            frame.to_csv(folder / "p3.csv", index=False)
        frames.append(frame.assign(file=f"p{i}", line=np.arange(n)))
    return folder, pd.concat(frames, ignore_index=True)


def training_rows(table: pd.DataFrame, test_size: float | None, seed: int) -> Any:
    """The rows ``held_out`` keeps for training, file by file."""
    keep = []
    for name, part in table.groupby("file", sort=True):
        suffix = ".csv" if name == "p3" else ".parquet"
        test = held_out(seed, Path(name + suffix), 0, len(part), test_size)
        keep.append(part[~test])
    return pd.concat(keep)


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_epoch_reads_every_training_row_once_shuffled_across_pieces(parts):
    folder, table = parts
    pieces, names = open_files(list_files(str(folder)), "row", ["a", "b", "c"])
    assert len(pieces) == 4 + 4 + 3 + 1  # row groups of 40, and the CSV file
    stream = Table(pieces, "row", names, batch_rows=30, test_size=0.25, seed=5)
    expected = set(training_rows(table, 0.25, 5)["row"])
    orders = []
    for epoch in range(2):
        batches = list(shuffled_batches(stream, epoch, 30, 120))
        rows = np.concatenate([y for _, y in batches])
        assert sorted(rows) == sorted(expected)  # each once, none held out
        assert max(len(y) for _, y in batches) == 30
        first = batches[0][1] // 1000  # the files a batch mixes
        assert len(np.unique(first)) >= 2 or len(np.unique(batches[1][1] // 1000)) >= 2
        orders.append(rows)
    assert not np.array_equal(orders[0], orders[1])  # a new order every epoch
    assert stream.passes == 2  # one decode per epoch


def test_streamed_closed_form_is_the_exact_fit(parts, tmp_path, capsys):
    """A folder, the default linear model: one Gram pass, not a switch to SGD."""
    folder, table = parts
    argv = ["fit", "--data", folder, "--target", "y", "--features", "a,b,c",
            "--model", "linear", "--test-size", "0.2", "--no-figures", "--out",
            tmp_path / "run"]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "streamed: normal, exact" in out
    train = training_rows(table, 0.2, 0)
    ref = LinearRegression().fit(train[["a", "b", "c"]].to_numpy(), train["y"])
    from lingrad import load

    model = load(tmp_path / "run" / "model.lingrad")
    assert_allclose(model.coef_, ref.coef_, rtol=1e-10)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["data"]["training rows"] == len(train)
    assert metrics["metrics"]["train"]["r2"] == pytest.approx(
        ref.score(train[["a", "b", "c"]].to_numpy(), train["y"]), rel=1e-9
    )
    assert "exact" in (tmp_path / "run" / "report.html").read_text()
    # evaluate --split re-draws fit's held-out rows (by each row's file and place)
    for split, rows in (("test", "test"), ("train", "train")):
        code, out, err = run(["evaluate", "--model", tmp_path / "run" / "model.lingrad",
                              "--data", folder, "--split", split, "--json"],
                             capsys)  # fmt: skip
        assert code == 0, err
        doc = json.loads(out)["metrics"]
        assert doc["n"] == metrics["data"]["training rows" if rows == "train"
                                           else "held-out rows"]  # fmt: skip
        assert doc["r2"] == pytest.approx(metrics["metrics"][rows]["r2"], rel=1e-9)


def test_streamed_lbfgs_classifier_matches_memory(parts, tmp_path, capsys):
    folder, table = parts
    code, _, err = run(["fit", "--data", folder, "--target", "label", "--features",
                        "a,b,c", "--model", "logistic", "--stream", "--tol", "1e-10",
                        "--no-figures", "--out", tmp_path / "run"], capsys)  # fmt: skip
    assert code == 0, err
    from lingrad import load

    model = load(tmp_path / "run" / "model.lingrad")
    ref = LogisticRegression(tol=1e-10).fit(table[["a", "b", "c"]].to_numpy(),
                                            table["label"])  # fmt: skip
    assert_allclose(model.coef_, ref.coef_, rtol=1e-7)


def test_streamed_sgd_keeps_a_bounded_history(parts, tmp_path, capsys, monkeypatch):
    from lingrad.workflows import stream

    monkeypatch.setattr(stream, "STREAM_MAX_STEPS", 50)
    folder, table = parts
    code, out, err = run(["fit", "--data", folder, "--target", "label", "--features",
                          "a,b,c", "--model", "logistic", "--solver", "sgd",
                          "--max-iter", "2", "--no-figures", "--out",
                          tmp_path / "run"], capsys)  # fmt: skip
    assert code == 0, err
    assert "2 passes over the file" in out
    history = np.load(tmp_path / "run" / "history.npz")
    assert 25 <= len(history["step_loss"]) <= 50  # decimated, evenly spread
    assert history["step_index"][-1] >= 2 * len(table) - 2 * 50
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["metrics"]["train"]["accuracy"] > 0.8


def test_a_bad_cell_in_the_fourth_file_names_file_column_and_row(
    parts, tmp_path, capsys
):
    folder, _ = parts
    text = (folder / "p3.csv").read_text().splitlines()
    cells = text[6].split(",")
    cells[1] = "oops"
    text[6] = ",".join(cells)
    (folder / "p3.csv").write_text("\n".join(text) + "\n")
    code, _, err = run(["fit", "--data", folder, "--target", "y", "--features",
                        "a,b,c", "--model", "linear", "--no-figures", "--out",
                        tmp_path / "run"], capsys)  # fmt: skip
    assert code == 1
    assert "p3.csv" in err and "'b'" in err and "row 6" in err and "oops" in err
    assert not (tmp_path / "run").exists()  # a failed fit leaves nothing


def test_the_fast_read_equals_the_checked_one_and_falls_back_on_a_bad_cell(tmp_path):
    """Two paths, one table: plain finite numbers skip the per-column checks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lingrad.data.columns import to_xy
    from lingrad.data.tablefile import open_source
    from lingrad.errors import DataError
    from lingrad.scale.tablefiles import _plain_numbers, read_piece

    y = pa.array([1.0, 0.0, 1.0])
    batch = pa.record_batch(
        {"f": pa.array([0.5, -2.0, 3.25]), "i": pa.array([1, 2, 3]), "y": y}
    )
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_batches([batch]), path)
    X_fast = _plain_numbers(batch, ["f", "i"])
    X_checked, _ = to_xy(open_source(path), batch, ["f", "i"], "y", 0)
    assert X_fast.tobytes() == X_checked.tobytes()
    bad = pa.record_batch(
        {"f": pa.array([0.5, None, 3.25]), "i": pa.array([1, 2, 3]), "y": y}
    )
    assert _plain_numbers(bad, ["f", "i"]) is None
    pq.write_table(pa.Table.from_batches([bad]), path)
    pieces, names = open_files([path], "y", ["f", "i"])
    with pytest.raises(DataError, match=r"t.parquet.*'f'.*missing.*row 2"):
        list(read_piece(pieces[0], "y", names, 10))
