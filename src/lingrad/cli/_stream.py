"""``lingrad fit --stream``: train batch by batch from a file with ``partial_fit``.

Memory is bounded by the record batch: a first pass checks every row, counts the
rows, collects the classes and the scaler's mean and standard deviation
(``StandardScaler.partial_fit``); then ``max_iter`` passes train with
``partial_fit``; a last pass computes the metrics. The held-out rows are drawn per
batch from a seeded generator, so each pass sees the same split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lingrad.cli._common import ModelSpec, stderr_is_terminal, usage_error
from lingrad.cli._data import Data, check_binary
from lingrad.cli._metrics import metrics_for
from lingrad.cli._train import (
    ITERATIVE,
    FitResult,
    effective_params,
    final_estimator,
    fit_call,
    make_estimator,
    restore_verbosity,
    summarize,
)
from lingrad.errors import DataError
from lingrad.io import columns as table_columns
from lingrad.targets import as_regression_target, check_labels


class _Pass:
    """Per-batch train/test masks that are the same on every pass over the file."""

    def __init__(self, test_size: float | None, seed: int) -> None:
        self.test_size, self.seed = test_size or 0.0, seed

    def mask(self, b: int, n: int) -> Any:
        """True for the held-out rows of batch ``b``."""
        if not self.test_size:
            return np.zeros(n, dtype=bool)
        return np.random.default_rng([self.seed, b]).random(n) < self.test_size


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
) -> FitResult:
    """Train with ``partial_fit`` over record batches; memory bounded by the batch."""
    from sklearn.preprocessing import StandardScaler

    from lingrad.io import iter_batches

    notes = []
    solver = params.get("solver", spec.cls()().get_params().get("solver"))
    if "solver" not in params and solver not in ITERATIVE:
        params = {**params, "solver": "minibatch"}
        notes.append(
            f"{spec.class_name}'s default solver {solver!r} needs all rows at once; "
            "streamed training used solver='minibatch'."
        )
        solver = "minibatch"
    if solver not in ITERATIVE:
        raise usage_error(
            f"--stream trains batch by batch and needs an iterative solver "
            f"({', '.join(ITERATIVE)}), not {solver!r}",
            "--solver",
        )
    masks = _Pass(test_size, seed)
    check_y = check_labels if spec.is_classifier else as_regression_target

    def batches() -> Any:
        """(b, X, y) per record batch, y checked with rows counted from the file's."""
        it = enumerate(iter_batches(source, target, features, chunk_rows))
        for b, (Xb, yb) in it:
            yield b, Xb, check_y(yb, source, target, b * chunk_rows)

    # pass 1: validate every row, count, find the classes, the scaler's mean / std
    n_train = n_test = 0
    labels: list[Any] = []
    scaler = StandardScaler()
    feature_names = features
    for b, Xb, yb in batches():
        test = masks.mask(b, len(Xb))
        n_test += int(test.sum())
        Xt = Xb[~test]
        if spec.is_classifier:
            labels.append(np.unique(yb))
        if len(Xt) and scale:
            scaler.partial_fit(Xt)
        n_train += len(Xt)
    if feature_names is None:
        feature_names = [c for c in table_columns(source) if c != target]
    if n_train == 0:
        raise DataError(f"{source}: no training rows left; lower --test-size")
    classes = None
    data = Data(None, None, feature_names, target, source, None)
    if spec.is_classifier:
        from lingrad.io import check_classification_target

        all_labels = np.unique(np.concatenate(labels))
        classes = check_classification_target(all_labels, source, target)
        check_binary(spec, classes, data)

    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    model = make_estimator(spec, est_params, scale)
    if scale:  # the scaler fitted over the training rows of pass 1
        model.steps[0] = ("scale", scaler)
    est = final_estimator(model)
    prepared = scaler.transform if scale else (lambda X: X)
    fit_kw = {"classes": classes} if spec.is_classifier else {}
    n_batches = b + 1
    with _StreamProgress(epochs * n_batches) as bar:
        for _epoch in range(epochs):
            for b, Xb, yb in batches():
                train = ~masks.mask(b, len(Xb))
                if not train.any():
                    bar.advance()
                    continue
                fit_call(
                    spec, est.partial_fit, prepared(Xb[train]), yb[train], **fit_kw
                )
                bar.advance()
    restore_verbosity(model, est_params)
    shown = effective_params(spec, est_params, scale)

    # last pass: metrics on the training and held-out rows; keep a sample to draw
    acc = {"train": metrics_for(classes)}
    if n_test:
        acc["test"] = metrics_for(classes)
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    X_sample = y_sample = None
    for b, Xb, yb in batches():
        test = masks.mask(b, len(Xb))
        for name, rows in (("train", ~test), ("test", test)):
            if name in acc and rows.any():
                X, y = Xb[rows], yb[rows]
                P = model.predict_proba(X) if proba else None
                acc[name].update(y, model.predict(X), P)
        if X_sample is None and (~test).any():
            X_sample, y_sample = Xb[~test], yb[~test]
    metrics = {name: a.result() for name, a in acc.items()}
    summary = summarize(data, n_train, n_test, classes)
    summary.update({"read in batches of": chunk_rows, "epochs over the file": epochs})
    notes += [
        f"Trained out of core: {epochs} passes over the file in record batches of "
        f"{chunk_rows} rows with partial_fit (one epoch per batch); memory is "
        "bounded by the batch size. The figures show the first batch."
    ]
    return FitResult(
        model,
        spec,
        shown,
        list(feature_names),
        target,
        metrics,
        summary,
        history=getattr(final_estimator(model), "history_", None),
        X_sample=X_sample,
        y_sample=y_sample,
        notes=notes,
    )


class _StreamProgress:
    """A rich bar over the batches of all epochs, on a terminal only."""

    def __init__(self, total: int) -> None:
        self.total, self.bar, self.task = total, None, None

    def __enter__(self) -> _StreamProgress:
        if stderr_is_terminal():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("training (streamed)", total=self.total)
        return self

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()
