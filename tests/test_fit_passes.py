"""``lingrad fit`` in memory passes the table through the preprocessing as few
times as it can: once per row set for the metrics, once for the coefficient table
(which the report and metrics.json share)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from lingrad.models import LogisticRegression
from lingrad.models.registry import model_spec
from lingrad.workflows import coefficients
from lingrad.workflows.memory import FitResult, evaluate


def _data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(200) > 0).astype(int)
    return X, y


def test_evaluate_runs_the_preprocessing_once_and_keeps_the_pipelines_metrics():
    X, y = _data()
    calls: list[int] = []

    def double(Z: Any) -> Any:
        calls.append(len(Z))
        return 2.0 * Z

    pipe = Pipeline(
        [("prep", FunctionTransformer(double)), ("model", LogisticRegression())]
    )
    pipe.fit(X, y)
    calls.clear()
    metrics = evaluate(model_spec("logistic"), pipe, X, y)
    assert calls == [len(X)]
    assert_allclose(metrics["log_loss"], log_loss(y, pipe.predict_proba(X)), rtol=1e-12)
    assert metrics["accuracy"] == np.mean(pipe.predict(X) == y)


def test_the_coefficient_table_is_computed_once_per_fit(monkeypatch):
    X, y = _data()
    model = LogisticRegression(penalty="none").fit(X, y)
    result = FitResult(model, model_spec("logistic"), {}, ["a", "b", "c"], "y", {},
                       {}, X_sample=X, y_sample=y, y_train=y)  # fmt: skip
    import lingrad.inference.api as api

    calls: list[int] = []
    real = api.summary

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "summary", counted)
    first = coefficients.fitted_summary(result)
    second = coefficients.fitted_summary(result)
    assert calls == [1]
    assert second is first
    assert_allclose(first.coef[-3:], model.coef_.ravel())
