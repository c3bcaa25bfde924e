"""Tables for the commands: a CSV / Parquet file or a built-in data set by name."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import NDArray

from lingrad.errors import DataError
from lingrad.models.registry import ModelSpec

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from lingrad.core.nodes import Array
    from lingrad.scale.stream import Table
    from lingrad.workflows.types import Features, Values

BUILTIN_PREFIXES = ("sklearn:", "synthetic:")
STREAM_THRESHOLD = 1 << 30  # files larger than this (bytes) are streamed by default


@dataclass
class Data:
    """Features ``X`` (N, D), target ``y`` (N,), and where they came from.

    ``X`` is float64 (NaN: a missing cell, kept for an imputer), or a pandas
    DataFrame when some features are text (``categorical``): float64 numbers and
    pyarrow-coded text columns (:mod:`lingrad.data.table`). ``rows``: the
    0-based data row of the file of each row (rows with missing cells dropped,
    ``n_dropped``); ``ids``: the ID column's values (a pyarrow Array) or None.
    """

    X: Features | None  # None: a table read in pieces (:func:`table_data`)
    y: Values | None  # raw target values (numbers or labels); None: none read
    feature_names: list[str]
    target: str | None
    source: str  # the file path or the built-in name
    path: Path | None  # None for built-in data
    ids: pa.Array | None = None  # the ID column's values
    rows: NDArray[np.int64] | None = None
    categorical: tuple[str, ...] = ()
    id_column: str | None = None
    n_dropped: int = 0
    where: Callable[[int], str] = field(default=lambda row: f"row {row + 1}")


def is_builtin(data: str) -> bool:
    return data.startswith(BUILTIN_PREFIXES) and not Path(data).exists()


def file_size(data: str) -> int:
    try:
        return 0 if is_builtin(data) else os.path.getsize(data)
    except OSError:
        return 0


def features_but(data: str, target: str | None, exclude: Sequence[str]) -> list[str]:
    """Every column of file ``data`` but the target and ``exclude``."""
    from lingrad.data.frame import choose_features
    from lingrad.data.io import columns

    return choose_features(columns(data), data, target, None, exclude)


def load(
    data: str | pd.DataFrame,
    target: str | None,
    features: list[str] | None,
    *,
    need_target: bool = True,
    exclude: Sequence[str] = (),
    id_column: str | None = None,
    categorical: str = "error",
    missing: str = "error",
) -> Data:
    """Read ``data`` (a file, ``sklearn:<name>`` / ``synthetic:<name>``, or from
    Python a pandas DataFrame, read as a file is).

    ``exclude``: columns left out; ``id_column``: carried, never a feature;
    ``categorical`` / ``missing``: see :func:`lingrad.data.frame.read_frame`.
    """
    source, path = ("DataFrame", None) if not isinstance(data, str) else (data, data)
    if path is not None and is_builtin(data):
        if id_column is not None:
            raise DataError(f"{data}: built-in data has no ID column; leave out --id")
        return _builtin(data, target, features, need_target, exclude)
    if need_target and target is None:
        raise DataError(
            f"{source}: say which column is the target with --target COLUMN "
            "(the other columns are the features unless --features names them)"
        )
    from lingrad.data.frame import read_frame

    frame = read_frame(
        data,
        target=target,
        features=features,
        exclude=exclude,
        id_column=id_column,
        categorical=categorical,
        missing=missing,
    )
    layout = frame.layout
    return Data(
        frame.X,
        frame.y,
        list(layout.features),
        layout.target,
        source,
        None if path is None else Path(path),
        ids=frame.ids,
        rows=frame.rows,
        categorical=layout.categorical,
        id_column=layout.id,
        n_dropped=frame.n_dropped,
        where=frame.where,
    )


def _builtin(
    name: str,
    target: str | None,
    features: list[str] | None,
    need_target: bool,
    exclude: Sequence[str] = (),
) -> Data:
    from lingrad.data.datasets import load as load_builtin
    from lingrad.data.frame import choose_features

    X, y, names, target_name, _task = load_builtin(name)
    if target is not None and target != target_name:
        raise DataError(
            f"{name}: the built-in data set's target is {target_name!r}, not "
            f"{target!r}; leave out --target or give {target_name!r}"
        )
    if features is not None or exclude:
        chosen = choose_features(names, name, None, features, exclude)
        missing = [f for f in chosen if f not in names]
        if missing:
            raise DataError(
                f"{name}: feature column(s) {', '.join(map(repr, missing))} not "
                f"found; columns: {', '.join(map(repr, names))}"
            )
        X = X[:, [names.index(f) for f in chosen]]
        names = chosen
    return Data(
        np.asarray(X, dtype=np.float64),
        y if need_target else None,
        list(names),
        target_name,
        name,
        None,
        rows=np.arange(len(X), dtype=np.int64),
    )


def table_data(table: Table, source: str) -> Data:
    """The :class:`Data` (no rows) of a table read in pieces, for the summary."""
    layout = table.layout
    return Data(
        None, None, list(table.features), table.target, source, None,
        categorical=() if layout is None else tuple(layout.categorical),
        id_column=None if layout is None else layout.id,
    )  # fmt: skip


def check_target(
    spec: ModelSpec, y: Values | None, data: Data
) -> tuple[Array, Array | None]:
    """y as the model needs it, and the classes (None for regression).

    Raises :class:`DataError` for strings given to a regressor, a continuous target
    (fractions, or many distinct numbers) or a single class given to a
    classifier, and more than two classes given to a binary-only model.
    """
    from lingrad.data.io import as_regression_target, check_classification_target

    path = data.path if data.path is not None else data.source
    if y is None:
        raise DataError(f"{data.source}: no target column was read")
    y = cast("Array", y)  # data's checks take labels of any dtype (str, numbers)
    if spec.task == "regression":
        return as_regression_target(y, path, data.target), None
    classes = check_classification_target(y, path, data.target)
    _refuse_continuous(y, classes, data)
    return y, classes


MAX_NUMERIC_CLASSES = 20


def _refuse_continuous(y: Array, classes: Array, data: Data) -> None:
    """A numeric target with more than 20 distinct values, all seen in under 4
    rows on average (floats: any such count), is a quantity, not class labels."""
    K, N = len(classes), len(y)
    if y.dtype.kind not in "iuf" or K <= MAX_NUMERIC_CLASSES:
        return
    if y.dtype.kind in "iu" and 4 * K <= N:
        return
    lo, hi = np.asarray(classes[[0, -1]]).tolist()
    raise DataError(
        f"{data.source}: target column {data.target!r} holds {K} distinct numbers "
        f"({lo!r} to {hi!r}) in {N} rows: a quantity, not class labels; use a "
        "regression model (--model linear), or give a column of class labels "
        "(text, or whole numbers with few distinct values)"
    )


def check_binary(spec: ModelSpec, classes: Values, data: Data) -> None:
    """A binary-only model must see exactly two classes."""
    if spec.task == "binary" and len(classes) > 2:
        shown = ", ".join(map(repr, np.asarray(classes[:6]).tolist()))
        more = ", ..." if len(classes) > 6 else ""
        raise DataError(
            f"{data.source}: target column {data.target!r} has {len(classes)} classes "
            f"({shown}{more}) but model {spec.name!r} separates two; use "
            "--model softmax or --model multiclass-perceptron, or keep two classes"
        )
