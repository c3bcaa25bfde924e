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

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._modelstate import Encoder, is_array_like

__all__ = ["check_trainer", "decode_trainer", "restore_trainer", "trainer_state"]

_OBJECTS = ("GD", "Momentum", "Adam", "ProximalL1", "Schedule", "Constant",
            "InverseTime", "StepDecay", "Exponential", "Adaptive")  # fmt: skip
_RNG_KEYS = {"state", "inc", "has_uint32", "uinteger"}


def _optimizer_state(obj: Any, enc: Encoder, where: str) -> dict[str, Any]:
    """``{"class": name, "state": state_dict()}`` of an optimizer."""
    name = type(obj).__name__
    if name not in _OBJECTS:
        raise ModelFileError(f"cannot save {where}: a {name} cannot be stored")
    state = {k: enc.value(v, f"{where}.{k}") for k, v in obj.state_dict().items()}
    return {"class": name, "state": state}


def _object_state(obj: Any, enc: Encoder, where: str) -> dict[str, Any]:
    """``{"class": name, "vars": {...}}`` of a schedule."""
    name = type(obj).__name__
    if name not in _OBJECTS:
        raise ModelFileError(f"cannot save {where}: a {name} cannot be stored")
    out: dict[str, Any] = {}
    for key, value in vars(obj).items():
        if type(value).__name__ in _OBJECTS:
            out[key] = {"__object__": _object_state(value, enc, f"{where}.{key}")}
        else:
            out[key] = enc.value(value, f"{where}.{key}")
    return {"class": name, "vars": out}


def trainer_state(trainer: Any, enc: Encoder, where: str) -> dict[str, Any] | None:
    """What continuing ``trainer`` needs, as JSON; None for no trainer, or one this
    module does not know (another engine's): a loaded model then continues from its
    fitted parameters with a fresh optimizer and generator."""
    if trainer is None:
        return None
    n_arrays = len(enc.arrays)
    try:
        bits = trainer.batcher.rng.bit_generator.state
        if bits.get("bit_generator") != "PCG64":
            return None
        return {
            "t": int(trainer.t),
            "epoch": int(trainer.epoch),
            "rng": {
                "state": format(bits["state"]["state"], "x"),
                "inc": format(bits["state"]["inc"], "x"),
                "has_uint32": int(bits["has_uint32"]),
                "uinteger": int(bits["uinteger"]),
            },
            "optimizer": _optimizer_state(trainer.optimizer, enc, f"{where}.optimizer"),
            "schedule": _object_state(trainer.schedule, enc, f"{where}.schedule"),
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


def _restore_object(obj: Any, state: Any, where: str) -> None:
    if not (isinstance(state, dict) and state.get("class") == type(obj).__name__):
        raise ModelFileError(f"{where}: stored for a different optimizer or schedule")
    saved, own = state.get("vars"), vars(obj)
    if not isinstance(saved, dict) or set(saved) != set(own):
        raise ModelFileError(f"{where}: its state does not match this lingrad's")
    for key, value in saved.items():
        if isinstance(value, dict) and set(value) == {"__object__"}:
            _restore_object(own[key], value["__object__"], f"{where}.{key}")
        elif isinstance(own[key], dict) and isinstance(value, dict):
            setattr(obj, key, {k: np.array(v, copy=True) for k, v in value.items()})
        elif type(own[key]) is type(value) or (
            isinstance(own[key], float) and isinstance(value, (int, float))
        ):
            setattr(obj, key, value)
        else:
            raise ModelFileError(f"{where}.{key}: holds a {type(value).__name__}")


def restore_trainer(est: Any, state: dict[str, Any], where: str) -> None:
    """Rebuild ``est._trainer`` from its hyperparameters and put ``state`` back."""
    from sklearn.utils import check_random_state

    if est.solver not in ("sgd", "minibatch", "batch"):
        return
    chain = est._chain_from_fitted()
    trainer = est._make_trainer(chain, check_random_state(est.random_state))
    try:
        rng = state["rng"]
        trainer.batcher.rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(rng["state"], 16), "inc": int(rng["inc"], 16)},
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        }
    except (TypeError, ValueError, OverflowError) as e:
        raise ModelFileError(f"{where}: the stored generator state is invalid") from e
    opt = state["optimizer"]
    if opt.get("class") != type(trainer.optimizer).__name__:
        raise ModelFileError(f"{where}: trainer.optimizer: stored for a different one")
    saved = opt["state"] if "state" in opt else _from_vars(opt)
    params = chain.params
    try:
        _check_arrays(saved, params)
        trainer.optimizer.load_state_dict(saved)
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"{where}: trainer.optimizer: {e}") from e
    _restore_object(trainer.schedule, state["schedule"], f"{where}: trainer.schedule")
    trainer.t, trainer.epoch = state["t"], state["epoch"]
    if getattr(est, "history_", None) is not None:
        trainer.history = est.history_
    est._trainer = trainer


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


def _check_arrays(state: Any, params: dict[str, Any]) -> None:
    """Every per-parameter array of ``state`` has its parameter's shape; cast to
    the parameter's dtype in place."""
    for value in state.values() if isinstance(state, dict) else ():
        if not isinstance(value, dict):
            continue
        if value and all(is_array_like(a) for a in value.values()):
            for key, a in value.items():
                if key not in params or params[key].shape != tuple(a.shape):
                    raise ValueError("its state does not match the parameters")
                value[key] = np.asarray(a).astype(params[key].dtype, copy=False)
        else:
            _check_arrays(value, params)


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
