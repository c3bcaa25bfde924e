"""Loading a model file's tree: declare and check every node, then read and build.

:meth:`Loader.declare` checks each node's JSON against its allow-list line
(:class:`Rules`) with arrays as placeholders; only then :meth:`Loader.finish`
reads the arrays (each header against its declaration) and builds the objects.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import overload

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._allowlist import ALLOWED, Spec
from lingrad.persist._estimators import build_history, decode_trainer
from lingrad.persist._safezip import SafeZip, fail
from lingrad.persist._values import (
    OUTPUT_CONFIG,
    Arr,
    ArrayRef,
    ArrayValue,
    Bad,
    Decoder,
    Dim,
    Estimator,
    HistoryRef,
    Node,
    Template,
    is_array_like,
)

__all__ = ["Loader", "Rules", "check_finite"]

ABSENT = object()  # an attribute the node does not declare


class Rules:
    """Checks of one node's declared state; errors name the node and attribute."""

    def __init__(self, dec: Decoder, node: Node) -> None:
        self.dec, self.node = dec, node
        self.state, self.params = node.state, node.params
        self.dims: dict[str, int] = {}  # D, C, K, H as the node declares them

    def fail(self, attr: str, what: str) -> ModelFileError:
        return fail(f"{self.node.where}.{attr}", what)

    def get(self, attr: str, required: bool) -> object:
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

    def scalar(self, attr: str, kinds: str = "f", *, required: bool = True) -> object:
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

    def check_array(
        self, attr: str, v: object, shape: tuple[Dim, ...], kinds: str
    ) -> ArrayValue:
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape)
        want += ",)" if len(shape) == 1 else ")"
        if not is_array_like(v):
            raise self.fail(
                attr, f"must be an array of shape {want}; got {type(v).__name__}"
            )
        kind = "O" if getattr(v, "as_object", False) else v.dtype.kind
        got = tuple(v.shape)
        if len(got) != len(shape) or any(
            type(s) is int and s != g for s, g in zip(shape, got, strict=True)
        ):
            raise self.fail(attr, f"has shape {got}; expected {want}")
        if kind not in kinds:
            raise self.fail(attr, f"has dtype {v.dtype}; expected kind {kinds!r}")
        return v

    def shapes(self, template: Template) -> None:
        """Each attribute of ``template`` as its rule says; a symbol in a shape is
        the size it was given in :attr:`dims` or first met."""
        for attr, rule in template.items():
            if isinstance(rule, range):
                self.integer(attr, rule.start, rule.stop - 1)
            elif isinstance(rule, list):
                v = self.state.get(attr)
                if not isinstance(v, list) or len(v) != len(rule):
                    raise self.fail(attr, f"must be a list of {len(rule)} arrays")
                for i, (a, one) in enumerate(zip(v, rule, strict=True)):
                    self._match(f"{attr}[{i}]", a, one)
            else:
                opt = rule.optional
                need = not opt or (isinstance(opt, str) and self.params.get(opt, True))
                if (v := self.get(attr, bool(need))) is not ABSENT:
                    self._match(attr, v, rule)

    def _match(self, attr: str, v: object, rule: Arr) -> None:
        if v is None and rule.optional:
            param = rule.optional
            if isinstance(param, str) and self.params.get(param, True):
                raise self.fail(attr, f"is missing although {param}=True")
            return
        if not is_array_like(v) and (rule.scalar or not rule.dims):
            self.scalar(attr, rule.kinds)
            return
        if not rule.dims:
            raise self.fail(attr, f"must be a number; got {type(v).__name__}")
        dims = self.dims
        shape = tuple(dims.get(d, d) if isinstance(d, str) else d for d in rule.dims)
        a = self.check_array(attr, v, shape, rule.kinds)
        for d, n in zip(rule.dims, a.shape, strict=True):
            if isinstance(d, str):
                dims.setdefault(d, int(n))

    def check(self, spec: Spec) -> None:
        """The node against its class's line: parameters, output config, then (if
        fitted) D = ``n_features_in_``, the shape template and the class's own rules."""
        for name, v in self.params.items():
            need = spec.problem(self.node.name, name, v)
            if need is not None:
                raise self.fail(f"params[{name!r}]", f"{need}; got {str(v)[:60]!r}")
        config = self.state.get(OUTPUT_CONFIG)
        if config is not None and not (
            isinstance(config, dict)
            and all(isinstance(v, str) for v in config.values())
        ):
            raise self.fail(OUTPUT_CONFIG, "must map names to strings")
        fitted = set(self.state) - {OUTPUT_CONFIG} or spec.extra_attrs
        if fitted and "n_features_in_" in spec.attrs:
            D = self.integer("n_features_in_", 1, 2**31)
            assert D is not None
            self.dims["D"] = D
            if (names := self.state.get("feature_names_in_", ABSENT)) is not ABSENT:
                self.check_array("feature_names_in_", names, (D,), "UO")
            self.shapes(spec.shapes)
        if spec.check is not None:
            spec.check(self)


def check_finite(
    names: tuple[str, ...], state: Mapping[str, object], prefix: str, hint: str
) -> None:
    """Each array ``names`` of ``state`` finite, else "``prefix``KEY holds NaN..."."""
    for key in names:
        value = state.get(key)
        for a in value if isinstance(value, list) else [value]:
            a = np.asarray(a) if a is not None else None
            if a is not None and a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ModelFileError(
                    f"{prefix}{key} holds NaN or infinite values; {hint}"
                )


class Loader:
    """Declare every node (nothing read), read the arrays, build the objects."""

    def __init__(
        self, p: Path, z: SafeZip, members: set[str], decoder: type[Decoder] = Decoder
    ) -> None:
        self.p, self.z = p, z
        self.dec = decoder(z.limits, members, self.declare)

    def declare(self, v: object, where: str) -> Node:
        dec = self.dec
        keys = {"class", "params", "state"}
        if not (isinstance(v, dict) and keys <= set(v) <= keys | {"trainer"}):
            raise fail(where, "is not an estimator node")
        name = v["class"]
        if not isinstance(name, str) or name not in ALLOWED:
            raise ModelFileError(
                f"{where} names an unknown estimator class "
                f"{str(name)[:60]!r}; model files may hold "
                f"{', '.join(sorted(ALLOWED))} only (nothing was loaded)"
            )
        spec = ALLOWED[name]
        params, state = v["params"], v["state"]
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise fail(where, "has malformed params or state")
        sig = inspect.signature(spec.cls(name)).parameters.values()
        known = {p.name for p in sig if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if unknown := sorted(set(params) - known):
            raise ModelFileError(
                f"{where} ({name}) has parameter {unknown[0]!r}, which "
                f"{name} does not take here (a newer lingrad's, or a tampered file)"
            )
        node = Node(
            name,
            {k: dec.value(x, f"{where}.{k}") for k, x in params.items()},
            {k: dec.value(x, f"{where}.{k}") for k, x in state.items()},
            decode_trainer(dec, v.get("trainer"), f"{where}.trainer"),
            where,
        )
        rules = Rules(dec, node)
        if not spec.extra_attrs and (
            extra := sorted(set(state) - spec.attrs - spec.private)
        ):
            raise rules.fail(extra[0], f"is not a fitted attribute of {name}")
        rules.check(spec)
        return node

    def finish(self, root: Node) -> Estimator:
        """Read the arrays (each checked against its declaration), then build."""
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        if left := self.dec.unreferenced():
            raise fail("member", f"{left[0]!r} is not referenced by the model")
        model = self.build(root)
        try:
            check_is_fitted(model)
        except NotFittedError as e:
            raise ModelFileError("the model in it is not fitted") from e
        return model

    def read(self, ref: ArrayRef) -> np.ndarray:
        dt, shape, _, _ = self.z.npy_header(ref.member)
        if dt != ref.dtype or shape != ref.shape:
            raise fail(
                f"member {ref.member!r}",
                f"holds {dt.str} {shape}, not the declared {ref.dtype.str} {ref.shape}",
            )
        a = self.z.read_array(ref.member)
        return a.astype(object) if ref.as_object else a

    @overload
    def build(self, v: Node) -> Estimator: ...
    @overload  # a trainer state
    def build(self, v: dict[str, object] | None) -> dict[str, object] | None: ...
    @overload
    def build(self, v: object) -> object: ...

    def build(self, v: object) -> object:
        """A declared value with its arrays read and its estimators built."""
        if isinstance(v, ArrayRef):
            return self.read(v)
        if isinstance(v, Node):
            return self._build_node(v)
        if isinstance(v, HistoryRef):
            arrays = {k: self.read(a) for k, a in v.arrays.items()}
            return build_history(arrays, str(self.p))
        if isinstance(v, list):
            return [self.build(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.build(x) for x in v)
        if isinstance(v, dict):
            return {k: self.build(x) for k, x in v.items()}
        return v

    def _build_node(self, node: Node) -> Estimator:
        spec = ALLOWED[node.name]
        cls = spec.cls(node.name)
        params = {k: self.build(x) for k, x in node.params.items()}
        state = {k: self.build(x) for k, x in node.state.items()}
        if state.get("history_", True) is None:
            del state["history_"]
        node.trainer = self.build(node.trainer)
        check_finite(spec.finite, state, f"{node.where}.", "the file is damaged")
        try:
            obj = cls(**params)
        except (TypeError, ValueError) as e:
            raise ModelFileError(
                f"{node.where} ({node.name}) rejects its parameters ({e})"
            ) from e
        config = state.pop(OUTPUT_CONFIG, None)
        for key, value in state.items():
            if hasattr(cls, key):
                raise fail(f"{node.where}.{key}", "shadows a method or property")
            vars(obj)[key] = value
        try:
            if isinstance(config, dict) and config.get("transform") is not None:
                obj.set_output(transform=config["transform"])
            for attr, rule in spec.shapes.items():
                if isinstance(rule, Arr) and rule.bad is not None:
                    _values(node, attr, vars(obj).get(attr), *rule.bad)
            if spec.finish is not None:
                spec.finish(obj, node)
        except ModelFileError:
            raise
        except (TypeError, ValueError) as e:
            raise ModelFileError(
                f"{node.where} ({node.name}) has invalid parameters ({e})"
            ) from e
        return obj


def _values(node: Node, attr: str, a: object, bad: Bad, need: str) -> None:
    """Refuse the first element of array ``a`` for which ``bad`` holds."""
    if a is None:
        return
    a = np.asarray(a, dtype=np.float64)
    if len(wrong := np.flatnonzero(bad(a))):
        j = int(wrong[0])
        raise fail(f"{node.where}.{attr}[{j}] is {float(a.flat[j])!r}; {need}")
