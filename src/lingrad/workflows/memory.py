"""Fit a table in memory: check, split, train, evaluate (``lingrad fit``, the
playground's export); what the streamed and Dask fits share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lingrad.data.split import SPLIT
from lingrad.errors import DataError, LingradError, UsageError
from lingrad.models.registry import ModelSpec
from lingrad.workflows.metrics import Metrics, metrics_for
from lingrad.workflows.tables import Data, check_binary, check_target
from lingrad.workflows.types import Features, Index, Model, Reading, Values

if TYPE_CHECKING:
    from lingrad.data.frame import Layout
    from lingrad.models._base import GradientEstimator
    from lingrad.training.history import History
    from lingrad.workflows.text import TextOptions

Params = dict[str, object]  # hyperparameters by name, as given to the estimator

ITERATIVE = ("sgd", "minibatch", "batch")


@dataclass
class FitResult:
    """A trained model and everything the outputs need."""

    model: Model
    spec: ModelSpec
    params: Params  # hyperparameters as given to the estimator
    feature_names: list[str]
    target: str | None
    metrics: dict[str, Metrics]  # {"train": {...}, "test": {...}}
    data_summary: dict[str, object]
    history: History | None = None
    X_sample: Features | None = None  # training rows for the figures (or a batch)
    y_sample: Values | None = None
    X_test: Features | None = None
    y_test: Values | None = None
    y_train: Values | None = None
    notes: list[str] = field(default_factory=list)
    # scikit-learn on the same split: {metric: {model: value}}
    reference: dict[str, dict[str, float | None]] | None = None
    meta: dict[str, object] = field(default_factory=dict)  # saved with the model
    cache: dict[tuple[str, ...], object] = field(default_factory=dict)  # summary


# ------------------------------------------------------------------ estimator


def estimator_params(spec: ModelSpec, given: Mapping[str, object]) -> Params:
    """Check the given hyperparameters against the estimator's; UsageError if not."""
    valid = spec.cls()().get_params(deep=False)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        names = ", ".join(sorted(valid))
        raise UsageError(
            f"model {spec.name!r} has no parameter {unknown[0]!r}; its parameters: "
            f"{names}",
            "--param",
        )
    return dict(given)


def make_estimator(
    spec: ModelSpec,
    params: Mapping[str, object],
    scale: bool,
    layout: Layout | None = None,
    reading: Reading | None = None,
) -> Model:
    """The estimator behind the preprocessing of
    :func:`lingrad.workflows.pipeline.build`: with ``scale`` alone,
    ``Pipeline([("scale", StandardScaler()), ("model", estimator)])``; with a
    ``layout`` (text columns) and ``reading["impute"]`` as the in-memory fit."""
    from lingrad.workflows.pipeline import build

    est = spec.cls()(**params)
    if layout is None:
        return build(est, (), (), scale, None)
    impute = (reading or {}).get("impute")
    declared = (reading or {}).get("categories")
    return build(est, layout.features, layout.categorical, scale, impute,
                 None if declared is None else declared.columns,
                 (reading or {}).get("text"))  # fmt: skip


def final_estimator(model: Model) -> GradientEstimator:
    """The lingrad estimator of ``model`` (the last step of a Pipeline)."""
    from lingrad.workflows.pipeline import final_estimator as final

    return final(model)


def effective_params(
    spec: ModelSpec, params: Mapping[str, object], scale: bool
) -> Params:
    """Every hyperparameter of the estimator as trained (defaults included)."""
    shown = dict(spec.cls()(**params).get_params(deep=False))
    shown["standardized inputs"] = scale
    return shown


def restore_verbosity(model: Model, params: Mapping[str, object]) -> None:
    """Store the model with the verbosity the user asked for (not the bar's)."""
    final_estimator(model).set_params(verbose=params.get("verbose", 0))


def fit_call(
    spec: ModelSpec, call: Callable[..., object], *args: object, **kwargs: object
) -> None:
    """Run a fit; a ValueError of the estimator (bad option value) is a user error."""
    from lingrad.training.train import DivergenceError

    try:
        call(*args, **kwargs)
    except DivergenceError as e:
        raise LingradError(
            f"{e} On the command line: a smaller --lr, or --scale."
        ) from e
    except (ValueError, TypeError) as e:
        if isinstance(e, LingradError):
            raise
        text = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise LingradError(f"model {spec.name!r} cannot be trained: {text}") from e


def _snapshot_every(est: GradientEstimator, n_rows: int, D: int) -> int | None:
    """About 200 parameter snapshots for small models (for the parameter figure)."""
    p = est.get_params(deep=False)
    if "snapshot_every" not in p or D > 10:
        return None
    solver = p.get("solver", "sgd")
    batch = {"sgd": 1, "batch": n_rows}.get(solver, p.get("batch_size", 32) or 32)
    epochs = p.get("max_iter", 100) or 100
    steps = math.ceil(n_rows / max(int(batch), 1)) * int(epochs)
    return max(1, steps // 200)


# ------------------------------------------------------------------ in memory


def split_table(
    data: Data, test_size: float | None, seed: int
) -> tuple[Index, Index | None]:
    """Indices of the training and held-out rows (None: no held-out rows), by
    the split of every engine (:func:`lingrad.data.split.held_out_at`: a hash of
    the seed, the file's name and each row's place in it)."""
    from lingrad.data.split import held_out_at

    assert data.y is not None  # a table read with its target
    n = len(data.y)
    if not test_size:
        return np.arange(n), None
    rows = data.rows if data.rows is not None else np.arange(n)
    name = data.path.name if data.path is not None else ""
    test = held_out_at(seed, name, rows, test_size)
    if test.all() or not test.any():
        raise DataError(
            f"--test-size {test_size} leaves no rows to train on or to test with "
            f"({n} rows); choose a value between 0 and 1 that keeps both"
        )
    return np.flatnonzero(~test), np.flatnonzero(test)


def split_rows(
    spec: ModelSpec, y: Values, test_size: float | None, seed: int
) -> tuple[Index, Index | None]:
    """The split of lingrad 0.2's in-memory fits (``train_test_split``; model
    files with ``meta["split"] == "rows"``): indices of the training and
    held-out rows (None: no held-out rows).

    Stratified for classifiers where every class has 2+ rows; ``evaluate --split``
    calls this again with the seed and test size saved in the model file.
    """
    n = len(y)
    if not test_size:
        return np.arange(n), None
    from sklearn.model_selection import train_test_split

    n_test = math.ceil(test_size * n)
    if n_test < 1 or n - n_test < 1:
        raise DataError(
            f"--test-size {test_size} leaves no rows to train on or to test with "
            f"({n} rows); choose a value between 0 and 1 that keeps both"
        )
    stratify = None
    if spec.is_classifier:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and n_test >= len(counts):
            stratify = y
    train, test = train_test_split(
        np.arange(n), test_size=test_size, random_state=seed, stratify=stratify
    )
    return train, test


def evaluate(spec: ModelSpec, model: Model, X: Features, y: Values) -> Metrics:
    """Metrics of ``model`` on (X, y); a Pipeline's preprocessing runs once (its
    output feeds both ``predict`` and ``predict_proba``)."""
    if len(getattr(model, "steps", ())) > 1:
        X, model = model[:-1].transform(X), model[-1]
    acc = metrics_for(model.classes_ if spec.is_classifier else None)
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    acc.update(y, model.predict(X), model.predict_proba(X) if proba else None)
    return acc.result()


def fit_in_memory(
    spec: ModelSpec,
    data: Data,
    params: Mapping[str, object],
    *,
    scale: bool,
    test_size: float | None,
    seed: int,
    impute: str | None = None,
    progress: bool = False,
    categories: dict[str, list[str]] | None = None,
    text: TextOptions | None = None,
) -> FitResult:
    """Check, split, train, evaluate; ``progress``: the estimator's bar (stderr);
    ``text``: free-text columns (:class:`lingrad.workflows.text.TextOptions`)."""
    from lingrad.data.frame import Frame, Layout, check_squares
    from lingrad.data.table import rows_of
    from lingrad.workflows.pipeline import build

    assert data.X is not None  # read whole (not in pieces)
    y, classes = check_target(spec, data.y, data)
    if classes is not None:
        check_binary(spec, classes, data)
    layout = Layout(
        tuple(data.feature_names), data.categorical, data.target, data.id_column
    )
    rows = data.rows if data.rows is not None else np.arange(len(data.X))
    frame = Frame(data.X, None, None, rows, layout, data.where)
    check_squares(frame, data.source, None if classes is not None else y, data.target)
    train, test = split_table(data, test_size, seed)
    X_tr, y_tr = rows_of(data.X, train), y[train]
    X_te: Features | None = None
    y_te: Values | None = None
    if test is not None:
        X_te, y_te = rows_of(data.X, test), y[test]
    if spec.is_classifier:
        check_target(spec, y_tr, data)  # the training rows hold 2+ classes too
    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    if "snapshot_every" not in est_params:
        probe = spec.cls()(**est_params)
        wide = text is not None and text.sparse  # hashed or TF-IDF: many weights
        every = None if wide else _snapshot_every(probe, len(X_tr), X_tr.shape[1])
        if every is not None:
            est_params["snapshot_every"] = every
    fit_params = {**est_params, "verbose": 1 if progress else 0}
    est = spec.cls()(**fit_params)
    model = build(est, layout.features, layout.categorical, scale, impute,
                  categories, text)  # fmt: skip
    fit_call(spec, model.fit, X_tr, y_tr)
    restore_verbosity(model, est_params)
    shown = effective_params(spec, est_params, scale)
    metrics = {"train": evaluate(spec, model, X_tr, y_tr)}
    if X_te is not None and y_te is not None:
        metrics["test"] = evaluate(spec, model, X_te, y_te)
    summary = summarize(data, len(X_tr), 0 if X_te is None else len(X_te), classes)
    result = FitResult(
        model,
        spec,
        shown,
        data.feature_names,
        data.target,
        metrics,
        summary,
        history=getattr(final_estimator(model), "history_", None),
        X_sample=X_tr,
        y_sample=y_tr,
        X_test=X_te,
        y_test=y_te,
        y_train=y_tr,
    )
    result.meta.update(
        categorical=list(layout.categorical),
        id=layout.id,
        impute=impute,
        test_size=test_size,
        seed=seed,
        split=SPLIT,
        n_rows=len(y),
        target_digest=target_digest(y),
    )
    if layout.id is not None and test is not None:
        from lingrad.data.split import ids_digest

        assert data.ids is not None  # read with its ID column
        result.meta["held_out_ids"] = f"{ids_digest(data.ids.take(test)):016x}"
    if data.n_dropped:
        result.notes.append(
            f"{data.n_dropped} rows with missing cells were left out (--impute drop)."
        )
    return result


def target_digest(y: Values) -> str:
    """A short hash of the target values: ``evaluate --split`` checks that it
    re-splits the table fit split."""
    import hashlib

    text = "\x1f".join(map(str, np.asarray(y).ravel().tolist()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def summarize(
    data: Data, n_train: int, n_test: int, classes: Values | None
) -> dict[str, object]:
    """The data summary of the report and metrics.json."""
    out: dict[str, object] = {
        "source": data.source,
        "target": data.target,
        "features": len(data.feature_names),
        "feature names": list(data.feature_names),
        "training rows": n_train,
    }
    if n_test:
        out["held-out rows"] = n_test
    if data.categorical:
        out["text columns (one-hot encoded)"] = list(data.categorical)
    if data.id_column is not None:
        out["ID column"] = data.id_column
    if data.n_dropped:
        out["rows left out (missing cells)"] = data.n_dropped
    if classes is not None:
        out["classes"] = np.asarray(classes).tolist()
    return out
