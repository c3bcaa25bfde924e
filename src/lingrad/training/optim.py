"""Batching and parameter updates: ``Batcher`` and the optimizers.

``Batcher`` cuts an epoch into batches: per-sample (``batch_size=1``, the
lectures' ``for x, y in zip(...)`` loop), minibatch (``m``) or full batch
(``None``), in data order or shuffled by a seeded generator. The optimizers
update a chain's live parameter arrays in place, keyed by ``chain.params``
names: ``p -= lr * g`` is the lectures' update ``w := w - lr · (dJ/dw)ᵀ``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from lingrad.core.nodes import Array, Real, compilable
from lingrad.training.shuffle import Shuffle, check_mode, epoch_order, n_rows, row_bytes

Batch = tuple[Array, Array, Array | None]
Seed = int | np.random.Generator | np.random.RandomState | None
# an optimizer's state entry: per-parameter arrays, a counter, or (ProximalL1's
# "inner") the wrapped optimizer's state
StateValue: TypeAlias = "dict[str, Array] | int | float | dict[str, StateValue]"


def as_generator(random_state: Seed = None) -> np.random.Generator:
    """A NumPy Generator from None, an int seed, a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


class Batcher:
    """Yield ``(Xb, yb, sb)`` batches of one epoch, shuffled or in data order.

    Parameters
    ----------
    batch_size : int or None
        1 (per-sample), m (minibatch) or None (full batch); clipped to N.
    shuffle : {True, False, "rows", "blocks"}
        Draw a fresh order every epoch: "rows" a permutation of all rows,
        "blocks" shuffled blocks of contiguous rows (faster to read), True
        one of them by the size of X (see ``lingrad.training.shuffle``); False keeps
        the data order. Full batches
        are never shuffled (the sum does not depend on the order).
    random_state : None, int, Generator or RandomState
        Seed of the shuffling generator.
    chunk_bytes : int
        Shuffled rows are gathered ``X[perm[chunk]]`` a chunk of about this
        many bytes at a time (whole batches), and batches are views into it.
    """

    def __init__(
        self,
        batch_size: int | None = 1,
        shuffle: Shuffle = True,
        random_state: Seed = None,
        chunk_bytes: int = 1 << 21,
    ) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {batch_size!r}.")
        self.batch_size = batch_size
        self.shuffle = check_mode(shuffle)
        self.rng = as_generator(random_state)
        self.chunk_bytes = chunk_bytes

    def size(self, N: int) -> int:
        """The batch size used on N examples."""
        return N if self.batch_size is None else min(self.batch_size, N)

    def n_batches(self, N: int) -> int:
        """Batches per epoch: ⌈N / m⌉."""
        return -(-N // self.size(N))

    def order(self, N: int, row_bytes: int = 8) -> NDArray[np.intp] | None:
        """The row order of the next epoch (None: data order); see
        ``lingrad.training.shuffle``.

        Both engines read the epoch's order from here, so a seed gives the
        same batches whichever runs them. ``row_bytes`` sizes the blocks.
        """
        if not self.shuffle or self.size(N) == N:
            return None
        return epoch_order(self.rng, N, self.shuffle, row_bytes)

    def __call__(
        self, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Iterator[Batch]:
        """One epoch of batches (draws the permutation when shuffling)."""
        N = n_rows(X)
        m = self.size(N)
        perm = self.order(N, row_bytes(X))
        if perm is None:
            for i in range(0, N, m):
                sb = None if sample_weight is None else sample_weight[i : i + m]
                yield X[i : i + m], y[i : i + m], sb
            return
        chunk = max(self.chunk_bytes // row_bytes(X) // m, 1) * m
        for c in range(0, N, chunk):
            idx = perm[c : c + chunk]
            Xc = X[idx] if sp.issparse(X) else np.take(X, idx, axis=0)  # copies
            yc = np.take(y, idx, axis=0)
            sc = None if sample_weight is None else np.take(sample_weight, idx)
            for i in range(0, len(idx), m):
                sb = None if sc is None else sc[i : i + m]
                yield Xc[i : i + m], yc[i : i + m], sb


def _copied(value: StateValue) -> StateValue:
    """A copy of a state value: {name: array}, an array or a number."""
    if isinstance(value, dict):
        return {k: np.array(v, copy=True) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


class Optimizer:
    """Base optimizer: ``step(params, grads, lr)`` updates params in place.

    Its state (``state``: the names of the public attributes holding it, per
    parameter arrays keyed like ``chain.params`` or counters) is read and
    restored with ``state_dict()`` / ``load_state_dict()``.
    """

    name = "optimizer"
    state: tuple[str, ...] = ()

    def step(
        self, params: dict[str, Array], grads: dict[str, Array], lr: float
    ) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget any state (velocities, moments)."""

    def state_dict(self) -> dict[str, StateValue]:
        """The state, copied: ``{name: {param: array} or number}``."""
        return {key: _copied(getattr(self, key)) for key in self.state}

    def load_state_dict(self, state: object) -> None:
        """Put back a ``state_dict()``; ValueError if it is another optimizer's."""
        if not isinstance(state, dict) or set(state) != set(self.state):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(
                f"{type(self).__name__}'s state holds {sorted(self.state)}; got {got}"
            )
        for key in self.state:
            own, value = getattr(self, key), state[key]
            if isinstance(own, dict) != isinstance(value, dict) or not (
                isinstance(value, dict) or isinstance(value, int | float | np.number)
            ):
                raise ValueError(f"{type(self).__name__}.{key}: holds a {value!r}")
            if isinstance(value, dict):
                value = {k: np.array(v, copy=True) for k, v in value.items()}
            elif isinstance(own, int):
                value = int(value)
            else:
                value = float(value)
            setattr(self, key, value)

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if k not in self.state
        )
        return f"{type(self).__name__}({args})"


@compilable
def gd_update(p: Real, g: Real, lr: float) -> Real:
    """``p := p - lr · g``, g = dJ_dp (the lectures' update)."""
    return p - g * lr


class GD(Optimizer):
    """Plain gradient descent ``p := p - lr · dJ_dp`` (the lectures' update)."""

    name = "gd"

    def step(
        self, params: dict[str, Array], grads: dict[str, Array], lr: float
    ) -> None:
        for key, p in params.items():
            p[...] = gd_update(p, grads[key], lr)


@compilable
def momentum_v(v: Real, g: Real, lr: float, beta: float) -> Real:
    """The velocity ``v := beta · v - lr · g``."""
    return v * beta - g * lr


@compilable
def momentum_update(p: Real, v: Real) -> Real:
    """Heavy ball ``p := p + v`` (v already updated)."""
    return p + v


@compilable
def nesterov_update(p: Real, v: Real, g: Real, lr: float, beta: float) -> Real:
    """Nesterov ``p := p + beta · v - lr · g`` (v already updated)."""
    return p + (beta * v - g * lr)


class Momentum(Optimizer):
    """Heavy-ball ``v := beta·v - lr·g; p := p + v``; Nesterov adds the look-ahead.

    With ``nesterov=True`` the update is ``p := p + beta·v - lr·g`` (the
    Sutskever form used by Keras and scikit-learn's MLP).
    """

    name = "momentum"
    state = ("v",)

    def __init__(self, beta: float = 0.9, nesterov: bool = False) -> None:
        if not 0 <= beta < 1:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}.")
        self.beta = float(beta)
        self.nesterov = nesterov
        self.v: dict[str, Array] = {}  # the velocity of each parameter

    def step(
        self, params: dict[str, Array], grads: dict[str, Array], lr: float
    ) -> None:
        beta = self.beta
        for key, p in params.items():
            v = self.v.get(key)
            if v is None:
                v = self.v[key] = np.zeros_like(p)
            g = grads[key]
            v[...] = momentum_v(v, g, lr, beta)
            if self.nesterov:
                p[...] = nesterov_update(p, v, g, lr, beta)
            else:
                p[...] = momentum_update(p, v)

    def reset(self) -> None:
        self.v = {}


@compilable
def adam_m(m: Real, g: Real, beta1: float) -> Real:
    """The first moment ``m := beta1 · m + (1 - beta1) · g``."""
    return m * beta1 + (1.0 - beta1) * g


@compilable
def adam_v(v: Real, g: Real, beta2: float) -> Real:
    """The second moment ``v := beta2 · v + (1 - beta2) · g²``."""
    return v * beta2 + (1.0 - beta2) * (g * g)


@compilable
def adam_update(
    p: Real,
    m: Real,
    v: Real,
    lr: float,
    t: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> Real:
    """``p := p - lr · m̂ / (sqrt(v̂) + eps)``; m̂ = m / (1 - beta1^t), v̂ likewise."""
    m_hat = m / (1.0 - beta1**t)  # bias corrections
    v_hat = v / (1.0 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


class Adam(Optimizer):
    """Adam: ``m := b1·m + (1-b1)·g; v := b2·v + (1-b2)·g²;
    p := p - lr · m̂ / (sqrt(v̂) + eps)`` with bias-corrected m̂, v̂.
    """

    name = "adam"
    state = ("m", "v", "t")

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)
        self.m: dict[str, Array] = {}  # first moments
        self.v: dict[str, Array] = {}  # second moments
        self.t = 0  # steps taken (the bias corrections' t)

    def step(
        self, params: dict[str, Array], grads: dict[str, Array], lr: float
    ) -> None:
        self.t += 1
        b1, b2, t = self.beta1, self.beta2, self.t
        for key, p in params.items():
            g = grads[key]
            if key not in self.m:
                self.m[key] = np.zeros_like(p)
                self.v[key] = np.zeros_like(p)
            m, v = self.m[key], self.v[key]
            m[...] = adam_m(m, g, b1)
            v[...] = adam_v(v, g, b2)
            p[...] = adam_update(p, m, v, lr, t, b1, b2, self.eps)

    def reset(self) -> None:
        self.m, self.v, self.t = {}, {}, 0


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": GD,
    "sgd": GD,
    "momentum": Momentum,
    "nesterov": lambda **kw: Momentum(nesterov=True, **kw),
    "adam": Adam,
}


def make_optimizer(name: str | Optimizer = "gd", **kw: float) -> Optimizer:
    """The optimizer called ``name`` ("gd", "momentum", "nesterov", "adam").

    An ``Optimizer`` instance is returned as is; ``kw`` go to the class.
    """
    if isinstance(name, Optimizer):
        return name
    if name not in OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or an Optimizer; "
            f"got {name!r}."
        )
    opt: Optimizer = OPTIMIZERS[name](**kw)
    return opt
