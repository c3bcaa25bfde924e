"""Loading a model file's tree: declare every node, read the arrays, build.

:meth:`Loader.declare` turns a node's JSON into a :class:`Node` whose arrays are
placeholders and checks it against its class's rules (the allow-list, known
parameters, the fitted attributes it may hold, the shapes); only when the whole
tree passed does :meth:`Loader.finish` read the arrays (each ``.npy`` header
against its declaration first) and build the objects: ``cls(**params)``, the state
set without running any setter, ``_validate_params()``, the class's value checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._allowlist import ALLOWED
from lingrad.persist._modelrules import OUTPUT_CONFIG, Rules, signature_params
from lingrad.persist._modelstate import ArrayRef, Decoder, HistoryRef, Node
from lingrad.persist._safezip import SafeZip

__all__ = ["Loader", "check_finite"]


def check_finite(
    names: tuple[str, ...], state: dict[str, Any], prefix: str, hint: str
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
        self.dec = decoder(p, z.limits, members, self.declare)

    def declare(self, v: Any, where: str) -> Node:
        from lingrad.persist._trainerstate import decode_trainer

        dec = self.dec
        if not (
            isinstance(v, dict)
            and {"class", "params", "state"}
            <= set(v)
            <= {"class", "params", "state", "trainer"}
        ):
            raise dec.fail(where, "is not an estimator node")
        name = v["class"]
        if not isinstance(name, str) or name not in ALLOWED:
            raise ModelFileError(
                f"{self.p}: {where} names an unknown estimator class "
                f"{str(name)[:60]!r}; model files may hold "
                f"{', '.join(sorted(ALLOWED))} only (nothing was loaded)"
            )
        spec = ALLOWED[name]
        known = signature_params(spec.cls(name))
        params, state = v["params"], v["state"]
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise dec.fail(where, "has malformed params or state")
        unknown = sorted(set(params) - known)
        if unknown:
            raise ModelFileError(
                f"{self.p}: {where} ({name}) has parameter {unknown[0]!r}, which "
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
        if not spec.extra_attrs:
            rules.only(spec.attrs | spec.private)
        spec.check(rules)
        return node

    def finish(self, root: Node) -> Any:
        """Read the arrays (each checked against its declaration), then build."""
        left = self.dec.unreferenced()
        if left:
            raise self.dec.fail("member", f"{left[0]!r} is not referenced by the model")
        return self._check_root(self.build(root))

    def read(self, ref: ArrayRef) -> np.ndarray:
        if ref.inline is not None:
            return ref.inline
        dt, shape, _, _ = self.z.npy_header(ref.member)
        if dt != ref.dtype or shape != ref.shape:
            raise self.dec.fail(
                f"member {ref.member!r}",
                f"holds {dt.str} {shape}, not the declared {ref.dtype.str} {ref.shape}",
            )
        a = self.z.read_array(ref.member)
        return a.astype(object) if ref.as_object else a

    def build(self, v: Any) -> Any:
        if isinstance(v, ArrayRef):
            return self.read(v)
        if isinstance(v, Node):
            return self._build_node(v)
        if isinstance(v, HistoryRef):
            from lingrad.persist._lingradrules import build_history

            return build_history(
                {k: self.read(a) for k, a in v.arrays.items()}, str(self.p)
            )
        if isinstance(v, list):
            return [self.build(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.build(x) for x in v)
        if isinstance(v, dict):
            return {k: self.build(x) for k, x in v.items()}
        return v

    def _build_node(self, node: Node) -> Any:
        spec = ALLOWED[node.name]
        cls = spec.cls(node.name)
        params = {k: self.build(x) for k, x in node.params.items()}
        state = {k: self.build(x) for k, x in node.state.items()}
        if state.get("history_", True) is None:
            del state["history_"]
        node.trainer = self.build(node.trainer)
        check_finite(
            spec.finite, state, f"{self.p}: {node.where}.", "the file is damaged"
        )
        try:
            obj = cls(**params)
        except (TypeError, ValueError) as e:
            raise ModelFileError(
                f"{self.p}: {node.where} ({node.name}) rejects its parameters ({e})"
            ) from e
        config = state.pop(OUTPUT_CONFIG, None)
        for key, value in state.items():
            if hasattr(cls, key):
                raise self.dec.fail(
                    f"{node.where}.{key}", "shadows a method or property"
                )
            vars(obj)[key] = value
        try:
            if not spec.extra_attrs:
                obj._validate_params()  # scikit-learn offers no public check
            if config and config.get("transform") is not None:
                obj.set_output(transform=config["transform"])
            if spec.finish is not None:
                spec.finish(obj, node)
        except ModelFileError as e:
            if str(self.p) in str(e):
                raise
            raise ModelFileError(f"{self.p}: {e}") from e
        except (TypeError, ValueError) as e:
            raise ModelFileError(
                f"{self.p}: {node.where} ({node.name}) has invalid parameters ({e})"
            ) from e
        return obj

    def _check_root(self, model: Any) -> Any:
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
        except NotFittedError as e:
            raise ModelFileError(f"{self.p}: the model in it is not fitted") from e
        return model
