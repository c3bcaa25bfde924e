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

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from lingrad.core.nodes import Array
from lingrad.data.mixed import as_cells, model_input
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
from lingrad.workflows.tables import check_binary, table_data
from lingrad.workflows.types import Features, Model, Reading, Values

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.scale.stream import Table
    from lingrad.workflows.categories import Raw
    from lingrad.workflows.metrics import (
        ClassificationMetrics,
        Metrics,
        RegressionMetrics,
    )
    from lingrad.workflows.prep import First

    Running = RegressionMetrics | ClassificationMetrics  # metrics being summed
    Sample = tuple[Raw | None, Values | None]  # the batch the figures show
    Transform = Callable[[Raw], Features]  # the fitted preprocessing

STREAM_MAX_STEPS = 100_000  # per-step records a streamed History keeps at most
BUFFER_BATCHES = 8  # the shuffle buffer holds this many batches


def fit_streaming(
    spec: ModelSpec,
    source: str,
    target: str,
    features: list[str] | None,
    params: Mapping[str, object],
    *,
    scale: bool,
    test_size: float | None,
    seed: int,
    chunk_rows: int,
    epochs: int,
    progress: bool = False,
    reading: Reading | None = None,
) -> FitResult:
    """Train over record batches of ``source``; memory bounded by the batches;
    ``progress``: a bar on stderr; ``reading``: ``id_column``, ``impute``,
    ``categorical`` (see :func:`lingrad.workflows.prep.open_table`)."""
    from lingrad.workflows.prep import first_pass, open_table, table_meta

    reading = reading or {}
    table = open_table(source, target, features, reading, test_size=test_size,
                       seed=seed, batch_rows=chunk_rows)  # fmt: skip
    pieces, names = table.pieces, table.features
    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    model = make_estimator(spec, est_params, scale, table.layout, reading)
    est = final_estimator(model)
    first = first_pass(spec, table, model, scale, reading.get("impute"),
                       reading.get("text"))  # fmt: skip
    data = table_data(table, source)
    if first.classes is not None:
        check_binary(spec, first.classes, data)
    if first.n_train == 0:
        raise DataError(f"{source}: no training rows left; lower --test-size")
    transform = first.transform
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
        metrics, sample = _score(spec, table, est, transform, first.classes)
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
    result = FitResult(
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
    result.meta.update(table_meta(table, first, reading.get("impute")))
    return result


def _epochs(
    spec: ModelSpec,
    table: Table,
    model: Model,
    first: First,
    epochs: int,
    transform: Transform | None,
    progress: bool,
) -> tuple[dict[str, Metrics], int, Sample]:
    """``epochs`` of partial_fit over shuffled batches; metrics in the last one."""
    from lingrad.data.targets import as_regression_target
    from lingrad.scale.stream import shuffled_batches

    est = final_estimator(model)
    fit_kw = {"classes": first.classes} if spec.is_classifier else {}
    prep: Transform = transform or (lambda X: X)
    proba = spec.is_classifier and hasattr(est, "predict_proba")
    acc: dict[str, Running] = {"train": metrics_for(first.classes)}
    if first.n_test:
        acc["test"] = metrics_for(first.classes)
    sample: Sample = (None, None)
    with Bar(epochs * first.n_train, show=progress) as bar:
        for epoch in range(epochs):
            last = epoch == epochs - 1
            for X, y in shuffled_batches(
                table, epoch, table.batch_rows, BUFFER_BATCHES * table.batch_rows
            ):
                if not spec.is_classifier:
                    y = as_regression_target(y)
                Xt = prep(model_input(X))  # once: hashing text is most of an epoch
                scored = last and hasattr(est, "t_")  # before it trains on the batch
                if scored:
                    _update(acc["train"], est, Xt, y, proba)
                fit_call(spec, est.partial_fit, Xt, y, **fit_kw)
                if last and not scored:  # the very first batch of a 1-epoch run
                    _update(acc["train"], est, Xt, y, proba)
                _bound_history(est)
                if sample[0] is None:
                    sample = (as_cells(X), y)
                bar.advance(len(X))
            if last and first.n_test:
                _score_part(table, est, prep, acc["test"], "test", proba)
    return {name: a.result() for name, a in acc.items()}, table.passes, sample


def _bound_history(est: GradientEstimator) -> None:
    """Keep a streamed History's per-step records within STREAM_MAX_STEPS."""
    h = getattr(est, "history_", None)
    if h is not None and (h.max_steps is None or h.max_steps > STREAM_MAX_STEPS):
        h.max_steps = STREAM_MAX_STEPS


def _exact(
    spec: ModelSpec,
    table: Table,
    est: GradientEstimator,
    first: First,
    transform: Transform | None,
) -> None:
    """The estimator's exact solver on the streamed training rows."""
    from lingrad.scale.stream import FileRows
    from lingrad.scale.targets import encode_block

    est.n_features_in_ = first.n_inputs
    targets, K = None, 1
    if first.classes is not None:
        est.classes_ = first.classes
        targets = est.encode_targets
        K = targets(np.arange(len(first.classes)), np.float64).shape[1]
    else:
        est.set_target_ndim(1)

    def encode(y: Values) -> tuple[Array, Array | None]:  # (Y, s)
        return encode_block(y, None, targets, first.classes, None, 1.0, np.float64, K)

    rows = FileRows(table, encode, first.n_train, K, transform, None, first.n_inputs)
    est.fit_rows(rows)


def _score(
    spec: ModelSpec,
    table: Table,
    est: GradientEstimator,
    transform: Transform | None,
    classes: Values | None,
) -> tuple[dict[str, Metrics], Sample]:
    """Metrics of the trained model: one more pass over the data."""
    prep: Transform = transform or (lambda X: X)
    proba = spec.is_classifier and hasattr(est, "predict_proba")
    acc: dict[str, Running] = {"train": metrics_for(classes)}
    sample: Sample = (None, None)
    for X, y, _, _ in table.batches("train", mixed=True):
        _update(acc["train"], est, prep(model_input(X)), y, proba)
        if sample[0] is None:
            sample = (as_cells(X), y)
    if table.test_size:
        acc["test"] = metrics_for(classes)
        _score_part(table, est, prep, acc["test"], "test", proba)
    return {name: a.result() for name, a in acc.items()}, sample


def _update(
    acc: Running, est: GradientEstimator, X: Features, y: Values, proba: bool
) -> None:
    """Add the model's predictions on X (the model's input: transformed once)."""
    acc.update(y, est.predict(X), est.predict_proba(X) if proba else None)


def _score_part(
    table: Table,
    est: GradientEstimator,
    prep: Transform,
    acc: Running,
    part: str,
    proba: bool,
) -> None:
    for X, y, _, _ in table.batches(part, mixed=True):
        _update(acc, est, prep(model_input(X)), y, proba)
