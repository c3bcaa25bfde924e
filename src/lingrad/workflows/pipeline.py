"""The preprocessing of ``lingrad fit`` as a scikit-learn Pipeline.

``--scale``, ``--impute`` and text (categorical) columns become steps before the
lingrad estimator, so that the model file holds everything predict needs:

- numbers only: ``Pipeline([impute?, scale?, model])`` (the bare estimator when
  there is nothing to do);
- with text columns: ``Pipeline([("prep", ColumnTransformer([("num", ..., idx),
  ("cat", [impute?] + OneHotEncoder, idx)])), ("model", est)])``.

The steps come from the model file's allow-list (SimpleImputer, StandardScaler,
OneHotEncoder, ColumnTransformer, Pipeline).
"""

from __future__ import annotations

from typing import Any

IMPUTE = ("mean", "median", "most_frequent", "drop")


def build(
    est: Any, features: Any, categorical: Any, scale: bool, impute: str | None,
    categories: dict[str, list[str]] | None = None,
) -> Any:  # fmt: skip
    """The estimator behind the preprocessing the options ask for; ``categories``
    (``--categories``): each text column's categories (sorted, as the model file
    requires a OneHotEncoder's ``categories_``)."""
    from sklearn.pipeline import Pipeline

    strategy = impute if impute in ("mean", "median", "most_frequent") else None
    num_steps = []
    if strategy is not None:
        from sklearn.impute import SimpleImputer

        num_steps.append(("impute", SimpleImputer(strategy=strategy)))
    if scale:
        from sklearn.preprocessing import StandardScaler

        num_steps.append(("scale", StandardScaler()))
    cat_idx = [j for j, f in enumerate(features) if f in set(categorical)]
    if not cat_idx:
        return Pipeline([*num_steps, ("model", est)]) if num_steps else est

    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    cat_steps: list[tuple[str, Any]] = []
    if strategy is not None:
        from sklearn.impute import SimpleImputer

        cat_steps.append(("impute", SimpleImputer(strategy="most_frequent")))
    declared: Any = "auto"
    if categories is not None:
        declared = [sorted(categories[features[j]]) for j in cat_idx]
    onehot = OneHotEncoder(
        categories=declared, handle_unknown="ignore", sparse_output=False
    )
    cat_steps.append(("onehot", onehot))
    num_idx = [j for j in range(len(features)) if j not in set(cat_idx)]
    parts: list[tuple[str, Any, list[int]]] = []
    if num_idx:
        parts.append(
            ("num", _chain(num_steps) if num_steps else "passthrough", num_idx)
        )
    parts.append(("cat", _chain(cat_steps), cat_idx))
    prep = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
    return Pipeline([("prep", prep), ("model", est)])


def _chain(steps: list[tuple[str, Any]]) -> Any:
    from sklearn.pipeline import Pipeline

    return steps[0][1] if len(steps) == 1 else Pipeline(steps)


def name_inputs(model: Any, names: Any) -> None:
    """Give every step that sees the input columns their names (after fit), so that
    the saved model checks the column names of a DataFrame given to ``predict``."""
    import numpy as np

    names = np.asarray(names, dtype=object)
    steps = getattr(model, "steps", None)
    first = steps[0][1] if steps else model
    first.feature_names_in_ = names
    for _, transformer, columns in getattr(first, "transformers_", []):
        if isinstance(transformer, str):  # "passthrough" / "drop"
            continue
        inner = getattr(transformer, "steps", None)
        (inner[0][1] if inner else transformer).feature_names_in_ = names[columns]


def final_estimator(model: Any) -> Any:
    """The lingrad estimator at the end of a Pipeline (or the model itself)."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def with_final_estimator(model: Any, est: Any) -> Any:
    """``model``'s preprocessing (unfitted clone) in front of ``est``."""
    if getattr(model, "steps", None) is None:
        return est
    from sklearn.base import clone

    pipe = clone(model)
    pipe.steps[-1] = (pipe.steps[-1][0], est)
    return pipe


def describe(model: Any) -> str:
    """The preprocessing in words ("" for none), for the report and the summary."""
    steps = getattr(model, "steps", None)
    if not steps:
        return ""
    words = []
    for name, step in steps[:-1]:
        if name == "prep":
            for part, transformer, cols in step.transformers:
                inner = getattr(transformer, "steps", None)
                names = (
                    [type(t).__name__ for _, t in inner]
                    if inner
                    else [
                        "passthrough"
                        if transformer == "passthrough"
                        else type(transformer).__name__
                    ]
                )
                words.append(f"{part} columns ({len(cols)}): {' -> '.join(names)}")
        else:
            words.append(type(step).__name__)
    return "; ".join(words)
