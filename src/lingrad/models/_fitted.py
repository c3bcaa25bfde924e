"""An estimator's fitted state as plain values, and back: the training engine.

``training_state(est)`` is what continuing the last iterative fit needs: the
global step t, the epoch count, the shuffling generator's PCG64 state, the
optimizer's ``state_dict()`` (momentum velocity, Adam's m and v, the proximal L1
step's shrink) and the schedule's ``state_dict()``; ``restore_fitted(est, shape,
state)`` puts the fitted shape back and rebuilds the Trainer from the
hyperparameters with that state, so ``partial_fit`` takes the same step as the
original would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils import check_random_state

from lingrad.models.params import ITERATIVE_SOLVERS

if TYPE_CHECKING:
    from lingrad.core.nodes import Array
    from lingrad.models._base import GradientEstimator
    from lingrad.training.optim import StateValue

__all__ = ["restore_fitted", "training_state"]

_STATE_KEYS = {"t", "epoch", "rng", "optimizer", "schedule"}

# an optimizer's / a schedule's class name and its state_dict()
OptimizerState = TypedDict(
    "OptimizerState", {"class": str, "state": "dict[str, StateValue]"}
)
ScheduleState = TypedDict("ScheduleState", {"class": str, "state": dict[str, float]})


class TrainingState(TypedDict):
    """What continuing the last iterative fit needs (see the module)."""

    t: int
    epoch: int
    rng: dict[str, Any]  # the PCG64 bit generator's state (NumPy types it so)
    optimizer: OptimizerState
    schedule: ScheduleState


def training_state(est: GradientEstimator) -> TrainingState | None:
    """The last iterative fit's engine state as plain values (None without one,
    or for a generator other than PCG64)."""
    trainer = getattr(est, "_trainer", None)
    if trainer is None:
        return None
    bits = trainer.batcher.rng.bit_generator.state
    if bits.get("bit_generator") != "PCG64":
        return None
    opt, schedule = trainer.optimizer, trainer.schedule
    try:
        schedule_state = schedule.state_dict()
    except TypeError:  # a function schedule: nothing to store
        return None
    return {
        "t": int(trainer.t),
        "epoch": int(trainer.epoch),
        "rng": bits,
        "optimizer": {"class": type(opt).__name__, "state": opt.state_dict()},
        "schedule": {"class": type(schedule).__name__, "state": schedule_state},
    }


def _cast_arrays(state: object, params: dict[str, Array]) -> None:
    """Every per-parameter array of ``state`` has its parameter's shape; cast to
    the parameter's dtype in place."""
    for value in state.values() if isinstance(state, dict) else ():
        if not isinstance(value, dict):
            continue
        if value and all(isinstance(a, np.ndarray) for a in value.values()):
            for key, a in value.items():
                if key not in params or params[key].shape != a.shape:
                    raise ValueError("its state does not match the parameters")
                value[key] = a.astype(params[key].dtype, copy=False)
        else:
            _cast_arrays(value, params)


def restore_fitted(
    est: GradientEstimator,
    shape: tuple[int, int],
    state: Mapping[str, object] | None = None,  # a file's, decoded: checked here
) -> None:
    """After the fitted attributes were set: the fitted shape (X, Y widths), and
    the Trainer rebuilt with ``state`` (of :func:`training_state`) when given and
    the solver is iterative; ValueError names what does not fit."""
    est._fitted_shape = shape
    if is_regressor(est) and hasattr(est, "coef_"):  # LinearRegression's 1-D y
        est._y_1d = np.ndim(est.coef_) == 1
    est._trainer = None
    if state is None or est.solver not in ITERATIVE_SOLVERS:
        return
    t, epoch, rng = state.get("t"), state.get("epoch"), state.get("rng")
    opt, sched = state.get("optimizer"), state.get("schedule")
    if not (
        set(state) == _STATE_KEYS
        and isinstance(t, int)
        and isinstance(epoch, int)
        and isinstance(rng, dict)
        and isinstance(opt, dict)
        and isinstance(sched, dict)
    ):
        raise ValueError("the training state is malformed")
    chain = est._chain_from_fitted()
    trainer = est._make_trainer(chain, check_random_state(est.random_state))
    try:
        trainer.batcher.rng.bit_generator.state = rng
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise ValueError("the stored generator state is invalid") from e
    if opt.get("class") != type(trainer.optimizer).__name__:
        raise ValueError("trainer.optimizer: stored for a different one")
    try:
        _cast_arrays(opt.get("state"), chain.params)
        trainer.optimizer.load_state_dict(opt.get("state"))
    except (ValueError, TypeError) as e:
        raise ValueError(f"trainer.optimizer: {e}") from e
    if sched.get("class") != type(trainer.schedule).__name__:
        raise ValueError("trainer.schedule: stored for a different one")
    try:
        trainer.schedule.load_state_dict(sched.get("state"))
    except (ValueError, TypeError) as e:
        raise ValueError(f"trainer.schedule: {e}") from e
    trainer.t, trainer.epoch = t, epoch
    if getattr(est, "history_", None) is not None:
        trainer.history = est.history_
    est._trainer = trainer
