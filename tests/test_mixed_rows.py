"""Streamed batches of a table with text columns (lingrad.data.mixed.MixedRows):
numbers stay float64 through the shuffle buffer, and the fitted preprocessing
gives exactly what it gives on the raw cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lingrad.data.frame import Layout
from lingrad.data.mixed import MixedRows, as_cells, empty_rows, model_input, put_rows
from lingrad.scale.stream import Table, shuffled_batches
from lingrad.scale.tablefiles import list_files, open_files

CITIES = ("Lima", "Oslo", "Rome")


@pytest.fixture
def table(tmp_path: Path) -> Table:
    """a (some cells missing), city (text; some missing), b, y = 0..199: a Parquet
    file of 5 row groups."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=200)
    a[::17] = np.nan
    city = np.array(CITIES, dtype=object)[rng.integers(3, size=200)]
    city[::13] = None
    frame = pd.DataFrame({"a": a, "city": city, "b": rng.normal(size=200),
                          "y": np.arange(200)})  # fmt: skip
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=40)
    pieces, names = open_files(list_files(str(tmp_path / "t.parquet")), "y", None)
    layout = Layout(tuple(names), ("city",), "y")
    return Table(pieces, "y", names, batch_rows=30, seed=5, layout=layout,
                 missing="keep")  # fmt: skip


def same_cells(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal object arrays of raw cells (nan equal to nan)."""
    return a.shape == b.shape and [repr(v) for v in a.ravel()] == [
        repr(v) for v in b.ravel()
    ]


def test_mixed_rows_hold_the_raw_cells_with_the_numbers_as_floats(table):
    mixed = list(table.batches("all", mixed=True))
    cells = list(table.batches("all"))
    assert len(mixed) == len(cells) == 10  # batches of 30 in row groups of 40
    for (Xm, ym, *_), (Xc, yc, *_) in zip(mixed, cells, strict=True):
        assert isinstance(Xm, MixedRows) and Xc.dtype == object
        assert Xm.numbers.dtype == np.float64 and Xm.text_columns == (1,)
        assert np.isnan(Xm.numbers[:, 1]).all()  # the text column lives in .text
        assert same_cells(Xm.cells(), Xc)
        np.testing.assert_array_equal(ym, yc)


def test_the_preprocessing_reads_mixed_rows_as_it_reads_raw_cells(table):
    """Fitted on raw cells by column position (as fit_prep fits it), it gives the
    same matrix from MixedRows' frame, with no feature-name warning (-W error)."""
    X = np.concatenate([X for X, *_ in table.batches("all")])
    prep = ColumnTransformer([
        ("num", StandardScaler(), [0, 2]),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), [1]),
    ]).fit(X)  # fmt: skip
    for (Xm, *_), (Xc, *_) in zip(
        table.batches("all", mixed=True), table.batches("all"), strict=True
    ):
        np.testing.assert_array_equal(
            prep.transform(model_input(Xm)), prep.transform(Xc)
        )


def test_a_shuffled_epoch_moves_each_row_once_as_mixed_rows(table):
    """The buffer keeps every cell with its row: each y once, beside its own a."""
    by_y = {int(y): X for X, y, *_ in _rows(table)}
    seen = []
    for X, y in shuffled_batches(table, 0, 30, 90):
        assert isinstance(X, MixedRows) and len(X) == len(y) <= 30
        for k, label in enumerate(y.tolist()):
            assert same_cells(as_cells(X[k : k + 1]), by_y[int(label)])
            seen.append(int(label))
    assert sorted(seen) == list(range(200))


def _rows(table: Table):
    for X, y, *_ in table.batches("all"):
        for k in range(len(y)):
            yield X[k : k + 1], y[k]


def test_a_buffer_of_mixed_rows_takes_rows_in_and_gives_them_back(table):
    X = next(iter(table.batches("all", mixed=True)))[0]
    buf = empty_rows(X, 50)
    assert isinstance(buf, MixedRows) and buf.shape == (50, 3)
    slots = np.array([40, 3, 17])
    put_rows(buf, slots, X[:3])
    assert same_cells(as_cells(buf[slots]), as_cells(X[:3]))
    plain = empty_rows(np.zeros((2, 3)), 4)
    assert plain.shape == (4, 3) and plain.dtype == np.float64
    with pytest.raises(TypeError, match="do not mix"):
        put_rows(buf, slots, np.zeros((3, 3)))
