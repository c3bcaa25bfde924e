"""The training engine's state in a model file, so that training continues exactly.

What an estimator's public ``training_state()`` gives (the global step t, the
epoch count, the shuffling generator's PCG64 state, the optimizer's
``state_dict()`` and the schedule's) as JSON: the generator's integers in hex,
the arrays as members. Loading checks and decodes it back into that form (a 0.2
file's optimizer and schedule ``vars`` too), checks its arrays against the
parameters' shapes, and hands it to ``restore_fitted``, so ``load(f).partial_fit(X, y)``
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


def _encode_state(obj: Any, enc: Encoder, where: str) -> dict[str, Any]:
    """An optimizer's or schedule's ``{"class", "state": state_dict()}`` as JSON."""
    if obj.get("class") not in _OBJECTS:
        raise ModelFileError(
            f"cannot save {where}: a {obj.get('class')} cannot be stored"
        )
    state = {k: enc.value(v, f"{where}.{k}") for k, v in obj["state"].items()}
    return {"class": obj["class"], "state": state}


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
        bits = state["rng"]
        if state["optimizer"]["class"] not in _OBJECTS:
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
            **{
                part: _encode_state(state[part], enc, f"{where}.{part}")
                for part in _PARTS
            },
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


def _from_vars(obj: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """A state dict from a 0.2 file's ``{"class", "vars"}``: its private
    attributes (an optimizer's ``_v``, ``_m``, ``_t``, ``_u``, ``_q``, ``_tmp``
    was unused; Adaptive's ``_lr_now``, ``_best``, ``_bad_epochs``) without the
    underscore, and the public ones named in ``keep`` (a schedule's ``lr``)."""
    out: dict[str, Any] = {}
    for key, value in obj["vars"].items():
        if isinstance(value, dict) and set(value) == {"__object__"}:
            out[key] = _from_vars(value["__object__"])  # ProximalL1's inner
        elif key.startswith("_") and key != "_tmp":
            out[key[1:]] = value
        elif key in keep:
            out[key] = value
    return out


def decode_trainer(dec: Any, v: Any, where: str) -> dict[str, Any] | None:
    """The JSON of :func:`trainer_state`, checked and decoded (arrays unread), in
    ``training_state()``'s form: the generator's PCG64 state, the optimizer's
    and the schedule's state dicts (from a 0.2 file's ``vars`` too)."""
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
    out: dict[str, Any] = {"t": v["t"], "epoch": v["epoch"], "rng": bits}
    for part, keep in zip(_PARTS, ((), ("lr",)), strict=True):
        obj = _decode_object(dec, v[part], f"{where}.{part}")
        if "vars" in obj:  # a file written before the state dicts
            obj = {"class": obj["class"], "state": _from_vars(obj, keep)}
        out[part] = obj
    return out


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
