"""The allow-list of a model file: which classes, which state, which shapes.

A model file names classes by their bare name; :data:`SPECS` maps each allowed
name to a :class:`Spec`: the module to import it from (a fixed string here, never
read from the file), the fitted attributes it may hold, the rules its declared
shapes must satisfy before anything is read (:class:`Rules`), the checks on its
values once read (``finish``) and its output width (``width``), so that every
step of a Pipeline is checked against the next. The scikit-learn transformers
are in :mod:`lingrad.persist._sklearnrules`, lingrad's estimators in
:mod:`lingrad.persist._lingradrules`, the composition (``Pipeline``,
``ColumnTransformer``) in :mod:`lingrad.persist._composerules`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._modelstate import Decoder, Node, is_array_like
from lingrad.persist._safezip import DAMAGED

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
