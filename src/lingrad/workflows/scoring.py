"""The work of ``lingrad evaluate``: metrics of a saved model on a table, on all
rows or on the training / held-out rows of fit's split (re-created from the seed
and test size saved in the model file)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from lingrad.errors import DataError

if TYPE_CHECKING:
    from lingrad.core.nodes import Array
    from lingrad.workflows.apply import Loaded
    from lingrad.workflows.metrics import Metrics
    from lingrad.workflows.types import Features, Index

Where = Callable[[int], str] | None  # row i of a batch in words (None: its index)


class Score(TypedDict):
    """What ``lingrad evaluate`` reports."""

    model: str
    estimator: str
    data: str
    target: str | None
    split: str
    metrics: Metrics


def score(model: Path, data: str, target: str | None, split: str) -> Score:
    """``{"model", "estimator", "data", "target", "split", "metrics"}``."""
    from lingrad.workflows.apply import has_proba, open_model, predict
    from lingrad.workflows.metrics import metrics_for
    from lingrad.workflows.pipeline import describe, final_estimator
    from lingrad.workflows.tables import is_builtin

    loaded = open_model(str(model))
    target = target or loaded.target
    if target is None and not is_builtin(data):
        raise DataError(
            f"{data}: say which column is the target with --target COLUMN (the "
            f"model file {model} does not name one)"
        )
    classifier = loaded.is_classifier
    acc = metrics_for(loaded.model.classes_ if classifier else None)
    proba = classifier and has_proba(loaded)
    n_dropped = 0
    for X, y, dropped, where in parts(loaded, data, target, split):
        pred, P = predict(loaded, X, proba, where)
        acc.update(y, pred, P)
        n_dropped += dropped
    metrics = acc.result()
    if n_dropped:
        metrics["rows left out (missing cells, as fit did)"] = n_dropped
    prep = describe(loaded.model)
    name = type(final_estimator(loaded.model)).__name__
    return {
        "model": str(model),
        "estimator": name + (f" after {prep}" if prep else ""),
        "data": data,
        "target": target,
        "split": split,
        "metrics": metrics,
    }


def _labels(
    loaded: Loaded, y: Array | None, data: str, target: str | None, row0: int
) -> Array:
    from lingrad.data.targets import as_regression_target, check_labels

    assert y is not None  # the batches are read labelled
    check = check_labels if loaded.is_classifier else as_regression_target
    return check(y, data, target, row0)


def parts(
    loaded: Loaded, data: str, target: str | None, split: str
) -> Iterator[tuple[Features, Array, int, Where]]:
    """``(X, y, rows dropped, where)`` batches of the rows to score; ``where``: a
    row of the batch in words (None: the batch's own index)."""
    from lingrad.data.split import held_out_at
    from lingrad.scale.tablefiles import is_many
    from lingrad.workflows.apply import batches, where_in
    from lingrad.workflows.tables import is_builtin

    missing = "drop" if loaded.impute == "drop" else None
    if split != "all" and loaded.meta.get("split") == "rows":  # lingrad 0.2's
        yield (*_split(loaded, data, target, split, missing), None)
        return
    if split != "all" and is_many(data):
        for X, y, dropped in _stream_split(loaded, data, target, split):
            yield X, y, dropped, None
        return
    held: Callable[[Index], np.ndarray] | None = None
    if split != "all":  # the hash of every engine (lingrad.data.split)
        test_size, seed = _saved_split(loaded, split)
        name = "" if is_builtin(data) else Path(data).name
        held = lambda rows: held_out_at(seed, name, rows, test_size)  # noqa: E731
    seen = []  # the targets, to check that this is fit's table
    with contextlib.closing(
        batches(loaded, data, target, labelled=True, missing=missing)
    ) as frames:
        for frame in frames:
            row0 = int(frame.rows[0]) if len(frame.rows) else 0
            y = _labels(loaded, frame.y, data, target, row0)
            if held is not None and "target_digest" in loaded.meta:
                seen.append(y)
            if held is None:
                yield frame.X, y, frame.n_dropped, where_in(data, frame)
                continue
            test = held(frame.rows)
            keep = test if split == "test" else ~test
            if keep.any():
                part = dataclasses.replace(frame, rows=frame.rows[keep])
                yield frame.X[keep], y[keep], frame.n_dropped, where_in(data, part)
    if seen:
        _same_table(loaded, data, np.concatenate(seen))


def _split(
    loaded: Loaded, data: str, target: str | None, split: str, missing: str | None
) -> tuple[Features, Array, int]:
    """The rows of fit's training or held-out split, as fit drew them."""
    from lingrad.models.registry import model_spec
    from lingrad.workflows.apply import batches
    from lingrad.workflows.memory import split_rows

    meta = loaded.meta
    test_size, seed = _saved_split(loaded, split)
    with contextlib.closing(
        batches(loaded, data, target, labelled=True, missing=missing)
    ) as frames:
        parts = [
            (f.X, _labels(loaded, f.y, data, target, int(f.rows[0])), f.n_dropped)
            for f in frames
            if len(f.rows)
        ]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    _same_table(loaded, data, y)
    spec = model_spec(str(meta.get("model")))
    train, test = split_rows(spec, y, test_size, seed)
    rows = test if split == "test" else train
    return X[rows], y[rows], sum(p[2] for p in parts)


def _same_table(loaded: Loaded, data: str, y: Array) -> None:
    """DataError unless ``y`` is the target column fit read (its digest)."""
    from lingrad.workflows.memory import target_digest

    meta = loaded.meta
    n_rows = meta.get("n_rows")
    if n_rows != len(y) or meta.get("target_digest") != target_digest(y):
        raise DataError(
            f"{data} is not the table the model in {loaded.path} was fit on ({len(y)} "
            f"rows; fit read {n_rows} from {meta.get('data')}, or other target "
            "values): --split re-creates fit's split only on the same table"
        )


def _saved_split(loaded: Loaded, split: str) -> tuple[float, int]:
    """fit's test size and seed, from the model file."""
    test_size, seed = loaded.meta.get("test_size"), loaded.meta.get("seed")
    if (
        not isinstance(test_size, int | float | str)
        or not test_size
        or not isinstance(seed, int)
    ):
        raise DataError(
            f"{loaded.path}: the model was fit on all rows (no --test-size), so it "
            f"has no {split} split; leave out --split"
        )
    return float(test_size), seed


def _stream_split(
    loaded: Loaded, data: str, target: str | None, split: str
) -> Iterator[tuple[Features, Array, int]]:
    """The rows of a folder or glob held out by the hash of each row's file and
    place (``lingrad.data.split``): drawn again, piece by piece."""
    from lingrad.data.frame import Layout
    from lingrad.scale.stream import Table
    from lingrad.scale.tablefiles import list_files, open_files
    from lingrad.workflows.prep import MISSING

    test_size, seed = _saved_split(loaded, split)
    pieces, names = open_files(list_files(data), target, loaded.features)
    layout = None
    if loaded.categorical or loaded.impute is not None:
        layout = Layout(tuple(names), loaded.categorical, target)
    missing = MISSING.get(loaded.impute, "keep")
    table = Table(pieces, target, names, test_size=test_size, seed=seed,
                  layout=layout, missing=missing)  # fmt: skip
    for X, y, row0, piece in table.batches(split):
        yield X, _labels(loaded, y, str(piece.path), target, row0), 0
