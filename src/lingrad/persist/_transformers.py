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
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._safezip import DAMAGED
from lingrad.persist._values import OUTPUT_CONFIG, Node, is_array_like

if TYPE_CHECKING:
    from lingrad.persist._loader import Rules


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


def check_standard_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    _n_samples_seen(r, D)
    for attr in ("mean_", "var_", "scale_"):
        r.array(attr, (D,), none_ok=True)
    for param, attr in (("with_mean", "mean_"), ("with_std", "scale_")):
        if r.params.get(param, True) and r.state.get(attr) is None:
            raise r.fail(attr, f"is missing although {param}=True")


def check_min_max_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    r.integer("n_samples_seen_")
    for attr in ("min_", "scale_", "data_min_", "data_max_", "data_range_"):
        r.array(attr, (D,))


def check_robust_scaler(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    for attr in ("center_", "scale_"):
        r.array(attr, (D,), none_ok=True)


def check_imputer(r: Rules) -> None:
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


def imputer_width(imp: Any) -> int:
    """Its columns: an empty column's (a missing statistic) dropped unless kept."""
    stats = np.asarray(imp.statistics_).tolist()
    keep = imp.keep_empty_features
    return len(stats) if keep else sum(not _missing(v) for v in stats)


def _index_list(r: Rules, attr: str, D: int) -> list[Any] | None:
    """drop_idx_-like: None or a length-D object array of ints / None."""
    v = r.state.get(attr)
    if v is None:
        return None
    r.check_array(attr, v, (D,), "iuO")
    return list(v) if isinstance(v, np.ndarray) else None


def check_one_hot(r: Rules) -> None:
    """categories_: D non-empty 1-D arrays; drop_idx_: None or D indices into them.
    The private widths (0.2's files, or an encoder grouping infrequent categories)
    must match the categories."""
    if (D := _start(r)) is None:
        return
    cats = r.state.get("categories_")
    if not isinstance(cats, list) or len(cats) != D:
        raise r.fail("categories_", f"must be a list of {D} arrays")
    for j, c in enumerate(cats):
        r.check_array(f"categories_[{j}]", c, (None,), "biufUO")
        if not c.shape[0]:
            raise r.fail(f"categories_[{j}]", "holds no category")
    drop = _index_list(r, "drop_idx_", D)
    _index_list(r, "_drop_idx_after_grouping", D)
    infrequent = r.state.get("_infrequent_enabled", False)
    if not isinstance(infrequent, bool):
        raise r.fail("_infrequent_enabled", "must be a boolean")
    outs = r.state.get("_n_features_outs")
    if (infrequent or outs is not None) and not (
        isinstance(outs, list)
        and len(outs) == D
        and all(isinstance(n, int) for n in outs)
    ):
        raise r.fail("_n_features_outs", f"must be a list of {D} integers")
    if infrequent:
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
        if d is not None and not (
            isinstance(d, (int, np.integer)) and 0 <= int(d) < c.shape[0]
        ):
            raise r.fail(
                f"drop_idx_[{j}]", f"must index one of {c.shape[0]} categories"
            )
        if outs is not None and outs[j] != c.shape[0] - (d is not None):
            raise r.fail(
                f"_n_features_outs[{j}]",
                f"is {outs[j]}; column {j} has {c.shape[0]} categories",
            )


def one_hot_width(enc: Any) -> int:
    return len(enc.get_feature_names_out())


def groups_infrequent(enc: Any) -> bool:
    """Whether the encoder's private grouping must be stored (no refit derives it)."""
    return enc.min_frequency is not None or enc.max_categories is not None


def values(node: Node, attr: str, a: Any, bad: Any, need: str) -> None:
    """Refuse the first element of array ``a`` for which ``bad`` holds."""
    if a is None:
        return
    a = np.asarray(a, dtype=np.float64)
    if len(wrong := np.flatnonzero(bad(a))):
        j = int(wrong[0])
        raise ModelFileError(
            f"{node.where}.{attr}[{j}] is {float(a.flat[j])!r}; {need}; {DAMAGED}"
        )


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def finish_imputer(imp: Any, node: Node) -> None:
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


def finish_one_hot(enc: Any, node: Node) -> None:
    """Categories sorted and unique; then, unless it groups infrequent categories,
    the encoder's private state is scikit-learn's own: a fit on one row with
    ``categories=categories_``, after which the file's public attributes return."""
    cats = vars(enc).get("categories_")
    for j, c in enumerate(cats or []):
        if len(c) and not _sorted_categories(c):
            raise ModelFileError(
                f"{node.where}.categories_[{j}] is not sorted and unique; {DAMAGED}"
            )
    if cats is None or vars(enc).get("_infrequent_enabled"):
        return  # an unfitted template, or the stored grouping
    public = {
        k: vars(enc)[k] for k in ("drop_idx_", "feature_names_in_") if k in vars(enc)
    }
    given = enc.categories
    row = np.empty((1, len(cats)), dtype=object)
    row[0] = [c[0] for c in cats]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc.set_params(categories=[np.asarray(c) for c in cats]).fit(row)
    except (TypeError, ValueError) as e:
        raise ModelFileError(
            f"{node.where}.categories_ do not fit its parameters ({e}); {DAMAGED}"
        ) from e
    if _indices(enc.drop_idx_) != _indices(public.get("drop_idx_")):
        raise ModelFileError(
            f"{node.where}.drop_idx_ is not what drop={enc.drop!r} gives for its "
            f"categories_; {DAMAGED}"
        )
    enc.set_params(categories=given)
    vars(enc).pop("feature_names_in_", None)
    vars(enc).update(public, categories_=cats)


def _indices(drop: Any) -> list[int | None] | None:
    return None if drop is None else [None if d is None else int(d) for d in drop]


def check_poly(r: Rules) -> None:
    if (D := _start(r)) is None:
        return
    lo, hi = r.integer("_min_degree", 0, 1000), r.integer("_max_degree", 0, 1000)
    n_out = r.integer("n_output_features_", 0, 2**31)
    r.integer("_n_out_full", 0, 2**62)
    assert lo is not None and hi is not None
    expected = n_monomials(
        D, lo, hi, bool(r.params.get("interaction_only", False)),
        bool(r.params.get("include_bias", True)),
    )  # fmt: skip
    if n_out != expected:
        raise r.fail(
            "n_output_features_",
            f"is {n_out}; degree {lo}..{hi} of {D} gives {expected}",
        )


def n_monomials(D: int, lo: int, hi: int, interaction_only: bool, bias: bool) -> int:
    """Monomials of degree lo..hi in D variables (without repeats: interactions)."""
    if interaction_only:
        n = sum(math.comb(D, k) for k in range(max(1, lo), min(hi, D) + 1))
    else:
        n = math.comb(D + hi, hi) - 1
        n -= math.comb(D + lo - 1, lo - 1) - 1 if lo > 0 else 0
    return n + bias


def check_function_transformer(r: Rules) -> None:
    for name in ("func", "inverse_func", "kw_args", "inv_kw_args"):
        r.param_is(name, None)  # the identity only: what 'passthrough' becomes
    _start(r)


Bad = Callable[[np.ndarray], np.ndarray]  # the elements an array may not hold
Values = tuple[str, Bad, str]  # (array, its bad elements, what it must be)


def not_positive(a: np.ndarray) -> np.ndarray:
    return ~np.isfinite(a) | (a <= 0)  # type: ignore[no-any-return]


SCALE: Values = ("scale_", not_positive, "a scale must be finite and > 0")
VARIANCE: Values = (
    "var_",
    lambda a: ~np.isfinite(a) | (a < 0),
    "a variance must be finite and >= 0",
)
NONZERO: Values = (
    "scale_",
    lambda a: ~np.isfinite(a) | (a == 0),
    "a scale must be finite and non-zero",
)
