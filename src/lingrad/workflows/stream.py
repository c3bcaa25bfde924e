"""Fit streamed (``lingrad fit --stream``): from table files batch by batch, memory
bounded.

The data (a file, a folder or a glob) are read through
:mod:`lingrad.scale.stream`. Before training, one pass reads what training
needs first: with ``--scale`` every training row (the scaler's mean and
deviation, the classes, the counts), otherwise the target column only (the
classes and counts). Then:

- iterative solvers: ``max_iter`` epochs, each decoding the table once in a
  seeded random order of its pieces mixed by a shuffle buffer, one
  ``partial_fit`` per batch; the metrics are taken during the last epoch,
  each batch scored just before the model trains on it (progressive
  validation; the held-out rows by the model of that moment);
- exact solvers (normal, lbfgs, newton): the estimator's own solver on the
  streamed rows: the closed form in one pass accumulating XᵀX and Xᵀy, L-BFGS
  and Newton in one pass per iteration; then one pass for the metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lingrad.errors import DataError
from lingrad.models.registry import ModelSpec
from lingrad.workflows.memory import (
    ITERATIVE,
    FitResult,
    effective_params,
    final_estimator,
    fit_call,
    make_estimator,
    restore_verbosity,
    summarize,
)
from lingrad.workflows.metrics import metrics_for
from lingrad.workflows.progress import Bar
from lingrad.workflows.tables import Data, check_binary

STREAM_MAX_STEPS = 100_000  # per-step records a streamed History keeps at most
BUFFER_BATCHES = 8  # the shuffle buffer holds this many batches


def fit_streaming(
    spec: ModelSpec,
    source: str,
    target: str,
    features: list[str] | None,
    params: dict[str, Any],
    *,
    scale: bool,
    test_size: float | None,
    seed: int,
    chunk_rows: int,
    epochs: int,
    progress: bool = False,
) -> FitResult:
    """Train over record batches of ``source``; memory bounded by the batches;
    ``progress``: a bar on stderr."""
    from lingrad.scale.stream import Table
    from lingrad.scale.tablefiles import list_files, open_files

    pieces, names = open_files(list_files(source), target, features)
    table = Table(
        pieces, target, names, batch_rows=chunk_rows, test_size=test_size, seed=seed
    )
    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    model = make_estimator(spec, est_params, scale)
    est = final_estimator(model)
    first = _first_pass(spec, table, scale, model)
    data = Data(None, None, names, target, source, None)
    if first.classes is not None:
        check_binary(spec, first.classes, data)
    if first.n_train == 0:
        raise DataError(f"{source}: no training rows left; lower --test-size")
    transform = model.steps[0][1].transform if scale else None
    if est.solver in ITERATIVE:
        metrics, passes, sample = _epochs(
            spec, table, model, first, epochs, transform, progress
        )
        how = (
            f"{epochs} epochs over the data in shuffled batches of {chunk_rows} rows "
            f"(partial_fit; the pieces in a seeded random order, a shuffle buffer of "
            f"{BUFFER_BATCHES * chunk_rows} rows); metrics during the last epoch, "
            "each batch scored before the model trained on it"
        )
    else:
        fit_call(spec, _exact, spec, table, est, first, transform)
        metrics, sample = _score(spec, table, model, first.classes)
        passes = table.passes
        how = (
            f"solver {est.solver!r} on the streamed rows: the exact answer, "
            f"{passes} passes over the data in batches of {chunk_rows} rows "
            "(closed form: one pass accumulating XᵀX and Xᵀy), the last for the "
            "metrics"
        )
    restore_verbosity(model, est_params)
    summary = summarize(data, first.n_train, first.n_test, first.classes)
    summary.update({"read in batches of": chunk_rows, "passes over the data": passes})
    if est.solver in ITERATIVE:
        summary["epochs over the file"] = epochs
    if len(pieces) > 1:
        summary["pieces (files, Parquet row groups)"] = len(pieces)
    return FitResult(
        model,
        spec,
        effective_params(spec, est_params, scale),
        list(names),
        target,
        metrics,
        summary,
        history=getattr(est, "history_", None),
        X_sample=sample[0],
        y_sample=sample[1],
        notes=[f"Trained out of core: {how}. The figures show one batch."],
    )


class _First:
    """What the pass before training found: counts, classes."""

    def __init__(self) -> None:
        self.n_train = self.n_test = 0
        self.labels: set[Any] = set()
        self.classes: Any = None


def _first_pass(spec: ModelSpec, table: Any, scale: bool, model: Any) -> _First:
    """Counts and classes (target column only), and with ``scale`` the scaler."""
    from lingrad.data.targets import as_regression_target, check_labels
    from lingrad.scale.tablefiles import held_out

    first = _First()
    features = table.features
    if not scale:  # the target column is all this pass needs
        table.features = []
    try:
        for X, y, row0, piece in table.batches("all"):
            check = check_labels if spec.is_classifier else as_regression_target
            y = check(y, piece.path, table.target, row0)
            test = held_out(table.seed, piece.path, row0, len(y), table.test_size)
            first.n_test += int(test.sum())
            first.n_train += int((~test).sum())
            if spec.is_classifier:
                first.labels.update(np.unique(y[~test]).tolist())
            if scale and (~test).any():
                model.steps[0][1].partial_fit(X[~test])
    finally:
        table.features = features
    if spec.is_classifier:
        from lingrad.data.io import check_classification_target

        labels = np.array(sorted(first.labels))
        first.classes = check_classification_target(labels, table.pieces[0].path,
                                                    table.target)  # fmt: skip
    return first


def _epochs(
    spec: ModelSpec,
    table: Any,
    model: Any,
    first: _First,
    epochs: int,
    transform: Any,
    progress: bool,
) -> tuple[dict[str, Any], int, tuple[Any, Any]]:
    """``epochs`` of partial_fit over shuffled batches; metrics in the last one."""
    from lingrad.data.targets import as_regression_target
    from lingrad.scale.stream import shuffled_batches

    est = final_estimator(model)
    fit_kw = {"classes": first.classes} if spec.is_classifier else {}
    prep = transform or (lambda X: X)
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    acc = {"train": metrics_for(first.classes)}
    if first.n_test:
        acc["test"] = metrics_for(first.classes)
    sample: tuple[Any, Any] = (None, None)
    with Bar(epochs * first.n_train, show=progress) as bar:
        for epoch in range(epochs):
            last = epoch == epochs - 1
            for X, y in shuffled_batches(
                table, epoch, table.batch_rows, BUFFER_BATCHES * table.batch_rows
            ):
                if not spec.is_classifier:
                    y = as_regression_target(y)
                scored = last and hasattr(est, "t_")  # before it trains on the batch
                if scored:
                    _update(acc["train"], model, X, y, proba)
                fit_call(spec, est.partial_fit, prep(X), y, **fit_kw)
                if last and not scored:  # the very first batch of a 1-epoch run
                    _update(acc["train"], model, X, y, proba)
                _bound_history(est)
                if sample[0] is None:
                    sample = (X, y)
                bar.advance(len(X))
            if last and first.n_test:
                _score_part(table, model, acc["test"], "test", proba, spec)
    return {name: a.result() for name, a in acc.items()}, table.passes, sample


def _bound_history(est: Any) -> None:
    """Keep a streamed History's per-step records within STREAM_MAX_STEPS."""
    h = getattr(est, "history_", None)
    if h is not None and (h.max_steps is None or h.max_steps > STREAM_MAX_STEPS):
        h.max_steps = STREAM_MAX_STEPS


def _exact(
    spec: ModelSpec, table: Any, est: Any, first: _First, transform: Any
) -> None:
    """The estimator's exact solver on the streamed training rows."""
    from lingrad.scale.stream import FileRows
    from lingrad.scale.targets import encode_block

    est.n_features_in_ = len(table.features)
    targets, K = None, 1
    if first.classes is not None:
        est.classes_ = first.classes
        targets = est._targets
        K = targets(np.arange(len(first.classes)), np.float64).shape[1]
    else:
        est._y_1d = True

    def encode(y: Any) -> tuple[Any, Any]:
        return encode_block(y, None, targets, first.classes, None, 1.0, np.float64, K)

    est.fit_rows(FileRows(table, encode, first.n_train, K, transform))


def _score(
    spec: ModelSpec, table: Any, model: Any, classes: Any
) -> tuple[dict[str, Any], tuple[Any, Any]]:
    """Metrics of the trained model: one more pass over the data."""
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    acc = {"train": metrics_for(classes)}
    sample: tuple[Any, Any] = (None, None)
    for X, y, _, _ in table.batches("train"):
        _update(acc["train"], model, X, y, proba)
        if sample[0] is None:
            sample = (X, y)
    if table.test_size:
        acc["test"] = metrics_for(classes)
        _score_part(table, model, acc["test"], "test", proba, spec)
    return {name: a.result() for name, a in acc.items()}, sample


def _update(acc: Any, model: Any, X: Any, y: Any, proba: bool) -> None:
    acc.update(y, model.predict(X), model.predict_proba(X) if proba else None)


def _score_part(
    table: Any, model: Any, acc: Any, part: str, proba: bool, spec: ModelSpec
) -> None:
    for X, y, _, _ in table.batches(part):
        _update(acc, model, X, y, proba)
