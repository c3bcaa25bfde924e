"""Tables for the commands: a CSV / Parquet file or a built-in data set by name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lingrad.cli._common import ModelSpec
from lingrad.errors import DataError

BUILTIN_PREFIXES = ("sklearn:", "synthetic:")
STREAM_THRESHOLD = 1 << 30  # files larger than this (bytes) are streamed by default


@dataclass
class Data:
    """Features ``X`` (N, D) float64, target ``y`` (N,), and where they came from."""

    X: Any
    y: Any
    feature_names: list[str]
    target: str | None
    source: str  # the file path or the built-in name
    path: Path | None  # None for built-in data


def is_builtin(data: str) -> bool:
    return data.startswith(BUILTIN_PREFIXES) and not Path(data).exists()


def file_size(data: str) -> int:
    try:
        return 0 if is_builtin(data) else os.path.getsize(data)
    except OSError:
        return 0


def load(
    data: str,
    target: str | None,
    features: list[str] | None,
    *,
    need_target: bool = True,
) -> Data:
    """Read ``data`` (a file, or ``sklearn:<name>`` / ``synthetic:<name>``)."""
    if is_builtin(data):
        return _builtin(data, target, features, need_target)
    if need_target and target is None:
        raise DataError(
            f"{data}: say which column is the target with --target COLUMN "
            "(the other columns are the features unless --features names them)"
        )
    from lingrad.io import read_table

    table = read_table(data, target=target, features=features)
    return Data(
        table.X, table.y, table.feature_names, table.target_name, data, Path(data)
    )


def _builtin(
    name: str, target: str | None, features: list[str] | None, need_target: bool
) -> Data:
    from lingrad.datasets import load as load_builtin

    X, y, names, target_name, _task = load_builtin(name)
    if target is not None and target != target_name:
        raise DataError(
            f"{name}: the built-in data set's target is {target_name!r}, not "
            f"{target!r}; leave out --target or give {target_name!r}"
        )
    if features is not None:
        missing = [f for f in features if f not in names]
        if missing:
            raise DataError(
                f"{name}: feature column(s) {', '.join(map(repr, missing))} not "
                f"found; columns: {', '.join(map(repr, names))}"
            )
        X = X[:, [names.index(f) for f in features]]
        names = list(features)
    return Data(
        np.asarray(X, dtype=np.float64),
        y if need_target else None,
        list(names),
        target_name,
        name,
        None,
    )


def check_target(spec: ModelSpec, y: Any, data: Data) -> tuple[Any, Any]:
    """y as the model needs it, and the classes (None for regression).

    Raises :class:`DataError` for strings given to a regressor, a continuous target
    or a single class given to a classifier, and more than two classes given to a
    binary-only model.
    """
    from lingrad.io import as_regression_target, check_classification_target

    path = data.path if data.path is not None else data.source
    if spec.task == "regression":
        return as_regression_target(y, path, data.target), None
    classes = check_classification_target(y, path, data.target)
    return y, classes


def check_binary(spec: ModelSpec, classes: Any, data: Data) -> None:
    """A binary-only model must see exactly two classes."""
    if spec.task == "binary" and len(classes) > 2:
        shown = ", ".join(map(repr, np.asarray(classes[:6]).tolist()))
        more = ", ..." if len(classes) > 6 else ""
        raise DataError(
            f"{data.source}: target column {data.target!r} has {len(classes)} classes "
            f"({shown}{more}) but model {spec.name!r} separates two; use "
            "--model softmax or --model multiclass-perceptron, or keep two classes"
        )
