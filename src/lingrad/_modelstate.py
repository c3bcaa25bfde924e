"""A fitted estimator's state <-> the ``arrays.npz`` arrays and ``meta.json`` entries
of a model file (JSON values tagged so that tuples, dicts and inf / NaN survive)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lingrad.errors import ModelFileError

__all__ = ["decode", "encode", "restore_state", "split_state"]

_META_ATTRS = ("classes_", "feature_names_in_", "n_features_in_", "history_")
_DIAGNOSTICS = ("loss_curve_", "validation_scores_")  # exempt from finiteness
_DTYPE_KINDS = "biuf"  # bool, int, uint, float: the only array kinds stored


# ----------------------------------------------------------------- JSON values


def encode(value: Any, what: str) -> Any:
    """A hyperparameter as JSON; tuples, dicts and non-finite floats tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else {"__float__": str(value)}
    if isinstance(value, list):
        return [encode(v, what) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, what) for v in value]}
    if isinstance(value, dict):
        return {
            "__dict__": [[encode(k, what), encode(v, what)] for k, v in value.items()]
        }
    raise ModelFileError(
        f"cannot save {what} = {value!r}: model files hold numbers, strings, "
        "booleans, None, and lists / tuples / dicts of these"
    )


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`; ValueError for an unexpected tagged value."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(decode(v) for v in value["__tuple__"])
    if set(value) == {"__float__"} and value["__float__"] in ("nan", "inf", "-inf"):
        return float(value["__float__"])
    if set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = [decode(kv) for kv in value["__dict__"]]
        if all(isinstance(kv, list) and len(kv) == 2 for kv in pairs):
            return {_hashable(k): v for k, v in pairs}
    raise ValueError(f"unexpected value {value!r}")


def _hashable(key: Any) -> Any:
    hash(key)
    return key


def _scalar(value: Any) -> tuple[bool, Any]:
    """(True, JSON value) for a finite number / str / bool / None or a flat list of
    them, else (False, None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        items = [_scalar(v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if isinstance(value, float):
        return math.isfinite(value), value
    return value is None or isinstance(value, (bool, int, str)), value


# ---------------------------------------------------------------- fitted state


def _finite(key: str, a: np.ndarray) -> bool:
    """Parameters must be finite; diagnostics such as loss_curve_ may hold NaN."""
    return key in _DIAGNOSTICS or a.dtype.kind != "f" or bool(np.isfinite(a).all())


def _numeric(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in _DTYPE_KINDS


def split_state(model: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Fitted state -> (arrays for the npz, meta entries)."""
    name = type(model).__name__
    state = {k: v for k, v in vars(model).items() if k.endswith("_") and k[0] != "_"}
    if not state:
        raise ModelFileError(f"cannot save {name}: it is not fitted; fit it first")
    arrays: dict[str, np.ndarray] = {}
    lists: dict[str, int] = {}
    scalars: dict[str, Any] = {}
    skipped: list[str] = []
    for key, value in sorted(state.items()):
        if key in _META_ATTRS:
            continue
        if _numeric(value):
            arrays[key] = value
        elif isinstance(value, (list, tuple)) and value and all(map(_numeric, value)):
            arrays.update({f"{key}__{i}": a for i, a in enumerate(value)})
            lists[key] = len(value)
        elif (found := _scalar(value))[0]:
            scalars[key] = found[1]
        else:
            skipped.append(key)
    for key, a in arrays.items():
        if not _finite(key, a):
            raise ModelFileError(
                f"cannot save {name}: {key} holds NaN or infinite values (training "
                "diverged?); refit, e.g. with a smaller lr"
            )
    meta: dict[str, Any] = {
        "arrays": {
            k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()
        },
        "array_lists": lists,
        "scalars": scalars,
        "skipped": skipped,
        "n_features_in": _scalar(getattr(model, "n_features_in_", None))[1],
        "feature_names_in": None,
        "classes": None,
    }
    if (names := getattr(model, "feature_names_in_", None)) is not None:
        meta["feature_names_in"] = [str(n) for n in names]
    if (classes := getattr(model, "classes_", None)) is not None:
        classes = np.asarray(classes)
        ok, values = _scalar(list(classes.ravel()))
        if not ok or classes.dtype.kind not in "biufUO" or classes.ndim != 1:
            raise ModelFileError(
                f"cannot save {name}: classes_ {classes!r} unsupported"
            )
        meta["classes"] = {"values": values, "dtype": classes.dtype.str}
    return arrays, meta


def restore_state(
    meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """meta.json + arrays -> (hyperparameters, fitted attributes).

    Raises KeyError / TypeError / ValueError / AttributeError on a damaged file.
    """
    spec, lists = meta["arrays"], meta["array_lists"]
    if set(arrays) != set(spec):
        raise ValueError("arrays.npz does not match meta.json")
    for key, a in arrays.items():
        if a.dtype.kind not in _DTYPE_KINDS or a.dtype.str != spec[key]["dtype"]:
            raise ValueError(f"array {key} has dtype {a.dtype}")
        if list(a.shape) != spec[key]["shape"]:
            raise ValueError(f"array {key} has shape {a.shape}")
        if not _finite(key, a):
            raise ValueError(f"array {key} holds NaN or infinite values")
    attrs: dict[str, Any] = {k: v for k, v in arrays.items() if k.endswith("_")}
    for key, count in lists.items():
        attrs[key] = [arrays[f"{key}__{i}"] for i in range(count)]
    if set(meta["scalars"]) & set(attrs):
        raise ValueError("scalars and arrays share a name")
    attrs.update(meta["scalars"])
    if meta["n_features_in"] is not None:
        attrs["n_features_in_"] = int(meta["n_features_in"])
    if (names := meta["feature_names_in"]) is not None:
        if not all(isinstance(n, str) for n in names):
            raise ValueError("feature_names_in holds non-strings")
        attrs["feature_names_in_"] = np.array(names, dtype=object)
    if (classes := meta["classes"]) is not None:
        attrs["classes_"] = _classes(classes["values"], classes["dtype"])
    for key in attrs:
        if not (key.isidentifier() and key.endswith("_") and key[0] != "_"):
            raise ValueError(f"bad attribute name {key!r}")
    params = {k: decode(v) for k, v in meta["params"].items()}
    return params, attrs


def _classes(values: list[Any], dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    flat = all(_scalar(v)[0] and not isinstance(v, (list, type(None))) for v in values)
    if dt.kind not in "biufUO" or not flat:
        raise ValueError(f"bad classes {values!r} of dtype {dtype}")
    if dt.kind == "O":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.array(values, dtype=dt)
