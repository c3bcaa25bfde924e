"""``--categories FILE``: each text column's categories, declared up front, and
the checks that the table's text columns and cells keep to them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from lingrad.errors import DataError, UsageError

Raw = NDArray[np.generic]  # rows as read: float64, or object with text cells


class Declared(NamedTuple):
    """``--categories FILE``: each text column's categories (the encoder sorts them)."""

    path: str
    columns: dict[str, list[str]]


def read_categories(path: str) -> Declared:
    """``{"column": ["value", ...], ...}`` from JSON file ``path``; a UsageError
    (one line) for a file that is not that."""

    def bad(what: str) -> UsageError:
        return UsageError(f"--categories {path}: {what}", "--categories")

    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise bad(f"cannot read it ({e.strerror})") from None
    except ValueError as e:
        raise bad(f"not JSON ({e})") from None
    if not isinstance(doc, dict) or not doc:
        raise bad('give a JSON object {"column": ["value", ...], ...}')
    for name, values in doc.items():
        if not isinstance(values, list) or not values:
            raise bad(f"column {name!r}: give a non-empty list of its values")
        if not all(isinstance(v, str) for v in values):
            raise bad(f"column {name!r}: the values must be strings")
        if len(set(values)) < len(values):
            raise bad(f"column {name!r} lists a value twice")
    return Declared(path, doc)


def check_declared(
    declared: Declared | None, features: Sequence[str], categorical: Sequence[str]
) -> dict[str, list[str]] | None:
    """The declared categories of the text columns ``categorical``: every text
    column declared, no other column (a UsageError naming the column)."""
    if declared is None:
        return None
    for name in declared.columns:
        if name not in categorical:
            what = "not a text column" if name in features else "not in the table"
            raise UsageError(
                f"--categories {declared.path}: column {name!r} is {what}; text "
                f"columns: {', '.join(map(repr, categorical)) or 'none'}",
                "--categories",
            )
    missing = [c for c in categorical if c not in declared.columns]
    if missing:
        raise UsageError(
            f"--categories {declared.path}: declare every text column; "
            f"missing: {', '.join(map(repr, missing))}",
            "--categories",
        )
    return dict(declared.columns)


def refuse_undeclared(
    declared: Declared | None,
    X: Raw,
    features: Sequence[str],
    rows: Sequence[int] | NDArray[np.int64],
    path: object,
) -> None:
    """A DataError naming the first cell of ``X`` (raw rows, file ``path``, data
    rows ``rows``) whose text is not among its column's declared categories."""
    if declared is None or not len(X):
        return
    for name, values in declared.columns.items():
        col = X[:, list(features).index(name)]
        text = np.array([isinstance(v, str) for v in col])
        bad = text & ~np.isin(col.astype(str), np.asarray(values, dtype=str))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{path}: text column {name!r} has {col[i]!r} at data row "
                f"{int(rows[i]) + 1}, not declared in {declared.path}; add it "
                "there or fix that row"
            )
