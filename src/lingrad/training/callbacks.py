"""Callbacks: hooks the Trainer calls after each step and each epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from lingrad.training.train import Trainer

# a plain function as an epoch-end callback: truthy stops training
EpochFn = Callable[["Trainer", int, float], object]


class Callback:
    """Hooks called after each step and each epoch; returning True stops training.

    A plain function ``f(trainer, epoch, epoch_loss)`` is taken as ``on_epoch_end``.
    Setting ``trainer.stop_training = True`` also stops.
    """

    def on_step_end(self, trainer: Trainer, t: int, J: float) -> bool | None:
        return None

    def on_epoch_end(
        self, trainer: Trainer, epoch: int, epoch_loss: float
    ) -> bool | None:
        return None


class _FunctionCallback(Callback):
    def __init__(self, fn: EpochFn) -> None:
        self.fn = fn

    def on_epoch_end(
        self, trainer: Trainer, epoch: int, epoch_loss: float
    ) -> bool | None:
        return bool(self.fn(trainer, epoch, epoch_loss))


def _overrides(hook: object, name: str) -> bool:
    """True when the callback defines its own ``name`` hook."""
    return getattr(type(hook), name, None) not in (None, getattr(Callback, name))


def _as_callback(c: Callback | EpochFn) -> Callback:
    if isinstance(c, Callback):
        return c
    if hasattr(c, "on_epoch_end") or hasattr(c, "on_step_end"):  # duck-typed
        return cast(Callback, c)
    return _FunctionCallback(c)
