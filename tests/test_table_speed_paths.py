"""The fast paths of ``lingrad fit`` on a table in memory: a text column reaches
the preprocessing as integer codes (a pandas Categorical from pyarrow's dictionary
encoding) and the numbers as float64, never as an object array of cells, with the
model the raw cells give; figures draw a sample of rows and of History records,
and say so."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_array_equal

from lingrad.data.frame import Layout, convert_batch, read_frame
from lingrad.data.table import column, rows_of
from lingrad.data.tablefile import from_memory
from lingrad.models.registry import model_spec
from lingrad.workflows import pipeline
from lingrad.workflows.figures import draw_figures, sample_rows, thinned
from lingrad.workflows.memory import fit_in_memory
from lingrad.workflows.tables import load

CITIES = np.array(["Oslo", " Lima", "Pune ", "NA", None, "Kyiv"], dtype=object)


def messy_table(n: int = 400, seed: int = 0) -> pa.Table:
    """Two numbers (a NaN), a text column with missing cells between them, 0/1 y."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    x[7, 0] = np.nan
    k = rng.integers(0, len(CITIES), n)
    z = x[:, 1] + (k % 3) - 1 + 0.5 * rng.standard_normal(n)
    return pa.table(
        {"a": x[:, 0], "city": pa.array(CITIES[k], pa.string()), "b": x[:, 1],
         "y": (z > 0).astype(np.int64)}
    )  # fmt: skip


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "messy.parquet"
    pq.write_table(messy_table(), path)
    return path


def test_a_text_column_is_read_as_codes_and_the_numbers_as_floats(parquet):
    frame = read_frame(parquet, target="y", missing="keep")
    X = frame.X
    assert isinstance(X, pd.DataFrame) and list(X.columns) == ["a", "city", "b"]
    assert X["a"].dtype == np.float64 and X["b"].dtype == np.float64
    city = X["city"]
    assert isinstance(city.dtype, pd.CategoricalDtype)
    assert city.cat.codes.dtype.kind == "i"  # an integer per cell, no object
    assert all(d != np.dtype(object) for d in X.dtypes)
    # missing cells (null, "NA") are code -1; present ones trimmed
    cells = messy_table().column("city").to_pylist()
    expected = [None if c in (None, "NA") else c.strip() for c in cells]
    got = column(X, 1).tolist()
    assert [None if isinstance(v, float) else v for v in got] == expected
    assert np.isnan(column(X, 0)[7])


def test_coded_text_columns_give_the_model_of_the_raw_cells(parquet):
    """The preprocessing fitted on the coded DataFrame equals, bit for bit, the one
    fitted on the object array of raw cells (what a batch and predict read)."""
    src, table = from_memory(messy_table())
    layout = Layout(("a", "city", "b"), ("city",), "y")
    raw = convert_batch(src, table, layout, 0, "keep", "")
    coded = convert_batch(src, table, layout, 0, "keep", "", form="coded")
    assert raw.X.dtype == object and isinstance(coded.X, pd.DataFrame)
    for impute in ("mean", "most_frequent"):
        spec = model_spec("logistic")
        models = []
        for X in (raw.X, coded.X):
            est = spec.cls()(solver="lbfgs", random_state=0)
            model = pipeline.build(est, layout.features, ("city",), True, impute)
            models.append(model.fit(X, raw.y))
        a, b = models
        assert_array_equal(a[:-1].transform(raw.X), b[:-1].transform(coded.X))
        assert_array_equal(a[-1].coef_, b[-1].coef_)
        # the model fitted on codes reads new raw rows as the other does (the
        # saved model names its inputs: a numpy X has none, as at predict time)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature")
            assert_array_equal(a.predict_proba(raw.X), b.predict_proba(raw.X))


def test_what_reaches_the_pipeline_holds_no_object_column(parquet, monkeypatch):
    seen = []
    build = pipeline.build

    def spy(*args, **kwargs):
        model = build(*args, **kwargs)
        fit = model.fit

        def recording_fit(X, y, **kw):
            seen.append(X)
            return fit(X, y, **kw)

        monkeypatch.setattr(model, "fit", recording_fit)
        return model

    monkeypatch.setattr(pipeline, "build", spy)
    data = load(str(parquet), "y", None, categorical="auto", missing="keep")
    result = fit_in_memory(model_spec("logistic"), data, {"solver": "lbfgs"},
                           scale=True, test_size=0.25, seed=0,
                           impute="mean")  # fmt: skip
    (X,) = seen
    kinds = {X[c].dtype.kind if c != "city" else X[c].cat.codes.dtype.kind
             for c in X.columns}  # fmt: skip
    assert kinds == {"f", "i"} and all(d != np.dtype(object) for d in X.dtypes)
    assert len(X) == result.data_summary["training rows"]
    # the held-out rows are the split's, in table order
    assert isinstance(result.X_test, pd.DataFrame)
    assert result.metrics["test"]["n"] == len(result.X_test)


def test_rows_of_takes_positions_masks_and_slices_alike():
    X = pd.DataFrame({"a": np.arange(5.0), "c": pd.Categorical(list("xyxzy"))})
    for index in ([4, 1], np.array([True, False, True, False, False]), slice(1, 3)):
        part = rows_of(X, index)
        assert list(part.index) == list(range(len(part)))
        assert_array_equal(part["a"], np.arange(5.0)[index])
    assert_array_equal(rows_of(np.arange(5), [4, 1]), [4, 1])


def test_figures_draw_a_sample_of_rows_and_say_so(parquet, tmp_path, monkeypatch):
    data = load(str(parquet), "y", None, categorical="auto", missing="keep")
    result = fit_in_memory(model_spec("logistic"), data,
                           {"solver": "sgd", "max_iter": 3, "tol": None}, scale=True,
                           test_size=0.5, seed=0, impute="mean")  # fmt: skip
    y_all = result.y_test
    X, y, words = sample_rows(result.X_test, y_all, limit=50)
    assert len(X) == len(y) == 50 and words == f" (random sample: 50 of {len(y_all)})"
    assert sample_rows(result.X_test, result.y_test, limit=10**6)[2] == ""
    import lingrad.workflows.figures as figures

    monkeypatch.setattr(figures, "MAX_ROWS", 50)
    monkeypatch.setattr(figures, "MAX_RECORDS", 100)
    drawn = draw_figures(result, tmp_path)
    ax = drawn.figures["confusion_matrix.png"].axes[0]
    assert ax.get_title().startswith(f"Confusion matrix, held-out rows\n{words[1:]}")
    assert drawn.captions["confusion_matrix.png"].endswith(f"held-out rows{words}")
    counts = [int(t.get_text()) for t in ax.texts]
    assert sum(counts) == 50
    h = result.history
    S = len(np.asarray(h.step_loss))
    view, stride = thinned(h, 100)
    assert stride == -(-S // 100) > 1 and len(view.step_loss) <= 100
    assert_array_equal(view.step_loss, np.asarray(h.step_loss)[::stride])
    assert_array_equal(view.step_index, np.arange(S)[::stride])  # the drawn steps
    ax = drawn.figures["training.png"].axes[0]
    assert f"one record in {stride} drawn" in ax.get_title()
    assert len(ax.get_lines()[0].get_xdata()) == len(view.step_loss)
