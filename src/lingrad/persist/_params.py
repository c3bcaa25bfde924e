"""What each parameter of an allowed scikit-learn class may hold: lingrad's own table.

A model file's parameters are checked against these rules when it is saved and
again when it is loaded (no scikit-learn private API). The rules are never looser
than scikit-learn's own validation, and admit every option it names except those
a file refuses by design: code, files read by name, missing-value indicators
(tests/test_modelfile_params.py holds them to both). A parameter with no rule
here (a newer scikit-learn's) must keep its default: :func:`param_problem`.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from typing import TypeGuard

import numpy as np

from lingrad.persist._values import Node, Rule, choice, is_array_like

__all__ = [
    "BOOL", "COLUMN_TRANSFORMER", "FUNCTION", "IMPUTER", "MIN_MAX", "ONE_HOT",
    "PIPELINE", "POLY", "ROBUST", "SCALAR", "SCALER", "count", "param_problem",
    "share",
]  # fmt: skip


def _int(v: object) -> TypeGuard[int]:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _real(v: object) -> TypeGuard[float]:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_bool(v: object) -> bool:
    return isinstance(v, (bool, np.bool_))


BOOL: Rule = (_is_bool, "must be True or False")
SCALAR: Rule = (
    lambda v: v is None or isinstance(v, (bool, int, float, str, np.generic)),
    "must be a number, a string or None",
)


def count(lo: int = 1, hi: int | None = None, *, none: bool = False) -> Rule:
    """An integer in [lo, hi] (no ``hi``: unbounded); ``none``: or None."""

    def ok(v: object) -> bool:
        if v is None:
            return none
        return _int(v) and lo <= v and (hi is None or v <= hi)

    top = "" if hi is None else f", <= {hi}"
    return ok, f"must be an integer >= {lo}{top}" + (" or None" if none else "")


def share(*, open_: bool = False, none: bool = False) -> Rule:
    """A fraction in [0, 1] (``open_``: (0, 1)) or a count >= 1; ``none``: or None."""

    whole = count(none=none)[0]

    def ok(v: object) -> bool:
        if isinstance(v, (float, np.floating)):
            return bool(0 < v < 1 if open_ else 0 <= v <= 1)
        return whole(v)

    lo, hi = ("(", ")") if open_ else ("[", "]")
    return ok, f"must be a fraction in {lo}0, 1{hi} or an integer >= 1"


def _pair(lo: float, hi: float, strict: bool) -> Rule:
    """A tuple (a, b) of numbers, lo <= a < b <= hi (``strict``) or a <= b."""

    def ok(v: object) -> bool:
        if not (isinstance(v, tuple) and len(v) == 2 and all(map(_real, v))):
            return False
        a, b = float(v[0]), float(v[1])
        return lo <= a <= b <= hi and (a < b or not strict)

    order = "<" if strict else "<="
    return ok, f"must be a pair (a, b) of numbers, {lo} <= a {order} b <= {hi}"


def _missing_marker(v: object) -> bool:
    """What marks a missing cell: an integer, NaN, a string or None."""
    nan = isinstance(v, (float, np.floating)) and bool(np.isnan(v))
    return v is None or isinstance(v, (str, numbers.Integral)) or nan


_DEGREE = count(0, 1000)[0]


def _degree(v: object) -> bool:
    pair = isinstance(v, (tuple, list)) and len(v) == 2 and all(map(_DEGREE, v))
    return _DEGREE(v) or pair


def _drop(v: object) -> bool:
    if v is None or isinstance(v, str):
        return v in (None, "first", "if_binary")
    return is_array_like(v) or isinstance(v, list)


def _categories(v: object) -> bool:
    return v == "auto" or (
        isinstance(v, list) and all(is_array_like(c) or isinstance(c, list) for c in v)
    )


def _names(v: object) -> bool:
    return v is None or (isinstance(v, list) and all(isinstance(s, str) for s in v))


def _remainder(v: object) -> bool:
    """'drop', 'passthrough', or a transformer: declared (load) or live (save)."""
    if isinstance(v, str):
        return v in ("drop", "passthrough")
    return isinstance(v, Node) or hasattr(v, "get_params")


def _weights(v: object) -> bool:
    return v is None or (
        isinstance(v, dict)
        and all(isinstance(k, str) and _real(w) for k, w in v.items())
    )


STEPS: Rule = (lambda v: isinstance(v, list), "must be a list")  # checked by class
SCALER = dict.fromkeys(("copy", "with_mean", "with_std"), BOOL)
MIN_MAX = {
    "feature_range": _pair(-np.inf, np.inf, strict=True),
    **dict.fromkeys(("copy", "clip"), BOOL),
}
ROBUST = {
    "quantile_range": _pair(0, 100, strict=False),
    **dict.fromkeys(("with_centering", "with_scaling", "copy", "unit_variance"), BOOL),
}
IMPUTER = {
    "missing_values": (_missing_marker, "must be an integer, NaN, a string or None"),
    "fill_value": SCALAR,
    "strategy": choice("mean", "median", "most_frequent", "constant"),
    "add_indicator": choice(False, need="must be False (indicators are not stored)"),
    **dict.fromkeys(("copy", "keep_empty_features"), BOOL),
}
ONE_HOT = {
    "categories": (_categories, "must be 'auto' or a list of arrays"),
    "drop": (_drop, "must be None, 'first', 'if_binary' or an array"),
    "dtype": (lambda v: isinstance(v, (np.dtype, type)), "must be a dtype"),
    "handle_unknown": choice("error", "ignore", "infrequent_if_exist", "warn"),
    "max_categories": count(none=True),
    "min_frequency": share(open_=True, none=True),
    "sparse_output": BOOL,
    "feature_name_combiner": choice("concat"),
}
POLY = {
    "degree": (_degree, "must be an integer in [0, 1000] or a pair of them"),
    "order": choice("C", "F"),
    **dict.fromkeys(("interaction_only", "include_bias"), BOOL),
}
FUNCTION = {
    **dict.fromkeys(("func", "inverse_func", "kw_args", "inv_kw_args"), choice(None)),
    **dict.fromkeys(("validate", "accept_sparse", "check_inverse"), BOOL),
    "feature_names_out": choice(None, "one-to-one"),
}
PIPELINE = {
    "steps": STEPS,
    "memory": choice(None),
    "verbose": BOOL,
    "transform_input": (_names, "must be None or a list of names"),
}
COLUMN_TRANSFORMER = {
    "transformers": STEPS,
    "remainder": (_remainder, "must be 'drop', 'passthrough' or a transformer"),
    "sparse_threshold": (
        lambda v: _real(v) and 0 <= v <= 1,
        "must be a number in [0, 1]",
    ),
    "n_jobs": count(-(2**31), none=True),
    "transformer_weights": (_weights, "must be None or a dict of names to numbers"),
    "verbose": BOOL,
    **dict.fromkeys(
        ("verbose_feature_names_out", "force_int_remainder_cols"),
        (lambda v: _is_bool(v) or isinstance(v, str), "must be True, False or a str"),
    ),
}


def param_problem(
    rules: Mapping[str, Rule], cls: type, key: str, value: object
) -> str | None:
    """What is wrong with ``cls(key=value)`` (None: nothing): ``key``'s rule, or for
    a parameter with none (a newer scikit-learn's), anything but its default."""
    if key in rules:
        ok, need = rules[key]
        return None if ok(value) else need
    param = inspect.signature(cls).parameters.get(key)
    default = inspect.Parameter.empty if param is None else param.default
    if value is default or (type(value) is type(default) and value == default):
        return None
    return f"must keep its default {default!r} (lingrad has no rule for it)"
