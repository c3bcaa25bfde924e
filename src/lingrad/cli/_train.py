"""Training for ``lingrad fit``: in memory, or streamed over record batches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingrad.cli._common import ModelSpec, stderr_is_terminal, usage_error
from lingrad.cli._data import Data, check_binary, check_target
from lingrad.cli._metrics import metrics_for
from lingrad.errors import DataError, LingradError

ITERATIVE = ("sgd", "minibatch", "batch")


@dataclass
class FitResult:
    """A trained model and everything the outputs need."""

    model: Any
    spec: ModelSpec
    params: dict[str, Any]  # hyperparameters as given to the estimator
    feature_names: list[str]
    target: str | None
    metrics: dict[str, Any]  # {"train": {...}, "test": {...}}
    data_summary: dict[str, Any]
    history: Any = None
    X_sample: Any = None  # training rows for the figures (all, or the first batch)
    y_sample: Any = None
    X_test: Any = None
    y_test: Any = None
    y_train: Any = None
    notes: list[str] = field(default_factory=list)
    reference: dict[str, Any] | None = None  # scikit-learn on the same split


# ------------------------------------------------------------------ estimator


def estimator_params(spec: ModelSpec, given: dict[str, Any]) -> dict[str, Any]:
    """Check the given hyperparameters against the estimator's; usage error if not."""
    valid = spec.cls()().get_params(deep=False)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        names = ", ".join(sorted(valid))
        raise usage_error(
            f"model {spec.name!r} has no parameter {unknown[0]!r}; its parameters: "
            f"{names}",
            "--param",
        )
    return dict(given)


def make_estimator(spec: ModelSpec, params: dict[str, Any], scale: bool) -> Any:
    """The estimator; with ``scale``, ``Pipeline([("scale", StandardScaler()),
    ("model", estimator)])``."""
    est = spec.cls()(**params)
    if scale:
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        return Pipeline([("scale", StandardScaler()), ("model", est)])
    return est


def final_estimator(model: Any) -> Any:
    """The lingrad estimator of ``model`` (the last step of a Pipeline)."""
    return model[-1] if hasattr(model, "steps") else model


def effective_params(
    spec: ModelSpec, params: dict[str, Any], scale: bool
) -> dict[str, Any]:
    """Every hyperparameter of the estimator as trained (defaults included)."""
    shown = dict(spec.cls()(**params).get_params(deep=False))
    shown["standardized inputs"] = scale
    return shown


def restore_verbosity(model: Any, params: dict[str, Any]) -> None:
    """Store the model with the verbosity the user asked for (not the bar's)."""
    final_estimator(model).set_params(verbose=params.get("verbose", 0))


def fit_call(spec: ModelSpec, call: Any, *args: Any, **kwargs: Any) -> None:
    """Run a fit; a ValueError of the estimator (bad option value) is a user error."""
    from lingrad.train import DivergenceError

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


def _snapshot_every(est: Any, n_rows: int, D: int) -> int | None:
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


def split(
    spec: ModelSpec, X: Any, y: Any, test_size: float | None, seed: int
) -> tuple[Any, Any, Any, Any]:
    """Train / held-out split (stratified for classifiers where every class has 2+)."""
    if not test_size:
        return X, y, None, None
    from sklearn.model_selection import train_test_split

    n_test = math.ceil(test_size * len(X))
    if n_test < 1 or len(X) - n_test < 1:
        raise DataError(
            f"--test-size {test_size} leaves no rows to train on or to test with "
            f"({len(X)} rows); choose a value between 0 and 1 that keeps both"
        )
    stratify = None
    if spec.is_classifier:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and n_test >= len(counts):
            stratify = y
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    return X_tr, y_tr, X_te, y_te


def evaluate(spec: ModelSpec, model: Any, X: Any, y: Any) -> dict[str, Any]:
    """Metrics of ``model`` on (X, y)."""
    acc = metrics_for(model.classes_ if spec.is_classifier else None)
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    acc.update(y, model.predict(X), model.predict_proba(X) if proba else None)
    return acc.result()


def fit_in_memory(
    spec: ModelSpec,
    data: Data,
    params: dict[str, Any],
    *,
    scale: bool,
    test_size: float | None,
    seed: int,
) -> FitResult:
    """Read, check, split, train, evaluate."""
    y, classes = check_target(spec, data.y, data)
    if classes is not None:
        check_binary(spec, classes, data)
    X_tr, y_tr, X_te, y_te = split(spec, data.X, y, test_size, seed)
    if spec.is_classifier:
        check_target(spec, y_tr, data)  # the training rows hold 2+ classes too
    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    if "snapshot_every" not in est_params:
        probe = spec.cls()(**est_params)
        every = _snapshot_every(probe, len(X_tr), X_tr.shape[1])
        if every is not None:
            est_params["snapshot_every"] = every
    fit_params = {**est_params, "verbose": 1 if stderr_is_terminal() else 0}
    model = make_estimator(spec, fit_params, scale)
    fit_call(spec, model.fit, X_tr, y_tr)
    restore_verbosity(model, est_params)
    shown = effective_params(spec, est_params, scale)
    metrics = {"train": evaluate(spec, model, X_tr, y_tr)}
    if X_te is not None:
        metrics["test"] = evaluate(spec, model, X_te, y_te)
    summary = summarize(data, len(X_tr), 0 if X_te is None else len(X_te), classes)
    return FitResult(
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


def summarize(data: Data, n_train: int, n_test: int, classes: Any) -> dict[str, Any]:
    """The data summary of the report and metrics.json."""
    out: dict[str, Any] = {
        "source": data.source,
        "target": data.target,
        "features": len(data.feature_names),
        "feature names": list(data.feature_names),
        "training rows": n_train,
    }
    if n_test:
        out["held-out rows"] = n_test
    if classes is not None:
        out["classes"] = np.asarray(classes).tolist()
    return out
