"""The preprocessing of ``lingrad fit`` as a scikit-learn Pipeline.

``--scale``, ``--impute`` and text (categorical) columns become steps before the
lingrad estimator, so that the model file holds everything predict needs:

- numbers only: ``Pipeline([impute?, scale?, model])`` (the bare estimator when
  there is nothing to do);
- with text columns: ``Pipeline([("prep", ColumnTransformer([("num", ..., idx),
  ("cat", [impute?] + OneHotEncoder, idx)])), ("model", est)])``;
- with ``--text`` columns: a vectorizer part per column (``("text0",
  HashingVectorizer or TfidfVectorizer, j)``), ``--hash-categories``: a
  HashingVectorizer of the whole value per category column (``"hash0"``, ...), and
  the ColumnTransformer's output a CSR matrix (:mod:`lingrad.workflows.text`).

The steps come from the model file's allow-list (SimpleImputer, StandardScaler,
OneHotEncoder, HashingVectorizer, TfidfVectorizer, ColumnTransformer, Pipeline).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import numpy as np

from lingrad.workflows.text import NO_TEXT, TextOptions, category_hasher, vectorizer
from lingrad.workflows.types import Model

if TYPE_CHECKING:
    from sklearn.base import TransformerMixin
    from sklearn.pipeline import Pipeline

    from lingrad.models._base import GradientEstimator

Step: TypeAlias = "TransformerMixin | Pipeline | str"  # a transformer, "passthrough"
Part: TypeAlias = "tuple[str, Step, list[int] | int]"  # a ColumnTransformer's part
E = TypeVar("E", bound="GradientEstimator | str")  # the estimator, or "passthrough"

IMPUTE = ("mean", "median", "most_frequent", "drop")


def build(
    est: E, features: Sequence[str], categorical: Collection[str], scale: bool,
    impute: str | None, categories: dict[str, list[str]] | None = None,
    text: TextOptions | None = None,
) -> Pipeline | E:  # fmt: skip
    """The estimator behind the preprocessing the options ask for; ``categories``
    (``--categories``): each text column's categories (sorted, as the model file
    requires a OneHotEncoder's ``categories_``); ``text``: free-text columns and
    hashed categories (:mod:`lingrad.workflows.text`), the output then sparse."""
    from sklearn.pipeline import Pipeline

    text = text or NO_TEXT
    strategy = impute if impute in ("mean", "median", "most_frequent") else None
    num_steps: list[tuple[str, TransformerMixin]] = []
    if strategy is not None:
        from sklearn.impute import SimpleImputer

        num_steps.append(("impute", SimpleImputer(strategy=strategy)))
    if scale:
        from sklearn.preprocessing import StandardScaler

        num_steps.append(("scale", StandardScaler()))
    free = [j for j, f in enumerate(features) if f in set(text.columns)]
    cat_idx = [j for j, f in enumerate(features)
               if f in set(categorical) and j not in free]  # fmt: skip
    if not cat_idx and not free:
        return Pipeline([*num_steps, ("model", est)]) if num_steps else est
    if free and strategy is not None:
        from lingrad.errors import UsageError

        raise UsageError(
            f"--impute {strategy} fills numbers and categories, never a free-text "
            "column: fill the --text columns' empty cells in the file (or use "
            "--impute drop)",
            "--impute",
        )

    from sklearn.compose import ColumnTransformer

    num_idx = [j for j in range(len(features)) if j not in {*cat_idx, *free}]
    parts: list[Part] = []
    if num_idx:
        parts.append(
            ("num", _chain(num_steps) if num_steps else "passthrough", num_idx)
        )
    if cat_idx:
        parts += _categories(cat_idx, features, strategy, categories, text)
    parts += [(f"text{k}", vectorizer(text), j) for k, j in enumerate(free)]
    prep = ColumnTransformer(
        parts, remainder="drop", sparse_threshold=1.0 if text.sparse else 0.0
    )
    return Pipeline([("prep", prep), ("model", est)])


def _categories(
    cat_idx: list[int], features: Sequence[str], strategy: str | None,
    categories: dict[str, list[str]] | None, text: TextOptions,
) -> list[Part]:  # fmt: skip
    """The category columns' parts: one-hot encoded (sparse with text), or each
    hashed whole (``--hash-categories``)."""
    if text.hash_categories:
        if strategy is not None:
            from lingrad.errors import UsageError

            raise UsageError(
                "hashes category columns as they are; --impute fills them only "
                "before one-hot encoding: fill the file's empty cells or use "
                "--impute drop",
                "--hash-categories",
            )
        return [(f"hash{k}", category_hasher(text), j) for k, j in enumerate(cat_idx)]
    from sklearn.preprocessing import OneHotEncoder

    cat_steps: list[tuple[str, TransformerMixin]] = []
    if strategy is not None:
        from sklearn.impute import SimpleImputer

        cat_steps.append(("impute", SimpleImputer(strategy="most_frequent")))
    declared: list[list[str]] | str = "auto"
    if categories is not None:
        declared = [sorted(categories[features[j]]) for j in cat_idx]
    onehot = OneHotEncoder(
        categories=declared, handle_unknown="ignore", sparse_output=text.sparse
    )
    cat_steps.append(("onehot", onehot))
    return [("cat", _chain(cat_steps), cat_idx)]


def _chain(steps: list[tuple[str, TransformerMixin]]) -> TransformerMixin | Pipeline:
    from sklearn.pipeline import Pipeline

    return steps[0][1] if len(steps) == 1 else Pipeline(steps)


def name_inputs(model: Model, names: Sequence[str]) -> None:
    """Give every step that sees the input columns their names (after fit), so that
    the saved model checks the column names of a DataFrame given to ``predict``."""
    given = np.asarray(names, dtype=object)
    steps = getattr(model, "steps", None)
    first = steps[0][1] if steps else model
    first.feature_names_in_ = given
    for _, transformer, columns in getattr(first, "transformers_", []):
        if isinstance(transformer, str) or np.ndim(columns) == 0:
            continue  # "passthrough" / "drop", or a text column's vectorizer
        inner = getattr(transformer, "steps", None)
        (inner[0][1] if inner else transformer).feature_names_in_ = given[columns]


def final_estimator(model: Model) -> GradientEstimator:
    """The lingrad estimator at the end of a Pipeline (or the model itself)."""
    steps = getattr(model, "steps", None)
    found: GradientEstimator = steps[-1][1] if steps else model  # sklearn's steps
    return found


def with_final_estimator(model: Model, est: GradientEstimator) -> Model:
    """``model``'s preprocessing (unfitted clone) in front of ``est``."""
    if getattr(model, "steps", None) is None:
        return est
    from sklearn.base import clone

    pipe = clone(model)
    pipe.steps[-1] = (pipe.steps[-1][0], est)
    return pipe


def describe(model: Model) -> str:
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
                if np.ndim(cols) == 0:  # a --text column
                    given = getattr(step, "feature_names_in_", None)
                    col = cols if given is None else given[cols]
                    words.append(f"text column {col!r}: {names[0]}")
                    continue
                words.append(f"{part} columns ({len(cols)}): {' -> '.join(names)}")
        else:
            words.append(type(step).__name__)
    return "; ".join(words)
