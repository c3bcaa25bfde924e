"""The training engine's state in a model file, so that training continues exactly.

What an estimator's public ``training_state()`` gives (the global step t, the
epoch count, the shuffling generator's PCG64 state, the optimizer's
``state_dict()`` and the schedule's variables) as JSON: the generator's integers
in hex, the arrays as members. Loading checks and decodes it back into that form
(a 0.2 file's optimizer ``vars`` too), checks its arrays against the parameters'
shapes, and hands it to ``restore_fitted``, so ``load(f).partial_fit(X, y)``
takes the same step as the original would.
"""

from __future__ import annotations

from typing import Any

from lingrad.errors import ModelFileError
from lingrad.persist._modelstate import Encoder, is_array_like

__all__ = ["check_trainer", "decode_trainer", "trainer_state"]

_OBJECTS = ("GD", "Momentum", "Adam", "ProximalL1", "Schedule", "Constant",
            "InverseTime", "StepDecay", "Exponential", "Adaptive")  # fmt: skip
_RNG_KEYS = {"state", "inc", "has_uint32", "uinteger"}
_PARTS = ("optimizer", "schedule")


def _encode_vars(obj: Any, enc: Encoder, where: str) -> dict[str, Any]:
    """A schedule's ``{"class", "vars"}`` as JSON (nested ones likewise)."""
    if obj.get("class") not in _OBJECTS:
        raise ModelFileError(
            f"cannot save {where}: a {obj.get('class')} cannot be stored"
        )
    out = {
        k: {"__object__": _encode_vars(v["__object__"], enc, f"{where}.{k}")}
        if isinstance(v, dict) and set(v) == {"__object__"}
        else enc.value(v, f"{where}.{k}")
        for k, v in obj["vars"].items()
    }
    return {"class": obj["class"], "vars": out}


def trainer_state(est: Any, enc: Encoder, where: str) -> dict[str, Any] | None:
    """What continuing ``est``'s training needs (its public ``training_state()``),
    as JSON; None for none, or one this module cannot store (another engine's, a
    custom schedule): a loaded model then continues from its fitted parameters
    with a fresh optimizer and generator."""
    n_arrays = len(enc.arrays)
    try:
        state = est.training_state()
        if state is None:
            return None
        bits, opt = state["rng"], state["optimizer"]
        if opt["class"] not in _OBJECTS:
            return None
        return {
            "t": state["t"],
            "epoch": state["epoch"],
            "rng": {
                "state": format(bits["state"]["state"], "x"),
                "inc": format(bits["state"]["inc"], "x"),
                "has_uint32": int(bits["has_uint32"]),
                "uinteger": int(bits["uinteger"]),
            },
            "optimizer": {
                "class": opt["class"],
                "state": {
                    k: enc.value(v, f"{where}.optimizer.{k}")
                    for k, v in opt["state"].items()
                },
            },
            "schedule": _encode_vars(state["schedule"], enc, f"{where}.schedule"),
        }
    except (AttributeError, KeyError, TypeError, ModelFileError):
        del enc.arrays[n_arrays:]  # nothing half-stored
        return None


def _arrays(value: Any) -> list[Any]:
    """Every array inside a decoded value (dicts, lists, nested objects)."""
    if is_array_like(value):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    return []


def check_trainer(r: Any, shapes: list[tuple[int, ...]]) -> None:
    """Declared trainer state: its arrays have the shapes of the parameters."""
    state = r.node.trainer
    for a in _arrays([state["optimizer"], state["schedule"]] if state else []):
        if tuple(a.shape) not in shapes or a.dtype.kind != "f":
            raise r.fail(
                "trainer.optimizer", f"holds an array of shape {tuple(a.shape)}"
            )


def _from_vars(obj: dict[str, Any]) -> dict[str, Any]:
    """A state dict from a 0.2 file's ``{"class", "vars"}`` (its private
    attributes ``_v``, ``_m``, ``_t``, ``_u``, ``_q``; ``_tmp`` was unused)."""
    out: dict[str, Any] = {}
    for key, value in obj["vars"].items():
        if isinstance(value, dict) and set(value) == {"__object__"}:
            out[key] = _from_vars(value["__object__"])  # ProximalL1's inner
        elif key.startswith("_") and key != "_tmp":
            out[key[1:]] = value
    return out


def decode_trainer(dec: Any, v: Any, where: str) -> dict[str, Any] | None:
    """The JSON of :func:`trainer_state`, checked and decoded (arrays unread), in
    ``training_state()``'s form: the generator's PCG64 state, the optimizer's
    state dict (from a 0.2 file's ``vars`` too)."""
    if v is None:
        return None
    if not isinstance(v, dict) or set(v) != {"t", "epoch", "rng", *_PARTS}:
        raise dec.fail(where, "is a malformed trainer state")
    for key in ("t", "epoch"):
        if type(v[key]) is not int or not 0 <= v[key] < 2**62:
            raise dec.fail(f"{where}.{key}", "must be a non-negative integer")
    rng = v["rng"]
    if not (isinstance(rng, dict) and set(rng) == _RNG_KEYS):
        raise dec.fail(f"{where}.rng", "is malformed")
    try:
        bits = {
            "bit_generator": "PCG64",
            "state": {"state": int(rng["state"], 16), "inc": int(rng["inc"], 16)},
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        }
    except (TypeError, ValueError, OverflowError) as e:
        raise dec.fail(f"{where}.rng", "holds an invalid generator state") from e
    opt = _decode_object(dec, v["optimizer"], f"{where}.optimizer")
    if "vars" in opt:
        opt = {"class": opt["class"], "state": _from_vars(opt)}
    return {
        "t": v["t"],
        "epoch": v["epoch"],
        "rng": bits,
        "optimizer": opt,
        "schedule": _decode_object(dec, v["schedule"], f"{where}.schedule"),
    }


def _decode_object(dec: Any, v: Any, where: str) -> dict[str, Any]:
    """``{"class", "vars"}`` (a schedule, a 0.2 file's optimizer; nested ones as
    ``{"__object__": ...}``) or ``{"class", "state"}`` (an optimizer)."""
    part = "state" if isinstance(v, dict) and "state" in v else "vars"
    if not (
        isinstance(v, dict)
        and set(v) == {"class", part}
        and v["class"] in _OBJECTS
        and isinstance(v[part], dict)
    ):
        raise dec.fail(where, "is a malformed optimizer or schedule state")
    out: dict[str, Any] = {}
    for key, x in v[part].items():
        if part == "vars" and isinstance(x, dict) and set(x) == {"__object__"}:
            out[key] = {"__object__": _decode_object(dec, x["__object__"], where)}
        else:
            out[key] = dec.value(x, f"{where}.{key}")
    return {"class": v["class"], part: out}
