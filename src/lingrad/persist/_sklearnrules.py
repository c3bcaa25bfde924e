"""The scikit-learn transformers a model file may hold, their shape and value rules.

Each rule reads the declared state (arrays not yet read) of a fitted
transformer with D = ``n_features_in_`` input columns; ``width`` gives the
columns it outputs, so the next step of a Pipeline is checked against it. Once
read, the values are checked as scikit-learn's ``fit`` leaves them (``finish``),
so that ``transform`` cannot divide by zero or fill in an infinity: a scale is
finite and > 0 (MinMaxScaler's: non-zero), a variance finite and >= 0, an
imputer's statistic finite (NaN: a column that was empty), a one-hot encoder's
categories sorted and unique.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._modelrules import OUTPUT_CONFIG, SPECS, Rules, Spec
from lingrad.persist._modelstate import Node, is_array_like
from lingrad.persist._safezip import DAMAGED

_BASE = frozenset({"n_features_in_", "feature_names_in_", OUTPUT_CONFIG})


def _start(r: Rules) -> int | None:
    """D, or None for an unfitted transformer (a template inside a params list)."""
    r.output_config()
    if not (set(r.state) - {OUTPUT_CONFIG}):
        return None
    D = r.integer("n_features_in_", 1)
    assert D is not None
    r.names(D)
    return D


def _n_samples_seen(r: Rules, D: int) -> None:
    v = r.state.get("n_samples_seen_")
    if is_array_like(v):
        r.check_array("n_samples_seen_", v, (D,), "iuf")
    else:
        r.scalar("n_samples_seen_", "iuf")


def _check_standard_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    _n_samples_seen(r, D)
    for attr in ("mean_", "var_", "scale_"):
        r.array(attr, (D,), none_ok=True)
    for param, attr in (("with_mean", "mean_"), ("with_std", "scale_")):
        if r.params.get(param, True) and r.state.get(attr) is None:
            raise r.fail(attr, f"is missing although {param}=True")


def _check_min_max_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    r.integer("n_samples_seen_")
    for attr in ("min_", "scale_", "data_min_", "data_max_", "data_range_"):
        r.array(attr, (D,))


def _check_robust_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    for attr in ("center_", "scale_"):
        r.array(attr, (D,), none_ok=True)


def _check_imputer(r: Rules) -> None:
    if r.params.get("add_indicator", False):
        raise r.fail(
            "params['add_indicator']", "must be False (indicators are not stored)"
        )
    if (D := _start(r)) is None:
        return
    r.array("statistics_", (D,), "fiuO")
    for attr in ("_fit_dtype", "_fill_dtype"):
        if attr in r.state and not isinstance(r.state[attr], np.dtype):
            raise r.fail(attr, "must be a dtype")
    if r.state.get("indicator_") is not None:
        raise r.fail("indicator_", "must be None")


def _imputer_width(imp: Any) -> int:
    stats = np.asarray(imp.statistics_)
    if imp.keep_empty_features:
        return len(stats)
    missing = [
        v is None or (isinstance(v, float) and math.isnan(v)) for v in stats.tolist()
    ]
    return len(stats) - sum(missing)


def _index_list(r: Rules, attr: str, D: int) -> list[Any] | None:
    """drop_idx_-like: None or a length-D object array of ints / None."""
    v = r.state.get(attr)
    if v is None:
        return None
    r.check_array(attr, v, (D,), "iuO")
    return list(v) if isinstance(v, np.ndarray) else None


def _check_one_hot(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    cats = r.state.get("categories_")
    if not isinstance(cats, list) or len(cats) != D:
        raise r.fail("categories_", f"must be a list of {D} arrays")
    for j, c in enumerate(cats):
        r.check_array(f"categories_[{j}]", c, (None,), "biufUO")
    outs = r.state.get("_n_features_outs")
    if not (
        isinstance(outs, list)
        and len(outs) == D
        and all(isinstance(n, int) for n in outs)
    ):
        raise r.fail("_n_features_outs", f"must be a list of {D} integers")
    if not isinstance(r.state.get("_infrequent_enabled"), bool):
        raise r.fail("_infrequent_enabled", "must be a boolean")
    drop = _index_list(r, "drop_idx_", D)
    _index_list(r, "_drop_idx_after_grouping", D)
    if r.state["_infrequent_enabled"]:
        for attr in ("_infrequent_indices", "_default_to_infrequent_mappings"):
            v = r.state.get(attr)
            if not (isinstance(v, list) and len(v) == D):
                raise r.fail(attr, f"must be a list of {D} entries")
            for j, a in enumerate(v):
                r.check_array(f"{attr}[{j}]", a, (None,), "iu", none_ok=True)
        return
    drops = drop if drop is not None else [None] * D
    for j, c in enumerate(cats):
        d = drops[j]
        dropped = d is not None
        if d is not None and not (
            isinstance(d, (int, np.integer)) and 0 <= int(d) < c.shape[0]
        ):
            raise r.fail(
                f"drop_idx_[{j}]", f"must index one of {c.shape[0]} categories"
            )
        if outs[j] != c.shape[0] - dropped:
            raise r.fail(
                f"_n_features_outs[{j}]",
                f"is {outs[j]}; column {j} has {c.shape[0]} categories",
            )


def _values(node: Node, attr: str, a: Any, bad: Any, need: str) -> None:
    """Refuse the first element of array ``a`` for which ``bad`` holds."""
    if a is None:
        return
    a = np.asarray(a, dtype=np.float64)
    wrong = np.flatnonzero(bad(a))
    if len(wrong):
        j = int(wrong[0])
        raise ModelFileError(
            f"{node.where}.{attr}[{j}] is {float(a.flat[j])!r}; {need}; {DAMAGED}"
        )


def _nonpositive(a: np.ndarray) -> np.ndarray:
    return ~np.isfinite(a) | (a <= 0)  # type: ignore[no-any-return]


def _scale(attr: str = "scale_") -> Any:
    def finish(t: Any, node: Node) -> None:
        need = "a scale must be finite and > 0"
        _values(node, attr, getattr(t, attr, None), _nonpositive, need)

    return finish


def _finish_standard_scaler(t: Any, node: Node) -> None:
    _scale()(t, node)
    var = getattr(t, "var_", None)
    need = "a variance must be finite and >= 0"
    _values(node, "var_", var, lambda a: ~np.isfinite(a) | (a < 0), need)


def _finish_min_max_scaler(t: Any, node: Node) -> None:
    need = "a scale must be finite and non-zero"
    scale = getattr(t, "scale_", None)  # None: an unfitted template
    _values(node, "scale_", scale, lambda a: ~np.isfinite(a) | (a == 0), need)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _finish_imputer(imp: Any, node: Node) -> None:
    stats = getattr(imp, "statistics_", None)
    if stats is None:
        return
    for j, v in enumerate(np.asarray(stats).tolist()):
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not (isinstance(v, str) or _missing(v) or (number and math.isfinite(v))):
            raise ModelFileError(
                f"{node.where}.statistics_[{j}] is {v!r}; a statistic must be a "
                f"finite number or a string (NaN: a column that was empty); {DAMAGED}"
            )


def _sorted_categories(c: np.ndarray) -> bool:
    """Sorted unique values, missing ones (None, then NaN) last: as fit leaves them."""
    values = c.tolist()
    present = [v for v in values if not _missing(v)]
    tail = values[len(present) :]
    if any(_missing(v) for v in values[: len(present)]) or len(tail) > 2:
        return False
    if len(tail) == 2 and not (tail[0] is None and tail[1] is not None):
        return False
    if len({type(v) is str for v in present}) > 1:
        return False
    try:
        return all(a < b for a, b in zip(present, present[1:], strict=False))
    except TypeError:
        return False


def _finish_one_hot(enc: Any, node: Node) -> None:
    for j, c in enumerate(getattr(enc, "categories_", [])):
        if len(c) and not _sorted_categories(c):
            raise ModelFileError(
                f"{node.where}.categories_[{j}] is not sorted and unique; {DAMAGED}"
            )


def _check_poly(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    lo, hi = r.integer("_min_degree", 0, 1000), r.integer("_max_degree", 0, 1000)
    n_out = r.integer("n_output_features_", 0, 2**31)
    r.integer("_n_out_full", 0, 2**62)
    try:
        from sklearn.preprocessing import PolynomialFeatures

        expected = PolynomialFeatures._num_combinations(
            D, lo, hi, bool(r.params.get("interaction_only", False)),
            bool(r.params.get("include_bias", True)),
        )  # fmt: skip
    except (AttributeError, TypeError):  # a scikit-learn without this helper
        return
    if n_out != expected:
        raise r.fail(
            "n_output_features_",
            f"is {n_out}; degree {lo}..{hi} of {D} gives {expected}",
        )


def _check_function_transformer(r: Rules) -> None:
    for name in ("func", "inverse_func", "kw_args", "inv_kw_args"):
        r.param_is(name, None)  # the identity only: what 'passthrough' becomes
    _start(r)


def _spec(
    module: str, attrs: set[str], check: Any, width: Any = None, **kw: Any
) -> Spec:
    return Spec(
        module, _BASE | attrs, check, width or (lambda t: int(t.n_features_in_)), **kw
    )


SPECS.update(
    StandardScaler=_spec(
        "sklearn.preprocessing", {"n_samples_seen_", "mean_", "var_", "scale_"},
        _check_standard_scaler, finite=("mean_", "scale_"),
        finish=_finish_standard_scaler,
    ),
    MinMaxScaler=_spec(
        "sklearn.preprocessing",
        {"n_samples_seen_", "min_", "scale_", "data_min_", "data_max_", "data_range_"},
        _check_min_max_scaler, finite=("min_", "scale_"),
        finish=_finish_min_max_scaler,
    ),
    RobustScaler=_spec(
        "sklearn.preprocessing", {"center_", "scale_"}, _check_robust_scaler,
        finite=("center_", "scale_"), finish=_scale(),
    ),
    SimpleImputer=_spec(
        "sklearn.impute", {"statistics_", "_fit_dtype", "_fill_dtype", "indicator_"},
        _check_imputer, _imputer_width, finish=_finish_imputer,
    ),
    OneHotEncoder=_spec(
        "sklearn.preprocessing",
        {"categories_", "drop_idx_", "_drop_idx_after_grouping",
         "_n_features_outs", "_infrequent_enabled", "_infrequent_indices",
         "_default_to_infrequent_mappings"},
        _check_one_hot, lambda e: int(sum(e._n_features_outs)), finish=_finish_one_hot,
    ),
    PolynomialFeatures=_spec(
        "sklearn.preprocessing",
        {"_min_degree", "_max_degree", "n_output_features_", "_n_out_full"},
        _check_poly, lambda p: int(p.n_output_features_),
    ),
    FunctionTransformer=_spec(
        "sklearn.preprocessing", set(), _check_function_transformer
    ),
)  # fmt: skip
