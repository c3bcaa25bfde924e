"""Learning-rate schedules ``lr_t = f(t)``, where t is the global step count.

t counts every update since training began and keeps counting across
``partial_fit`` calls and warm starts, so a decaying rate never jumps back to
its initial value. The adaptive schedule also listens to the epoch loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from lingrad.core.nodes import Real, compilable

Rates = NDArray[np.float64]  # one learning rate per step


class Schedule:
    """Base: ``lr_t = lr`` for every step (the lectures' constant rate).

    Parameters
    ----------
    lr : float
        Initial learning rate lr₀.
    """

    name = "constant"
    # state_dict() key -> attribute: what changes while training (or by set_lr)
    state: ClassVar[dict[str, str]] = {"lr": "lr"}

    def __init__(self, lr: float = 0.01) -> None:
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}.")
        self.lr = float(lr)

    def __call__(self, t: int) -> float:
        """The rate for step t (0-based, global)."""
        return self.lr

    def set_lr(self, lr: float) -> None:
        """Change the initial rate lr₀ (the schedule keeps its shape)."""
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}.")
        self.lr = float(lr)

    def rates(self, t0: int, n: int) -> Rates:
        """The rates of steps t0 .. t0 + n - 1 (one array: both engines read it)."""
        if type(self).__call__ is Schedule.__call__:
            return np.full(n, self.lr)
        return np.array([self(t) for t in range(t0, t0 + n)], dtype=np.float64)

    def epoch_end(self, epoch_loss: float) -> None:
        """Hook called once per epoch with its mean loss (used by ``Adaptive``)."""

    def state_dict(self) -> dict[str, float | int]:
        """The variables training changes, copied: ``{name: number}``."""
        return {key: getattr(self, attr) for key, attr in self.state.items()}

    def load_state_dict(self, state: object) -> None:
        """Put back a ``state_dict()``; ValueError if it is another schedule's."""
        name = type(self).__name__
        if not isinstance(state, dict) or set(state) != set(self.state):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{name}'s state holds {sorted(self.state)}; got {got}")
        for key, attr in self.state.items():
            value = state[key]
            if isinstance(value, bool) or not isinstance(
                value, int | float | np.number
            ):
                raise ValueError(f"{name}.{key}: holds a {value!r}")
            kind = type(getattr(self, attr))
            setattr(self, attr, kind(value))

    @property
    def exhausted(self) -> bool:
        """True when the schedule asks training to stop (``Adaptive`` at min_lr)."""
        return False

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k[0] != "_")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """``lr_t = lr₀``."""


class _Decay(Schedule):
    """A schedule given by its formula :meth:`lr_at` (a ``@compilable`` function of
    t): one step's rate and a run of steps' rates both come from it."""

    def lr_at(self, t: Real) -> Real:
        """``lr_t`` at step(s) t (a float, or an array of steps)."""
        raise NotImplementedError

    def __call__(self, t: int) -> float:
        return float(self.lr_at(float(t)))

    def rates(self, t0: int, n: int) -> Rates:
        t = np.arange(t0, t0 + n, dtype=np.float64)
        return np.asarray(self.lr_at(t), dtype=np.float64)


@compilable
def inverse_time_lr(t: Real, lr: float, k: float, power: float) -> Real:
    """``lr_t = lr₀ / (1 + k·t)^power``."""
    return lr / np.power(1.0 + k * t, power)


class InverseTime(_Decay):
    """Inverse-time decay ``lr_t = lr₀ / (1 + k·t)^power``.

    ``power=1`` is the classic 1/t decay (Robbins-Monro conditions hold);
    ``power=0.5`` decays more slowly.
    """

    name = "inverse_time"

    def __init__(self, lr: float = 0.01, k: float = 1e-3, power: float = 1.0) -> None:
        super().__init__(lr)
        self.k = float(k)
        self.power = float(power)

    def lr_at(self, t: Real) -> Real:
        return inverse_time_lr(t, self.lr, self.k, self.power)


@compilable
def step_decay_lr(t: Real, lr: float, drop: float, every: float) -> Real:
    """``lr_t = lr₀ · drop^⌊t / every⌋``."""
    return lr * np.power(drop, np.floor_divide(t, every) * 1.0)


class StepDecay(_Decay):
    """Step decay ``lr_t = lr₀ · drop^⌊t / every⌋``: multiply by ``drop`` every steps.

    To decay once per epoch, set ``every`` to the number of steps per epoch.
    """

    name = "step"

    def __init__(self, lr: float = 0.01, drop: float = 0.5, every: int = 1000) -> None:
        super().__init__(lr)
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every!r}.")
        self.drop = float(drop)
        self.every = int(every)

    def lr_at(self, t: Real) -> Real:
        return step_decay_lr(t, self.lr, self.drop, self.every)


@compilable
def exponential_lr(t: Real, lr: float, gamma: float, every: float) -> Real:
    """``lr_t = lr₀ · gamma^(t / every)``."""
    return lr * np.power(gamma, t / every)


class Exponential(_Decay):
    """Exponential decay ``lr_t = lr₀ · gamma^(t / every)`` (smooth, per step)."""

    name = "exponential"

    def __init__(self, lr: float = 0.01, gamma: float = 0.99, every: int = 100) -> None:
        super().__init__(lr)
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every!r}.")
        self.gamma = float(gamma)
        self.every = int(every)

    def lr_at(self, t: Real) -> Real:
        return exponential_lr(t, self.lr, self.gamma, self.every)


class Adaptive(Schedule):
    """``lr ← factor · lr`` when the epoch loss fails to improve by ``tol``.

    As scikit-learn's ``learning_rate="adaptive"``: after ``patience``
    consecutive epochs whose loss is not below ``best - tol`` the rate is
    multiplied by ``factor`` (1/5 by default) and the count restarts. Once the
    rate falls below ``min_lr`` the schedule is ``exhausted`` and the trainer
    stops, which replaces the usual tolerance stop.
    """

    name = "adaptive"
    state: ClassVar[dict[str, str]] = {
        "lr": "lr",
        "lr_now": "_lr_now",
        "best": "_best",
        "bad_epochs": "_bad_epochs",
    }

    def __init__(
        self,
        lr: float = 0.01,
        factor: float = 0.2,
        patience: int = 5,
        tol: float = 1e-4,
        min_lr: float = 1e-6,
    ) -> None:
        super().__init__(lr)
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor!r}.")
        self.factor = float(factor)
        self.patience = int(patience)
        self.tol = float(tol)
        self.min_lr = float(min_lr)
        self._lr_now = self.lr
        self._best = math.inf
        self._bad_epochs = 0

    def __call__(self, t: int) -> float:
        return self._lr_now

    def rates(self, t0: int, n: int) -> Rates:
        return np.full(n, self._lr_now)

    def set_lr(self, lr: float) -> None:
        """Set the current rate (and lr₀)."""
        super().set_lr(lr)
        self._lr_now = self.lr

    def epoch_end(self, epoch_loss: float) -> None:
        if epoch_loss > self._best - self.tol:
            self._bad_epochs += 1
        else:
            self._bad_epochs = 0
        self._best = min(self._best, epoch_loss)
        if self._bad_epochs >= self.patience:
            self._lr_now *= self.factor
            self._bad_epochs = 0

    @property
    def exhausted(self) -> bool:
        return self._lr_now < self.min_lr


class FunctionSchedule(Schedule):
    """Any callable ``t -> lr``, e.g. ``lambda t: 0.1 / (1 + t) ** 0.5``."""

    name = "function"

    def __init__(self, fn: Callable[[int], float]) -> None:
        self.fn = fn
        self.lr = float(fn(0))

    def __call__(self, t: int) -> float:
        return float(self.fn(t))

    def state_dict(self) -> dict[str, float | int]:
        raise TypeError("a function schedule has no state to store.")

    def set_lr(self, lr: float) -> None:
        raise TypeError(
            "a function schedule has no rate to set; assign trainer.schedule instead."
        )


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "inverse_time": InverseTime,
    "invscaling": InverseTime,
    "step": StepDecay,
    "exponential": Exponential,
    "adaptive": Adaptive,
}


def make_schedule(
    name: str | Schedule | Callable[[int], float] = "constant",
    lr: float = 0.01,
    **kw: float,
) -> Schedule:
    """The schedule called ``name`` starting at ``lr`` (a Schedule or callable passes).

    Names: "constant", "inverse_time" (alias "invscaling"), "step",
    "exponential", "adaptive"; ``kw`` go to the class (``k``, ``drop``, ...).
    """
    if isinstance(name, Schedule):
        return name
    if callable(name):
        return FunctionSchedule(name)
    if name not in SCHEDULES:
        raise ValueError(
            f"schedule must be one of {sorted(SCHEDULES)} or a Schedule; got {name!r}."
        )
    return SCHEDULES[name](lr, **kw)
