"""The allow-list of a model file: every class it may hold, in one table.

:data:`ALLOWED` maps each allowed bare class name to its :class:`Spec` (where to
import it from, a fixed string; what it may hold; its rules); nothing registers
itself. The composition rules of Pipeline and ColumnTransformer live here too.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict, Unpack

from lingrad.persist import _estimators as est
from lingrad.persist import _params as prm
from lingrad.persist import _text as txt
from lingrad.persist import _transformers as sk
from lingrad.persist._safezip import fail
from lingrad.persist._values import (
    IDF,
    OUTPUT_CONFIG,
    Estimator,
    Node,
    Rule,
    Template,
    arr,
    finite_arrays,
    is_array_like,
)  # fmt: skip

if TYPE_CHECKING:
    from lingrad.persist._loader import Rules

__all__ = ["ALLOWED", "PRIVATE", "Spec", "check_widths", "spec_of", "width"]

PRIVATE: dict[str, str] = {  # scikit-learn private attributes a file still holds
    OUTPUT_CONFIG: "what set_output() chose; kept under scikit-learn's name (format "
    "2) and restored by calling the public set_output(transform=...)",
    "_fit_dtype": "SimpleImputer: the input's dtype at fit, which transform casts "
    "object input to; no public attribute holds it",
    "_fill_dtype": "SimpleImputer: the dtype transform casts statistics_ to; no "
    "public attribute holds it",
    "_min_degree": "PolynomialFeatures: degree as fit parsed it; only a refit on a "
    "D-wide table derives it, and nothing in the file bounds D for that table",
    "_max_degree": "PolynomialFeatures: as _min_degree",
    "_n_out_full": "PolynomialFeatures: as _min_degree",
    "_infrequent_enabled": "OneHotEncoder with min_frequency / max_categories only "
    "(otherwise a refit on one row of categories_ derives it): the category counts "
    "that decide the grouping are not kept",
    "_infrequent_indices": "as _infrequent_enabled",
    "_default_to_infrequent_mappings": "as _infrequent_enabled",
    "_n_features_outs": "as _infrequent_enabled",
    "_drop_idx_after_grouping": "as _infrequent_enabled",
    "_columns": "ColumnTransformer: the column selections fit resolved; transform "
    "reads them and only fit (on the original table) sets them",
    "_remainder": "ColumnTransformer: as _columns",
    "_transformer_to_input_indices": "ColumnTransformer: as _columns",
    "_tfidf": "TfidfVectorizer: its TfidfTransformer, which holds idf_ (the public "
    "idf_ is a property reading it); stored as an allowed node of its own",
}
DROPPED: dict[str, str] = {  # scikit-learn attributes a file leaves out
    "_stop_words_id": "Count/TfidfVectorizer: id() of stop_words, which transform "
    "sets again",
    "stop_words_": "Count/TfidfVectorizer (older scikit-learn): the terms min_df / "
    "max_df left out; scikit-learn says it may be deleted before pickling",
}


Step = tuple[str, object]  # (name, an estimator, "passthrough", "drop" or None)
ToFile = Callable[[Estimator, str, dict[str, object]], dict[str, object]]


@dataclass(frozen=True)
class Spec:
    """How one allowed class is stored, checked and restored."""

    module: str
    attrs: frozenset[str]  # public fitted attributes it may hold
    width: Callable[[Estimator], int | None] = lambda obj: None  # columns it outputs
    shapes: Template = field(default_factory=dict)  # of the declared state
    params: dict[str, Rule] = field(default_factory=dict)  # what each must be
    check: Callable[[Rules], None] | None = None  # its own rules (nothing read)
    finish: Callable[[Estimator, Node], None] | None = None  # checks once built
    finite: tuple[str, ...] = ()  # arrays that must be finite
    extra_attrs: bool = False  # lingrad estimators: other plain fitted values too
    private: frozenset[str] = frozenset({OUTPUT_CONFIG})  # from PRIVATE
    keep_private: Callable[[Estimator], bool] = lambda obj: True  # else derived at load
    fitted: Callable[[Estimator], bool] | None = None  # else: it has n_features_in_
    to_file: ToFile | None = None  # the state to store, from the fitted one
    dropped: frozenset[str] = frozenset()  # from DROPPED: never stored

    def cls(self, name: str) -> type[Estimator]:
        found: type[Estimator] = getattr(importlib.import_module(self.module), name)
        return found

    def problem(self, name: str, key: str, value: object) -> str | None:
        """A parameter's problem (None: none; lingrad's estimators: check_params)."""
        rules, cls = self.params, self.cls(name)
        return None if self.extra_attrs else prm.param_problem(rules, cls, key, value)


def spec_of(obj: object) -> Spec | None:
    """The Spec of ``obj``'s class, if that very class is allowed."""
    spec = ALLOWED.get(type(obj).__name__)
    try:
        ok = spec is not None and spec.cls(type(obj).__name__) is type(obj)
    except (ImportError, AttributeError):
        ok = False
    return spec if ok else None


def width(obj: object) -> int | None:
    """Columns an allowed transformer outputs (None: a final estimator)."""
    if obj is None or isinstance(obj, str) or not is_fitted(obj):
        return None  # passthrough, or an unfitted template
    spec = ALLOWED.get(type(obj).__name__)
    return None if spec is None else spec.width(obj)


def is_fitted(obj: object) -> bool:
    """Whether an allowed step is fitted (a vectorizer has no n_features_in_)."""
    spec = ALLOWED.get(type(obj).__name__)
    if spec is not None and spec.fitted is not None:
        return spec.fitted(obj)
    return n_in(obj) is not None


def n_in(obj: object) -> int | None:
    try:
        n = getattr(obj, "n_features_in_", None)
    except AttributeError:  # a Pipeline's property, unfitted
        n = None
    return None if n is None else int(n)


def check_widths(where: str, steps: Sequence[Step]) -> int | None:
    """Each step's input width is the previous step's output width."""
    out: int | None = None
    for name, step in steps:
        if step is None or step == "passthrough":
            continue
        need = n_in(step)
        if out is not None and need is not None and need != out:
            raise fail(
                f"{where}: step {name!r} expects {need} input columns but the step "
                f"before it outputs {out}"
            )
        out = width(step)
    return out


# ---------------------------------------------------------------- composition


def _check_pipeline(r: Rules) -> None:
    steps = r.params.get("steps")
    if not isinstance(steps, list) or not steps:
        raise r.fail("params['steps']", "must be a non-empty list")
    names = []
    for i, step in enumerate(steps):
        if not (
            isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)
        ):
            raise r.fail(f"params['steps'][{i}]", "must be a (name, estimator) pair")
        est = step[1]
        if not (isinstance(est, Node) or est is None or est == "passthrough"):
            raise r.fail(f"params['steps'][{i}]", "must hold an estimator")
        if (
            isinstance(est, Node)
            and i < len(steps) - 1
            and ALLOWED[est.name].extra_attrs
        ):
            raise r.fail(
                f"params['steps'][{i}]", f"is a {est.name}, which only ends a pipeline"
            )
        names.append(step[0])
    if len(set(names)) != len(names):
        raise r.fail("params['steps']", "repeats a step name")


def _all_fitted(where: str, steps: Sequence[Step]) -> None:
    """In a fitted pipeline every step is fitted (a file cannot leave one out)."""
    steps = [(n, s) for n, s in steps if s is not None and not isinstance(s, str)]
    unfitted = [n for n, s in steps if not is_fitted(s)]
    if unfitted and len(unfitted) < len(steps):
        raise fail(f"{where}: step {unfitted[0]!r} is not fitted")


def _finish_pipeline(pipe: Estimator, node: Node) -> None:
    _all_fitted(node.where, list(pipe.steps))
    check_widths(node.where, list(pipe.steps))


def _pipeline_width(pipe: Estimator) -> int | None:
    return check_widths("pipeline", list(pipe.steps))


def _columns(r: Rules, attr: str, cols: object, D: int) -> None:
    """A column selection: int, str, list of either, slice, or boolean mask."""
    items = cols if isinstance(cols, list) else [cols]
    if isinstance(cols, slice) or (is_array_like(cols) and cols.dtype.kind == "b"):
        return
    for c in items:
        if isinstance(c, bool) or not isinstance(c, (int, str)):
            raise r.fail(
                attr, f"selects column {str(c)[:40]!r}, not a name or an index"
            )
        if isinstance(c, int) and not -D <= c < D:
            raise r.fail(attr, f"selects column {c} of {D}")


def _triples(r: Rules, attr: str, items: object, D: int) -> list[tuple[object, ...]]:
    if not isinstance(items, list):
        raise r.fail(attr, "must be a list of (name, transformer, columns)")
    for i, t in enumerate(items):
        if not (isinstance(t, tuple) and len(t) == 3 and isinstance(t[0], str)):
            raise r.fail(
                f"{attr}[{i}]", "must be a (name, transformer, columns) triple"
            )
        if not (isinstance(t[1], Node) or t[1] in ("drop", "passthrough")):
            raise r.fail(
                f"{attr}[{i}]", "must hold a transformer, 'drop' or 'passthrough'"
            )
        if isinstance(t[1], Node) and ALLOWED[t[1].name].extra_attrs:
            raise r.fail(f"{attr}[{i}]", f"holds a {t[1].name}, not a transformer")
        _columns(r, f"{attr}[{i}]", t[2], D)
    return list(items)


def _check_column_transformer(r: Rules) -> None:
    _triples(r, "params['transformers']", r.params.get("transformers"), 2**40)
    if (D := r.dims.get("D")) is None:
        return  # not fitted
    fitted = _triples(r, "transformers_", r.state.get("transformers_"), D)
    indices = r.state.get("_transformer_to_input_indices")
    if not isinstance(indices, dict) or not all(
        isinstance(k, str)
        and isinstance(v, list)
        and all(isinstance(j, int) and 0 <= j < D for j in v)
        for k, v in indices.items()
    ):
        raise r.fail(
            "_transformer_to_input_indices", f"must map names to column indices < {D}"
        )
    out = r.state.get("output_indices_")
    if not isinstance(out, dict) or not all(isinstance(v, slice) for v in out.values()):
        raise r.fail("output_indices_", "must map names to slices")
    if {t[0] for t in fitted} - set(out) or {t[0] for t in fitted} - set(indices):
        raise r.fail("output_indices_", "does not cover every transformer")
    rem = r.state.get("_remainder")
    if not (isinstance(rem, tuple) and len(rem) == 3):
        raise r.fail("_remainder", "must be a (name, transformer, columns) triple")
    if not isinstance(r.state.get("sparse_output_"), bool):
        raise r.fail("sparse_output_", "must be a boolean")
    cols = r.state.get("_columns")
    if not isinstance(cols, list):
        raise r.fail("_columns", "must be a list")
    for i, c in enumerate(cols):
        _columns(r, f"_columns[{i}]", c, D)


def _finish_column_transformer(ct: Estimator, node: Node) -> None:
    if not hasattr(ct, "transformers_"):
        return
    _all_fitted(node.where, [(n, t) for n, t, _ in ct.transformers_] + [("", ct)])
    start = 0
    for name, trans, _ in ct.transformers_:
        given = len(ct._transformer_to_input_indices.get(name, []))
        if trans == "drop":
            w = 0
        else:
            need = n_in(trans)
            if need is not None and need != given:
                raise fail(
                    f"{node.where}: transformer {name!r} expects {need} columns but is "
                    f"given {given}"
                )
            w = width(trans) or 0
        got = ct.output_indices_[name]
        empty = w == 0 and got.start == got.stop and got.step is None
        if got != slice(start, start + w) and not empty:
            raise fail(
                f"{node.where}: output_indices_[{name!r}] is {got} but {name!r} "
                f"outputs {w} columns from {start}"
            )
        start += w


def _column_transformer_width(ct: Estimator) -> int:
    return sum(s.stop - s.start for s in ct.output_indices_.values())


# ------------------------------------------------------------------ the table


class _Options(TypedDict, total=False):
    """The rest of a scikit-learn transformer's :class:`Spec` (see its fields)."""

    params: dict[str, Rule]
    check: Callable[[Rules], None]
    finish: Callable[[Estimator, Node], None]
    private: frozenset[str]
    keep_private: Callable[[Estimator], bool]


def _sk(
    module: str,
    shapes: Template,
    width: Callable[[Estimator], int | None] | None = None,
    attrs: tuple[str, ...] = (),
    **kw: Unpack[_Options],
) -> Spec:
    """A scikit-learn transformer: D in, ``width`` out (default D)."""
    public = frozenset({"n_features_in_", "feature_names_in_", *shapes, *attrs})
    public -= PRIVATE.keys()
    width = width or (lambda t: int(t.n_features_in_))
    finite = finite_arrays(shapes)
    return Spec(module, public, width=width, shapes=shapes, finite=finite, **kw)


def _lingrad(module: str) -> Spec:
    return Spec(
        f"lingrad.models.{module}", est.ATTRS, check=est.check, finish=est.finish,
        finite=est.FINITE, extra_attrs=True, private=frozenset(),
    )  # fmt: skip


_PRE = "sklearn.preprocessing"
_TEXT = "sklearn.feature_extraction.text"
_STOP = frozenset({"_stop_words_id", "stop_words_"})
_INFREQUENT = frozenset(
    {"_infrequent_enabled", "_infrequent_indices", "_default_to_infrequent_mappings",
     "_n_features_outs", "_drop_idx_after_grouping", OUTPUT_CONFIG}
)  # fmt: skip
ALLOWED: dict[str, Spec] = {
    "LinearRegression": _lingrad("linear"),
    "LogisticRegression": _lingrad("logistic"),
    "BipolarSigmoidClassifier": _lingrad("bipolar"),
    "Perceptron": _lingrad("perceptron"),
    "MulticlassPerceptron": _lingrad("perceptron"),
    "SoftmaxRegression": _lingrad("softmax"),
    "TwoLayerNetwork": _lingrad("network"),
    "ResidualNetwork": _lingrad("residual"),
    "StandardScaler": _sk(_PRE, sk.SCALER_SHAPES, params=prm.SCALER),
    "MinMaxScaler": _sk(_PRE, sk.MIN_MAX_SHAPES, params=prm.MIN_MAX),
    "RobustScaler": _sk(_PRE, sk.ROBUST_SHAPES, params=prm.ROBUST),
    "SimpleImputer": _sk(
        "sklearn.impute", sk.IMPUTER_SHAPES, sk.imputer_width,
        attrs=("indicator_",), check=sk.check_imputer, finish=sk.finish_imputer,
        params=prm.IMPUTER,
        private=frozenset({"_fit_dtype", "_fill_dtype", OUTPUT_CONFIG}),
    ),
    "OneHotEncoder": _sk(
        _PRE, {}, sk.one_hot_width, attrs=("categories_", "drop_idx_"),
        check=sk.check_one_hot, finish=sk.finish_one_hot, private=_INFREQUENT,
        params=prm.ONE_HOT, keep_private=sk.groups_infrequent,
    ),
    "PolynomialFeatures": _sk(
        _PRE, sk.POLY_SHAPES, lambda p: int(p.n_output_features_),
        check=sk.check_poly, params=prm.POLY,
        private=frozenset({"_min_degree", "_max_degree", "_n_out_full", OUTPUT_CONFIG}),
    ),
    "FunctionTransformer": _sk(_PRE, {}, params=prm.FUNCTION),
    "HashingVectorizer": Spec(
        _TEXT, frozenset(), lambda v: int(v.n_features), params=txt.TEXT_PARAMS,
        check=txt.check_hashing, fitted=lambda v: True, to_file=txt.hashing_to_file,
        dropped=_STOP,
    ),
    "CountVectorizer": Spec(
        _TEXT, frozenset({"vocabulary_", "fixed_vocabulary_"}), txt.vocabulary_width,
        params=txt.VOCAB_PARAMS, check=txt.check_vectorizer,
        finish=txt.finish_vocabulary, fitted=txt.is_fitted,
        to_file=txt.vocabulary_to_file, dropped=_STOP,
    ),
    "TfidfVectorizer": Spec(
        _TEXT, frozenset({"vocabulary_", "fixed_vocabulary_"}), txt.vocabulary_width,
        params=txt.VOCAB_PARAMS, check=txt.check_vectorizer,
        finish=txt.finish_vocabulary, fitted=txt.is_fitted,
        to_file=txt.vocabulary_to_file, dropped=_STOP,
        private=frozenset({"_tfidf", OUTPUT_CONFIG}),
    ),
    "TfidfTransformer": _sk(
        _TEXT, {"idf_": arr("D", optional="use_idf", finite=True, bad=IDF)},
        params=txt.TEXT_PARAMS, check=txt.check_tfidf_transformer,
    ),
    "Pipeline": Spec(
        "sklearn.pipeline", frozenset(), _pipeline_width, check=_check_pipeline,
        params=prm.PIPELINE, finish=_finish_pipeline,
    ),
    "ColumnTransformer": Spec(
        "sklearn.compose",
        frozenset({"n_features_in_", "feature_names_in_", "sparse_output_",
                   "transformers_", "output_indices_"}),
        _column_transformer_width, check=_check_column_transformer,
        finish=_finish_column_transformer, params=prm.COLUMN_TRANSFORMER,
        private=frozenset({"_columns", "_remainder", "_transformer_to_input_indices",
                           OUTPUT_CONFIG}),
    ),
}  # fmt: skip
