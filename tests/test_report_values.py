"""One ``jsonable`` for every JSON document lingrad writes (metrics.json, meta)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import MappingProxyType

import numpy as np

from lingrad.report.values import jsonable


def test_numpy_values_become_plain_json_and_non_finite_floats_become_null() -> None:
    doc = {
        "loss": np.float32(0.5),
        "n": np.int64(3),
        "ok": np.bool_(True),
        "w": np.array([[1.0, np.nan], [np.inf, -2.0]]),
        "pair": (np.float64(-math.inf), "a"),
        "where": Path("out") / "m.lingrad",
        1: None,
    }
    out = jsonable(doc)
    assert out == {
        "loss": 0.5,
        "n": 3,
        "ok": True,
        "w": [[1.0, None], [None, -2.0]],
        "pair": [None, "a"],
        "where": str(Path("out") / "m.lingrad"),
        "1": None,
    }
    assert json.loads(json.dumps(out, allow_nan=False)) == out  # strict JSON


def test_any_mapping_is_a_json_object_and_other_objects_their_text() -> None:
    assert jsonable(MappingProxyType({"a": np.float64(1.5)})) == {"a": 1.5}
    assert jsonable(complex(1, 2)) == "(1+2j)"
    assert type(jsonable(np.int8(4))) is int
