"""Apply a saved model to a table, batch by batch (for predict and evaluate)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingrad.errors import DataError

CHUNK_ROWS = 65_536


@dataclass
class Loaded:
    """A model read from its file, and the feature columns it expects."""

    model: Any
    path: str
    features: list[str] | None  # by name; None: every column, in file order
    n_features: int | None
    is_classifier: bool


def open_model(path: str) -> Loaded:
    """Read a model file (safe: nothing in it is executed)."""
    from lingrad.io import load_model

    model = load_model(path)
    names = getattr(model, "feature_names_in_", None)
    n = getattr(model, "n_features_in_", None)
    return Loaded(
        model,
        path,
        None if names is None else [str(f) for f in names],
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
) -> Iterator[tuple[Any, Any, int]]:
    """``(X, y, row0)`` batches of ``data`` with the model's feature columns.

    The file, its header and columns are checked here, before the first batch:
    :class:`DataError` when a feature is missing (by name) or the number of columns
    does not match the model. Built-in data sets come as one batch (with their
    target when ``labelled``).
    """
    from lingrad.cli._data import is_builtin, load
    from lingrad.io import columns as table_columns

    if is_builtin(data):
        table = load(data, target, loaded.features, need_target=labelled)
        _check_count(loaded, data, table.feature_names)
        return iter([(table.X, table.y, 0)])
    from lingrad.io import iter_batches

    it = iter_batches(data, target, loaded.features, chunk_rows)
    if loaded.features is None:
        columns = [c for c in table_columns(data) if c != target]
        _check_count(loaded, data, columns)

    def numbered() -> Iterator[tuple[Any, Any, int]]:
        row0 = 0
        for X, y in it:
            yield X, y, row0
            row0 += len(X)

    return numbered()


def _check_count(loaded: Loaded, data: str, columns: list[str]) -> None:
    n = loaded.n_features
    if n is not None and len(columns) != n:
        raise DataError(
            f"{data}: has {len(columns)} feature column(s) but the model in "
            f"{loaded.path} expects {n}; give a table with the {n} feature columns "
            "it was trained on"
            + (" (and --target for evaluate)" if n < len(columns) else "")
        )


def predict(loaded: Loaded, X: Any, proba: bool) -> tuple[Any, Any]:
    """Predictions (and class probabilities) of one batch, in the model's columns."""
    with warnings.catch_warnings():
        # the columns were matched by name above; sklearn cannot see the names
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        pred = loaded.model.predict(X)
        P = loaded.model.predict_proba(X) if proba else None
    return np.asarray(pred), None if P is None else np.asarray(P)


def has_proba(loaded: Loaded) -> bool:
    return hasattr(loaded.model, "predict_proba")
