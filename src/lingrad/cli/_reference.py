"""scikit-learn's counterpart of a lingrad model, trained on the same split."""

from __future__ import annotations

from typing import Any

from lingrad.cli._train import FitResult, evaluate

_REFERENCES = {
    "linear": ("sklearn.linear_model", "LinearRegression", {}),
    "logistic": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 5000}),
    "softmax": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 5000}),
    "perceptron": ("sklearn.linear_model", "Perceptron", {}),
    "multiclass-perceptron": ("sklearn.linear_model", "Perceptron", {}),
}
MAX_CELLS = 5_000_000  # skip the reference on larger training sets


def reference(result: FitResult, scale: bool, seed: int) -> dict[str, Any] | None:
    """``{metric: {"lingrad <model>": v, "scikit-learn <Class>": v}}`` or None."""
    entry = _REFERENCES.get(result.spec.name)
    X, y = result.X_sample, result.y_train
    if entry is None or X is None or y is None or X.size > MAX_CELLS:
        return None
    import importlib

    from lingrad.cli._prep import with_final_estimator

    module, name, kwargs = entry
    cls = getattr(importlib.import_module(module), name)
    if "random_state" in cls().get_params():
        kwargs = {**kwargs, "random_state": seed}
    ref = with_final_estimator(result.model, cls(**kwargs))  # same preprocessing
    ref.fit(X, y)
    which = "test" if result.X_test is not None else "train"
    X_eval, y_eval = (result.X_test, result.y_test) if which == "test" else (X, y)
    ours = result.metrics[which]
    theirs = evaluate(result.spec, ref, X_eval, y_eval)
    keys = ["accuracy", "log_loss"] if result.spec.is_classifier else ["r2", "mse"]
    lingrad_col, sklearn_col = f"lingrad {result.spec.name}", f"scikit-learn {name}"
    return {
        f"{k} ({which})": {lingrad_col: ours.get(k), sklearn_col: theirs.get(k)}
        for k in keys
        if theirs.get(k) is not None
    }
