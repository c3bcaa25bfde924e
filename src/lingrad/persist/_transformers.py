"""The scikit-learn transformers' shape templates and their own rules.

Values are checked as ``fit`` leaves them, so that ``transform`` cannot divide by
zero or fill in an infinity (the templates' ``finite`` and ``bad`` rules, an
imputer's statistics, a one-hot encoder's sorted categories).
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, SupportsIndex, SupportsInt

import numpy as np

from lingrad.persist._safezip import fail
from lingrad.persist._values import (
    NON_NEGATIVE,
    NONZERO,
    POSITIVE,
    Arr,
    Estimator,
    Node,
    Template,
    arr,
)  # fmt: skip

if TYPE_CHECKING:
    from lingrad.persist._loader import Rules


SCALER_SHAPES: Template = {
    "n_samples_seen_": Arr(("D",), "iuf", scalar=True),
    "mean_": arr("D", optional="with_mean", finite=True),
    "var_": arr("D", optional=True, bad=NON_NEGATIVE),  # None in a 0.1 file
    "scale_": arr("D", optional="with_std", finite=True, bad=POSITIVE),
}
MIN_MAX_SHAPES: Template = {
    "n_samples_seen_": range(2**40 + 1),
    "min_": arr("D", finite=True),
    "scale_": arr("D", finite=True, bad=NONZERO),
    **{a: arr("D") for a in ("data_min_", "data_max_", "data_range_")},
}
ROBUST_SHAPES: Template = {
    "center_": arr("D", optional="with_centering", finite=True),
    "scale_": arr("D", optional="with_scaling", finite=True, bad=POSITIVE),
}
IMPUTER_SHAPES: Template = {"statistics_": arr("D", kinds="fiuO")}
POLY_SHAPES: Template = {
    "_min_degree": range(1001),
    "_max_degree": range(1001),
    "n_output_features_": range(2**31 + 1),
    "_n_out_full": range(2**62 + 1),
}


def check_imputer(r: Rules) -> None:
    for attr in ("_fit_dtype", "_fill_dtype"):
        if attr in r.state and not isinstance(r.state[attr], np.dtype):
            raise r.fail(attr, "must be a dtype")
    if r.state.get("indicator_") is not None:
        raise r.fail("indicator_", "must be None")


def imputer_width(imp: Estimator) -> int:
    """Its columns: an empty column's (a missing statistic) dropped unless kept."""
    stats = np.asarray(imp.statistics_).tolist()
    keep = imp.keep_empty_features
    return len(stats) if keep else sum(not _missing(v) for v in stats)


def check_one_hot(r: Rules) -> None:
    """categories_: D non-empty 1-D arrays; drop_idx_: None or D indices into them.
    The private widths (0.2's files, or an encoder grouping infrequent categories)
    must match the categories."""
    if (D := r.dims.get("D")) is None:
        return
    r.shapes({"categories_": [arr(None, kinds="biufUO")] * D})
    cats = r.state["categories_"]
    assert isinstance(cats, list)  # r.shapes checked it: D arrays
    for j, c in enumerate(cats):
        if not c.shape[0]:
            raise r.fail(f"categories_[{j}]", "holds no category")
    index = arr("D", kinds="iuO", optional=True)
    r.shapes({"drop_idx_": index, "_drop_idx_after_grouping": index})
    drop = r.state.get("drop_idx_")
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
        rule = [arr(None, kinds="iu", optional=True)] * D
        r.shapes({"_infrequent_indices": rule, "_default_to_infrequent_mappings": rule})
        return
    drops = list(drop) if isinstance(drop, np.ndarray) else [None] * D
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


def one_hot_width(enc: Estimator) -> int:
    return len(enc.get_feature_names_out())


def groups_infrequent(enc: Estimator) -> bool:
    """Whether the encoder's private grouping must be stored (no refit derives it)."""
    return enc.min_frequency is not None or enc.max_categories is not None


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def finish_imputer(imp: Estimator, node: Node) -> None:
    stats = getattr(imp, "statistics_", None)
    if stats is None:
        return
    for j, v in enumerate(np.asarray(stats).tolist()):
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not (isinstance(v, str) or _missing(v) or (number and math.isfinite(v))):
            raise fail(
                f"{node.where}.statistics_[{j}] is {v!r}; a statistic must be a "
                f"finite number or a string (NaN: a column that was empty)"
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


def finish_one_hot(enc: Estimator, node: Node) -> None:
    """Categories sorted and unique; then, unless it groups infrequent categories,
    the encoder's private state is scikit-learn's own: a fit on one row with
    ``categories=categories_``, after which the file's public attributes return."""
    cats = vars(enc).get("categories_")
    for j, c in enumerate(cats or []):
        if len(c) and not _sorted_categories(c):
            raise fail(f"{node.where}.categories_[{j}] is not sorted and unique")
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
        raise fail(f"{node.where}.categories_ do not fit its parameters ({e})") from e
    if _indices(enc.drop_idx_) != _indices(public.get("drop_idx_")):
        raise fail(
            f"{node.where}.drop_idx_ is not what drop={enc.drop!r} gives for its "
            f"categories_"
        )
    enc.set_params(categories=given)
    vars(enc).pop("feature_names_in_", None)
    vars(enc).update(public, categories_=cats)


def _indices(drop: Iterable[SupportsInt | None] | None) -> list[int | None] | None:
    return None if drop is None else [None if d is None else int(d) for d in drop]


def check_poly(r: Rules) -> None:
    if (D := r.dims.get("D")) is None:
        return
    lo, hi = r.state["_min_degree"], r.state["_max_degree"]
    n_out = r.state["n_output_features_"]
    # r.shapes passed an integral NumPy float too, which math.comb refuses
    if not isinstance(lo, SupportsIndex):
        raise r.fail("_min_degree", f"must be an integer; got {str(lo)[:40]}")
    if not isinstance(hi, SupportsIndex):
        raise r.fail("_max_degree", f"must be an integer; got {str(hi)[:40]}")
    expected = n_monomials(
        D, operator.index(lo), operator.index(hi),
        bool(r.params.get("interaction_only", False)),
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
