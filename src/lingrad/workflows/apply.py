"""Apply a saved model to a table, batch by batch (for predict and evaluate)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from lingrad.errors import DataError

if TYPE_CHECKING:
    from lingrad.core.nodes import Array
    from lingrad.data.frame import Frame
    from lingrad.workflows.types import Features, Model, Values

CHUNK_ROWS = 65_536
FILLED = ("mean", "median", "most_frequent")


@dataclass
class Loaded:
    """A model read from its file, its meta (what fit knew) and its columns."""

    model: Model
    path: str
    meta: dict[str, object] = field(default_factory=dict)
    features: list[str] | None = None  # by name; None: every column, in file order
    categorical: tuple[str, ...] = ()
    n_features: int | None = None
    is_classifier: bool = False

    @property
    def impute(self) -> str | None:
        value = self.meta.get("impute")
        return value if isinstance(value, str) else None

    @property
    def id_column(self) -> str | None:
        value = self.meta.get("id")
        return value if isinstance(value, str) else None

    @property
    def target(self) -> str | None:
        value = self.meta.get("target")
        return value if isinstance(value, str) else None


def open_model(path: str) -> Loaded:
    """Read a model file and its meta (safe: nothing in it is executed)."""
    from lingrad.persist.modelfile import load, read_meta

    model = load(path)
    meta = read_meta(path)
    names = meta.get("features")
    if not isinstance(names, list):
        names = getattr(model, "feature_names_in_", None)
    n = getattr(model, "n_features_in_", None)
    categorical = meta.get("categorical") or ()
    if not isinstance(categorical, Iterable):
        categorical = ()
    return Loaded(
        model,
        path,
        meta,
        None if names is None else [str(f) for f in names],
        tuple(str(c) for c in categorical),
        None if n is None else int(n),
        hasattr(model, "classes_"),
    )


def batches(
    loaded: Loaded,
    data: str,
    target: str | None,
    chunk_rows: int = CHUNK_ROWS,
    *,
    labelled: bool = False,
    id_column: str | None = None,
    missing: str | None = None,
) -> Generator[Frame, None, None]:
    """:class:`~lingrad.data.frame.Frame` batches of ``data`` with the model's features
    (``X`` in the model's column order), the target when ``labelled`` and the ID
    column where the file has it.

    The file, its header and columns are checked here, before the first batch:
    :class:`DataError` when a feature is missing (by name) or the number of columns
    does not match the model. Built-in data sets come as one batch. Missing cells:
    ``missing`` (default: filled by the model's imputer, else an error).
    """
    from lingrad.data.frame import Frame, Layout, iter_frames
    from lingrad.workflows.tables import is_builtin, load

    if is_builtin(data):
        table = load(data, target, loaded.features, need_target=labelled)
        _check_count(loaded, data, table.feature_names)
        layout = Layout(tuple(table.feature_names), (), target)
        assert table.X is not None and table.rows is not None  # read whole
        return _one(Frame(table.X, table.y, None, table.rows, layout, table.where))
    if loaded.features is None:
        from lingrad.data.io import columns as table_columns

        features = [c for c in table_columns(data) if c not in (target, id_column)]
        _check_count(loaded, data, features)
    else:
        features = loaded.features
    layout = Layout(tuple(features), loaded.categorical, target, id_column)
    if missing is None:
        missing = "keep" if loaded.impute in FILLED else "error"
    hint = "fill it or drop that row (the model has no imputer)"
    if loaded.impute == "drop":
        hint = "fill it or drop that row (the model was fit with --impute drop)"
    frames = iter_frames(  # a generator (close() ends the read)
        data,
        layout,
        batch_size=chunk_rows,
        missing=missing,
        labelled=labelled,
        hint=hint,
    )
    return cast("Generator[Frame, None, None]", frames)


def _one(frame: Frame) -> Generator[Frame, None, None]:
    yield frame  # a generator, like iter_frames' (it has close())


def _check_count(loaded: Loaded, data: str, columns: list[str]) -> None:
    n = loaded.n_features
    if n is not None and len(columns) != n:
        raise DataError(
            f"{data}: has {len(columns)} feature column(s) but the model in "
            f"{loaded.path} expects {n}; give a table with the {n} feature columns "
            "it was trained on"
            + (" (and --target for evaluate)" if n < len(columns) else "")
        )


def predict(
    loaded: Loaded,
    X: Features,
    proba: bool,
    where: Callable[[int], str] | None = None,
) -> tuple[Values, Array | None]:
    """Predictions (and class probabilities) of one batch, in the model's columns.

    ``where``: row ``i`` of the batch in words (file, data row, line), for an
    error about one row (an overflow) instead of the batch's own index.
    """
    try:
        with warnings.catch_warnings():
            # the columns were matched by name above; sklearn cannot see the names
            warnings.filterwarnings("ignore", message="X does not have valid feature")
            pred = loaded.model.predict(X)
            P = loaded.model.predict_proba(X) if proba else None
    except DataError as e:
        row, reason = getattr(e, "row", None), getattr(e, "reason", None)
        if where is None or not isinstance(row, int) or reason is None:
            raise
        raise DataError(f"{where(row)}: {reason}") from e
    return np.asarray(pred), None if P is None else np.asarray(P)


def where_in(source: str, frame: Frame) -> Callable[[int], str]:
    """Row ``i`` of ``frame`` in words: ``FILE: row N (line L of the file)``."""
    return lambda i: f"{source}: {frame.where(int(frame.rows[i]))}"


def has_proba(loaded: Loaded) -> bool:
    return hasattr(loaded.model, "predict_proba")
