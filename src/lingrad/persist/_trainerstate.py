"""The training engine's state in a model file, so that training continues exactly.

After an iterative fit a lingrad estimator keeps its ``Trainer`` for
``partial_fit``: the global step t, the epoch count, the shuffling generator's
state, the optimizer's moments (momentum velocity, Adam's m and v, the proximal
L1 step's accumulated shrink) and the schedule's state (the adaptive rate). A
model file stores exactly these; loading rebuilds the trainer from the
estimator's hyperparameters and puts them back, so ``load(f).partial_fit(X, y)``
takes the same step as the original would.
"""

from __future__ import annotations

from typing import Any

from lingrad.errors import ModelFileError
from lingrad.persist._modelstate import Encoder, is_array_like

__all__ = ["check_trainer", "decode_trainer", "restore_trainer", "trainer_state"]

_OBJECTS = ("GD", "Momentum", "Adam", "ProximalL1", "Schedule", "Constant",
            "InverseTime", "StepDecay", "Exponential", "Adaptive")  # fmt: skip
_RNG_KEYS = {"state", "inc", "has_uint32", "uinteger"}


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
    if state is None:
        return
    if not isinstance(state, dict) or set(state) != {
        "t",
        "epoch",
        "rng",
        "optimizer",
        "schedule",
    }:
        raise r.fail("trainer", "is malformed")
    for key in ("t", "epoch"):
        if not isinstance(state[key], int) or not 0 <= state[key] < 2**62:
            raise r.fail(f"trainer.{key}", "must be a non-negative integer")
    rng = state["rng"]
    if not (isinstance(rng, dict) and set(rng) == _RNG_KEYS):
        raise r.fail("trainer.rng", "is malformed")
    for a in _arrays([state["optimizer"], state["schedule"]]):
        if tuple(a.shape) not in shapes or a.dtype.kind != "f":
            raise r.fail(
                "trainer.optimizer", f"holds an array of shape {tuple(a.shape)}"
            )


def restore_trainer(
    est: Any, shape: tuple[int, int], state: dict[str, Any] | None, where: str
) -> None:
    """The fitted shape and, for ``state``, the trainer, through the estimator's
    public ``restore_fitted`` (a 0.2 file's optimizer ``vars`` converted first)."""
    if state is not None:
        rng, opt = state["rng"], state["optimizer"]
        try:
            bits = {
                "bit_generator": "PCG64",
                "state": {"state": int(rng["state"], 16), "inc": int(rng["inc"], 16)},
                "has_uint32": int(rng["has_uint32"]),
                "uinteger": int(rng["uinteger"]),
            }
        except (TypeError, ValueError, OverflowError) as e:
            raise ModelFileError(
                f"{where}: the stored generator state is invalid"
            ) from e
        if "state" not in opt:
            opt = {"class": opt["class"], "state": _from_vars(opt)}
        state = {**state, "rng": bits, "optimizer": opt}
    try:
        est.restore_fitted(shape, state)
    except ValueError as e:
        raise ModelFileError(f"{where}: {e}") from e


def _from_vars(obj: dict[str, Any]) -> dict[str, Any]:
    """A state dict from a 0.2 file's ``{"class", "vars"}`` (its private
    attributes ``_v``, ``_m``, ``_t``, ``_u``, ``_q``; ``_tmp`` was unused)."""
    vars_ = obj.get("vars")
    if not isinstance(vars_, dict):
        raise ModelFileError("the stored optimizer state is malformed")
    out: dict[str, Any] = {}
    for key, value in vars_.items():
        if isinstance(value, dict) and set(value) == {"__object__"}:
            out[key] = _from_vars(value["__object__"])  # ProximalL1's inner
        elif key.startswith("_") and key != "_tmp":
            out[key[1:]] = value
    return out


def decode_trainer(dec: Any, v: Any, where: str) -> dict[str, Any] | None:
    """The JSON of :func:`trainer_state` with its values decoded (arrays unread)."""
    if v is None:
        return None
    keys = {"t", "epoch", "rng", "optimizer", "schedule"}
    if not isinstance(v, dict) or set(v) != keys:
        raise dec.fail(where, "is a malformed trainer state")
    return {
        **{k: v[k] for k in ("t", "epoch", "rng")},
        "optimizer": _decode_optimizer(dec, v["optimizer"], f"{where}.optimizer"),
        "schedule": _decode_object(dec, v["schedule"], f"{where}.schedule"),
    }


def _decode_object(dec: Any, v: Any, where: str) -> dict[str, Any]:
    if not (
        isinstance(v, dict)
        and set(v) == {"class", "vars"}
        and v["class"] in _OBJECTS
        and isinstance(v["vars"], dict)
    ):
        raise dec.fail(where, "is a malformed optimizer or schedule state")
    out: dict[str, Any] = {}
    for key, x in v["vars"].items():
        if isinstance(x, dict) and set(x) == {"__object__"}:
            out[key] = {"__object__": _decode_object(dec, x["__object__"], where)}
        else:
            out[key] = dec.value(x, f"{where}.{key}")
    return {"class": v["class"], "vars": out}


def _decode_optimizer(dec: Any, v: Any, where: str) -> dict[str, Any]:
    """``{"class", "state"}``, or a 0.2 file's ``{"class", "vars"}``."""
    if isinstance(v, dict) and set(v) == {"class", "vars"}:
        return _decode_object(dec, v, where)
    if not (
        isinstance(v, dict)
        and set(v) == {"class", "state"}
        and v["class"] in _OBJECTS
        and isinstance(v["state"], dict)
    ):
        raise dec.fail(where, "is a malformed optimizer state")
    state = {k: dec.value(x, f"{where}.{k}") for k, x in v["state"].items()}
    return {"class": v["class"], "state": state}
