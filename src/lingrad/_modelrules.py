"""The allow-list of a model file: which classes, which state, which shapes.

A model file names classes by their bare name; :data:`SPECS` maps each allowed
name to a :class:`Spec`: the module to import it from (a fixed string here, never
read from the file), the fitted attributes it may hold, the rules its declared
shapes must satisfy before anything is read (:class:`Rules`), the checks on its
values once read (``finish``) and its output width (``width``), so that every
step of a Pipeline is checked against the next. The scikit-learn transformers
are in :mod:`lingrad._sklearnrules`, lingrad's estimators in
:mod:`lingrad._lingradrules`; the composition (``Pipeline``,
``ColumnTransformer``) is here.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingrad._modelstate import Decoder, Node, is_array_like
from lingrad._safezip import DAMAGED
from lingrad.errors import ModelFileError

__all__ = ["SPECS", "Rules", "Spec", "check_widths", "width"]

OUTPUT_CONFIG = "_sklearn_output_config"  # set by set_output(); a dict of str


@dataclass(frozen=True)
class Spec:
    """How one allowed class is stored, checked and restored."""

    module: str
    attrs: frozenset[str]  # fitted attributes it may hold
    check: Callable[[Rules], None]  # rules on the declared state (nothing read)
    width: Callable[[Any], int | None] = lambda obj: None  # columns it outputs
    finish: Callable[[Any, Node], None] | None = None  # checks once built
    finite: tuple[str, ...] = ()  # arrays that must be finite
    extra_attrs: bool = False  # lingrad estimators: other plain fitted values too

    def cls(self, name: str) -> type:
        return getattr(importlib.import_module(self.module), name)  # type: ignore[no-any-return]


SPECS: dict[str, Spec] = {}


def spec_of(obj: Any) -> Spec | None:
    """The Spec of ``obj``'s class, if that very class is allowed."""
    spec = SPECS.get(type(obj).__name__)
    try:
        ok = spec is not None and spec.cls(type(obj).__name__) is type(obj)
    except (ImportError, AttributeError):
        ok = False
    return spec if ok else None


class Rules:
    """Checks of one node's declared state; errors name the node and attribute."""

    def __init__(self, dec: Decoder, node: Node) -> None:
        self.dec, self.node = dec, node
        self.state, self.params = node.state, node.params

    def fail(self, attr: str, what: str) -> ModelFileError:
        return self.dec.fail(f"{self.node.where}.{attr}", what)

    def has(self, attr: str) -> bool:
        return attr in self.state

    def integer(
        self, attr: str, lo: int = 0, hi: int = 2**40, *, required: bool = True
    ) -> int | None:
        """A declared integer (int or integer NumPy scalar) in [lo, hi]."""
        if attr not in self.state:
            if required:
                raise self.fail(attr, "is missing")
            return None
        v = self.state[attr]
        if (
            isinstance(v, np.generic)
            and v.dtype.kind in "iuf"
            and float(v).is_integer()
        ):
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise self.fail(
                attr, f"must be an integer in [{lo}, {hi}]; got {str(v)[:40]}"
            )
        return v

    def scalar(self, attr: str, kinds: str = "f", *, required: bool = True) -> Any:
        """A declared number (Python or NumPy scalar) of one of ``kinds``."""
        if attr not in self.state:
            if required:
                raise self.fail(attr, "is missing")
            return None
        v = self.state[attr]
        kind = (
            v.dtype.kind
            if isinstance(v, np.generic)
            else {bool: "b", int: "i", float: "f"}.get(type(v))
        )
        if kind is None or kind not in kinds:
            raise self.fail(attr, f"must be a number; got {type(v).__name__}")
        return v

    def array(
        self,
        attr: str,
        shape: tuple[int | None, ...],
        kinds: str = "f",
        *,
        required: bool = True,
        none_ok: bool = False,
    ) -> Any:
        """A declared array of ``shape`` (None: any length) and dtype kind."""
        if attr not in self.state:
            if required:
                raise self.fail(attr, "is missing")
            return None
        return self.check_array(attr, self.state[attr], shape, kinds, none_ok)

    def check_array(
        self,
        attr: str,
        v: Any,
        shape: tuple[int | None, ...],
        kinds: str,
        none_ok: bool = False,
    ) -> Any:
        if v is None and none_ok:
            return None
        if not is_array_like(v):
            raise self.fail(
                attr,
                f"must be an array of shape {_show(shape)}; got {type(v).__name__}",
            )
        kind = "O" if getattr(v, "as_object", False) else v.dtype.kind
        got = tuple(v.shape)
        ok = len(got) == len(shape) and all(
            s is None or s == g for s, g in zip(shape, got, strict=True)
        )
        if not ok:
            raise self.fail(attr, f"has shape {got}; expected {_show(shape)}")
        if kind not in kinds:
            raise self.fail(attr, f"has dtype {v.dtype}; expected kind {kinds!r}")
        return v

    def names(self, D: int) -> None:
        """``feature_names_in_``, if present: D strings."""
        self.array("feature_names_in_", (D,), "UO", required=False)

    def only(self, allowed: frozenset[str]) -> None:
        unknown = sorted(set(self.state) - allowed)
        if unknown:
            raise self.fail(
                unknown[0], f"is not a fitted attribute of {self.node.name}"
            )

    def output_config(self) -> None:
        config = self.state.get(OUTPUT_CONFIG)
        if config is not None and not (
            isinstance(config, dict)
            and all(isinstance(v, str) for v in config.values())
        ):
            raise self.fail(OUTPUT_CONFIG, "must map names to strings")

    def param_is(self, name: str, *allowed: Any) -> None:
        if name in self.params and not any(
            self.params[name] is a or self.params[name] == a for a in allowed
        ):
            raise self.fail(f"params[{name!r}]", f"must be one of {allowed}")


def _show(shape: tuple[int | None, ...]) -> str:
    return (
        "("
        + ", ".join("n" if s is None else str(s) for s in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def width(obj: Any) -> int | None:
    """Columns an allowed transformer outputs (None: a final estimator)."""
    if obj is None or isinstance(obj, str) or n_in(obj) is None:
        return None  # passthrough, or an unfitted template
    spec = SPECS.get(type(obj).__name__)
    return None if spec is None else spec.width(obj)


def n_in(obj: Any) -> int | None:
    try:
        n = getattr(obj, "n_features_in_", None)
    except AttributeError:  # a Pipeline's property, unfitted
        n = None
    return None if n is None else int(n)


def check_widths(where: str, steps: list[tuple[str, Any]]) -> int | None:
    """Each step's input width is the previous step's output width."""
    out: int | None = None
    for name, step in steps:
        if step is None or step == "passthrough":
            continue
        need = n_in(step)
        if out is not None and need is not None and need != out:
            raise ModelFileError(
                f"{where}: step {name!r} expects {need} input columns but the step "
                f"before it outputs {out}; {DAMAGED}"
            )
        out = width(step)
    return out


def signature_params(cls: type) -> set[str]:
    return {
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


# ------------------------------------------------------------ composition


def _check_pipeline(r: Rules) -> None:
    r.output_config()
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
        if isinstance(est, Node) and i < len(steps) - 1 and SPECS[est.name].extra_attrs:
            raise r.fail(
                f"params['steps'][{i}]", f"is a {est.name}, which only ends a pipeline"
            )
        names.append(step[0])
    if len(set(names)) != len(names):
        raise r.fail("params['steps']", "repeats a step name")
    r.param_is("memory", None)


def _finish_pipeline(pipe: Any, node: Node) -> None:
    check_widths(node.where, list(pipe.steps))


def _pipeline_width(pipe: Any) -> int | None:
    return check_widths("pipeline", list(pipe.steps))


def _columns(r: Rules, attr: str, cols: Any, D: int, names: Any) -> None:
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


def _triples(
    r: Rules, attr: str, items: Any, D: int, fitted: bool
) -> list[tuple[Any, ...]]:
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
        if isinstance(t[1], Node) and SPECS[t[1].name].extra_attrs:
            raise r.fail(f"{attr}[{i}]", f"holds a {t[1].name}, not a transformer")
        _columns(r, f"{attr}[{i}]", t[2], D, None)
    return list(items)


def _check_column_transformer(r: Rules) -> None:
    r.output_config()
    _triples(r, "params['transformers']", r.params.get("transformers"), 2**40, False)
    if not r.state:
        return  # not fitted
    D = r.integer("n_features_in_", 1)
    assert D is not None
    r.names(D)
    fitted = _triples(r, "transformers_", r.state.get("transformers_"), D, True)
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
        _columns(r, f"_columns[{i}]", c, D, None)


def _finish_column_transformer(ct: Any, node: Node) -> None:
    if not hasattr(ct, "transformers_"):
        return
    start = 0
    for name, trans, _ in ct.transformers_:
        given = len(ct._transformer_to_input_indices.get(name, []))
        if trans == "drop":
            w = 0
        else:
            need = n_in(trans)
            if need is not None and need != given:
                raise ModelFileError(
                    f"{node.where}: transformer {name!r} expects {need} columns but is "
                    f"given {given}; {DAMAGED}"
                )
            w = width(trans) or 0
        got = ct.output_indices_[name]
        empty = w == 0 and got.start == got.stop and got.step is None
        if got != slice(start, start + w) and not empty:
            raise ModelFileError(
                f"{node.where}: output_indices_[{name!r}] is "
                f"{ct.output_indices_[name]} but {name!r} outputs {w} columns from "
                f"{start}; {DAMAGED}"
            )
        start += w


def _column_transformer_width(ct: Any) -> int:
    return sum(s.stop - s.start for s in ct.output_indices_.values())


SPECS["Pipeline"] = Spec(
    "sklearn.pipeline", frozenset({OUTPUT_CONFIG}), _check_pipeline,
    width=_pipeline_width, finish=_finish_pipeline,
)  # fmt: skip
SPECS["ColumnTransformer"] = Spec(
    "sklearn.compose",
    frozenset({
        "n_features_in_", "feature_names_in_", "_columns", "sparse_output_",
        "_transformer_to_input_indices", "_remainder", "transformers_",
        "output_indices_", OUTPUT_CONFIG,
    }),
    _check_column_transformer,
    width=_column_transformer_width, finish=_finish_column_transformer,
)  # fmt: skip
