"""The coefficient table of a model (``lingrad summary``, and the fit report's
section and figure): standard errors, tests and intervals from lingrad.inference."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from lingrad.inference.result import Summary
    from lingrad.workflows.figures import _Drawer
    from lingrad.workflows.memory import FitResult


class Summarized(TypedDict):
    """What ``lingrad summary`` reports."""

    estimator: str
    summary: Summary


def summarize(
    model: Path, data: str, target: str | None, level: float, cov_type: str
) -> Summarized:
    """``{"estimator", "summary"}`` of the model file on every row of ``data``."""
    import numpy as np

    from lingrad.errors import DataError
    from lingrad.inference import summary as make_summary
    from lingrad.workflows.apply import open_model
    from lingrad.workflows.scoring import parts as table_parts

    loaded = open_model(str(model))
    target = target or loaded.target
    parts = list(table_parts(loaded, data, target, "all"))
    if not parts or not sum(len(p[1]) for p in parts):
        raise DataError(f"{data}: no rows to summarise")
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    result = make_summary(loaded.model, X, y, level=level, cov_type=cov_type)
    return {"estimator": result.model, "summary": result}


def fitted_summary(result: FitResult) -> Summary | str | None:
    """The Summary of ``fit``'s model on its training rows, or the reason it has none.

    None for an estimator that has no summary; a string for a supported one
    whose fit admits none (a penalty, one-vs-rest) or whose rows are not all in
    memory (streamed / Dask data).
    """
    cache = getattr(result, "cache", None)
    if cache is None:
        return _fitted_summary(result)
    steps = getattr(result.model, "steps", None)  # names: set when the model is saved
    first = steps[0][1] if steps else result.model
    key = ("summary", *map(str, getattr(first, "feature_names_in_", ())))
    if key not in cache:  # the report and metrics.json both ask
        cache[key] = _fitted_summary(result)
    found = cache[key]
    from lingrad.inference.result import Summary

    assert found is None or isinstance(found, str | Summary)
    return found


def _fitted_summary(result: FitResult) -> Summary | str | None:
    from lingrad.inference.api import SUPPORTED, InferenceError
    from lingrad.inference.api import summary as make_summary
    from lingrad.workflows.pipeline import final_estimator
    from lingrad.workflows.text import sparse_input

    if type(final_estimator(result.model)).__name__ not in SUPPORTED:
        return None
    if sparse_input(result.model):
        return (
            "sparse text features: no standard errors for a weight per hashed "
            "column or term (weights.png shows the largest weights by name)"
        )
    d = result.data_summary
    if any(
        k in d for k in ("epochs over the file", "passes over the data", "Dask workers")
    ):
        return "streamed or Dask data: run lingrad summary on the table"
    if result.y_train is None:
        return "no training targets were kept: run lingrad summary on the table"
    try:
        with warnings.catch_warnings():  # the inputs are named (numpy X: no names)
            warnings.filterwarnings("ignore", message="X does not have valid feature")
            return make_summary(result.model, result.X_sample, result.y_train)
    except InferenceError as e:
        return str(e)


def fit_summary(result: FitResult) -> dict[str, object] | None:
    """:func:`fitted_summary` as JSON (``{"unavailable": reason}`` without one)."""
    found = fitted_summary(result)
    if found is None or isinstance(found, str):
        return None if found is None else {"unavailable": found}
    doc: dict[str, object] = found.to_dict()
    return doc


def coefficient_figure(result: FitResult, draw: _Drawer) -> None:
    """Draw ``coefficients.png`` (the intervals) where the fit has a summary."""
    from lingrad.inference.plot import plot_coefficients

    found = fitted_summary(result)
    if found is not None and not isinstance(found, str):
        caption = f"Coefficients with {found.level:.0%} confidence intervals"
        draw("coefficients.png", caption + ", training rows", plot_coefficients, found)


def coefficient_html(result: FitResult) -> str:
    """The report's coefficient-table section ('' for a model without one)."""
    import html

    found = fitted_summary(result)
    if found is None:
        return ""
    body = (
        f"<p>{html.escape(found)}</p>"
        if isinstance(found, str)
        else found._repr_html_()
    )
    return f'<section id="coefficients"><h2>Coefficients</h2>{body}</section>'
