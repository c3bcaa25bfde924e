"""Values for a JSON document (metrics.json, a model's meta): NumPy to Python."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def jsonable(value: object) -> object:
    """Plain JSON values: mappings, sequences and arrays as dicts and lists, NumPy
    scalars as Python ones, non-finite floats as None, anything else as its str."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)
