"""A text feature column is read without a Python string per cell: one object per
category (pyarrow's dictionary encoding), missing cells NaN, values trimmed."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lingrad.data.frame import read_frame
from lingrad.data.table import column


def test_a_text_column_holds_one_string_object_per_category(tmp_path):
    rng = np.random.default_rng(0)
    words = np.array(["Oslo", " Lima ", "Pune", "NA", None], dtype=object)
    city = words[rng.integers(0, len(words), 1000)]
    table = pa.table(
        {"x": rng.standard_normal(1000), "city": pa.array(city, pa.string()),
         "y": rng.integers(0, 2, 1000)}
    )  # fmt: skip
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    frame = read_frame(path, target="y", missing="keep")
    col = column(frame.X, 1)  # its cells as the Pipeline reads them
    present = [v for v in col if isinstance(v, str)]
    assert len({id(v) for v in present}) == 3
    expected = [None if w in (None, "NA") else w.strip() for w in city]
    got = [None if isinstance(v, float) and math.isnan(v) else v for v in col]
    assert got == expected
