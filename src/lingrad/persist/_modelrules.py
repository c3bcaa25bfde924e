"""Checks of a declared node (:class:`Rules`): integers, numbers, arrays of a shape
and dtype kind, the attributes a class may hold; every error names the node and
attribute. The table of what each class may hold is :mod:`lingrad.persist._allowlist`.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._modelstate import Decoder, Node, is_array_like

__all__ = ["OUTPUT_CONFIG", "Rules", "signature_params"]

OUTPUT_CONFIG = "_sklearn_output_config"  # set by set_output(); a dict of str
ABSENT = object()  # an attribute the node does not declare


class Rules:
    """Checks of one node's declared state; errors name the node and attribute."""

    def __init__(self, dec: Decoder, node: Node) -> None:
        self.dec, self.node = dec, node
        self.state, self.params = node.state, node.params

    def fail(self, attr: str, what: str) -> ModelFileError:
        return self.dec.fail(f"{self.node.where}.{attr}", what)

    def has(self, attr: str) -> bool:
        return attr in self.state

    def get(self, attr: str, required: bool) -> Any:
        """The declared value (``ABSENT`` if absent and not ``required``)."""
        if attr in self.state:
            return self.state[attr]
        if required:
            raise self.fail(attr, "is missing")
        return ABSENT

    def integer(
        self, attr: str, lo: int = 0, hi: int = 2**40, *, required: bool = True
    ) -> int | None:
        """A declared integer (int or integer NumPy scalar) in [lo, hi]."""
        if (v := self.get(attr, required)) is ABSENT:
            return None
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
        if (v := self.get(attr, required)) is ABSENT:
            return None
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
        if (v := self.get(attr, required)) is ABSENT:
            return None
        return self.check_array(attr, v, shape, kinds, none_ok)

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


def signature_params(cls: type) -> set[str]:
    return {
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
