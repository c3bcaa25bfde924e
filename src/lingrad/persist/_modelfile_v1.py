"""Reading format 1 model files (lingrad 0.1): ``meta.json`` + a nested ``arrays.npz``.

A format 1 file is translated into a format 2 node and then checked and built by
the same loader, under the same limits: the nested ``arrays.npz`` is itself opened
as an untrusted zip (its members' sizes, ratios and ``.npy`` headers checked
before anything is inflated or allocated), and ``classes`` / ``feature_names_in``
from the JSON become arrays only after their dtype passed the allow-list. A
``Standardized`` wrapper (the retired ``--scale`` model) loads as the equivalent
``Pipeline([("scale", StandardScaler()), ("model", estimator)])``: same
``mean_`` and ``scale_``, so the same predictions, bit for bit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._safezip import SafeZip, check_dtype, fail, open_zip
from lingrad.persist._values import Decoder, Estimator

if TYPE_CHECKING:
    from lingrad.persist._loader import Loader

__all__ = ["load_v1"]

_OWN = ("classes_", "n_features_in_", "feature_names_in_")


class _LegacyDecoder(Decoder):
    """Also decodes ``{"__inline__": values, "dtype": str}``: a 1-D array from JSON
    (object dtype: as ``__objects__``)."""

    def value(self, v: object, where: str) -> object:
        if not (isinstance(v, dict) and set(v) == {"__inline__", "dtype"}):
            return super().value(v, where)
        values, descr = v["__inline__"], v["dtype"]
        if not isinstance(values, list) or not isinstance(descr, str):
            raise fail(where, "is malformed")
        if descr in ("|O", "O"):
            return super().value({"__objects__": values}, where)
        dt = check_dtype(where, descr, self.limits)
        try:
            a = np.array(
                [self.scalar(x, f"{where}[{i}]") for i, x in enumerate(values)],
                dtype=dt,
            )
        except (TypeError, ValueError, OverflowError) as e:
            raise fail(where, f"does not fit dtype {descr}") from e
        if a.ndim != 1:
            raise fail(where, "must be a flat list")
        return a


def _ref(member: str, spec: object) -> dict[str, object]:
    if not isinstance(spec, dict):
        raise ValueError(f"bad array entry for {member}")
    return {"__array__": member, "dtype": spec.get("dtype"), "shape": spec.get("shape")}


def _node(meta: dict[str, object]) -> dict[str, object]:
    """A format 1 ``meta.json`` as a format 2 node (arrays in the nested npz)."""
    arrays, lists = meta["arrays"], meta["array_lists"]
    scalars = meta["scalars"]
    if not (
        isinstance(arrays, dict)
        and isinstance(lists, dict)
        and isinstance(scalars, dict)
    ):
        raise ValueError("arrays, array_lists and scalars must be objects")
    state: dict[str, object] = {}
    members = set(arrays)
    for key, count in lists.items():
        if not isinstance(count, int) or not 0 < count <= len(arrays):
            raise ValueError(f"bad array list {key}")
        names = [f"{key}__{i}" for i in range(count)]
        state[key] = [_ref(f"{n}.npy", arrays.get(n)) for n in names]
        members -= set(names)
    for key in members:
        state[key] = _ref(f"{key}.npy", arrays[key])
    for key, value in scalars.items():
        if key in state:
            raise ValueError(f"{key} is both an array and a scalar")
        state[key] = value
    if meta["n_features_in"] is not None:
        state["n_features_in_"] = meta["n_features_in"]
    if (features := meta["feature_names_in"]) is not None:
        state["feature_names_in_"] = {"__inline__": features, "dtype": "|O"}
    if (classes := meta["classes"]) is not None:
        if not isinstance(classes, dict):
            raise ValueError("classes must be an object")
        state["classes_"] = {
            "__inline__": classes.get("values"),
            "dtype": classes.get("dtype"),
        }
    name = meta["estimator"]
    if name == "Standardized":
        return _standardized(meta["params"], state)
    return {"class": name, "params": meta["params"], "state": state}


def _standardized(params: object, state: dict[str, object]) -> dict[str, object]:
    """``Standardized(model, params)`` -> ``Pipeline([scale, model])``."""
    if not (isinstance(params, dict) and set(params) <= {"model", "params"}):
        raise ValueError("Standardized has malformed parameters")
    inner_params = params.get("params") or {}
    scaler: dict[str, object] = {
        "n_samples_seen_": {"__np__": "<i8", "value": 0},
        "var_": None,
    }
    inner: dict[str, object] = {}
    for key, value in state.items():
        if key in ("mean_", "scale_"):
            scaler[key] = value
        elif key.startswith("est_") and key.endswith("_") and len(key) > 5:
            inner[key[4:]] = value
        elif key in _OWN:
            inner[key] = value
        elif key != "history_":
            raise ValueError(f"Standardized holds an unexpected attribute {key!r}")
    if "n_features_in_" in inner:
        scaler["n_features_in_"] = inner["n_features_in_"]
    steps = [
        _step("scale", "StandardScaler", {}, scaler),
        _step("model", params.get("model"), inner_params, inner),
    ]
    return {"class": "Pipeline", "params": {"steps": steps}, "state": {},
            "legacy": "Standardized"}  # fmt: skip


def _step(name: str, cls: object, params: object, state: object) -> dict[str, object]:
    """A Pipeline step ``(name, estimator node)`` in format 2's tagged JSON."""
    node = {"class": cls, "params": params, "state": state}
    return {"__tuple__": [name, {"__estimator__": node}]}


def load_v1(
    p: Path, z: SafeZip, meta: dict[str, object], loader_cls: type[Loader]
) -> Estimator:
    """Load a format 1 file (``meta`` is its parsed ``meta.json``)."""
    if "arrays.npz" not in z.members:
        raise ModelFileError(f"{p}: not a lingrad model file (no arrays.npz)")
    try:
        node = _node(meta)
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{p}: damaged model file ({e}); save it again") from e
    legacy = node.pop("legacy", None)
    with open_zip(p, io.BytesIO(z.read("arrays.npz")), z.limits) as inner:
        loader = loader_cls(p, inner, set(inner.members), _LegacyDecoder)
        model = loader.finish(loader.declare(node, "model"))
    if legacy == "Standardized":
        scaler = model.steps[0][1]
        scaler.var_ = scaler.scale_**2
    return model
