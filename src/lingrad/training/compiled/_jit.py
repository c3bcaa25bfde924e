"""The kernels' numba decorators, and the formulas they compile.

``error_model="numpy"``: a division by zero gives inf or NaN as in the node
path (which runs under ``np.errstate(ignore)``), instead of raising; the
kernels then carry no exception branches. ``jit_fast`` also lets sums be
reassociated (``FAST``), so that dot products vectorize.

Every formula marked ``@compilable`` (the nodes', losses', penalties' and
optimizers' elementwise functions; ``plan`` imports their modules) is
registered here with ``register_jitable``: the kernels call the very
functions the node path runs, compiled into them.

numba's disk cache knows only each kernel's own file, not the formulas
compiled into it: :func:`drop_stale_kernels` removes the cached kernels when
a formula module has changed since they were compiled (a new loss, an edit).
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import TypeAlias

import numpy as np
from numba import njit, types
from numba.extending import register_jitable, typeof_impl
from numpy.typing import NDArray

from lingrad.core.nodes import FORMULAS
from lingrad.training.compiled.plan import FAST

# the modules whose formulas the kernels compile (imported below, before registering)
FORMULA_MODULES = (
    "lingrad.core.nodes",
    "lingrad.core.loss_base",
    "lingrad.core.losses",
    "lingrad.core.penalties",
    "lingrad.training.optim",
    "lingrad.training.schedules",
    "lingrad.solvers.proximal",
)

Ints: TypeAlias = NDArray[np.integer]  # row positions, column indices, row pointers

# numba's stubs type these: @jit gives a Dispatcher of the function, called with
# the function's own signature (numba itself ignores the annotations)
jitable = register_jitable(error_model="numpy")  # compiled into its caller
for _name in FORMULA_MODULES:  # every @compilable formula is in FORMULAS ...
    importlib.import_module(_name)
for _formula in FORMULAS:  # ... before it is registered
    jitable(_formula)  # as the kernels

jit = njit(cache=True, error_model="numpy")
jit_fast = njit(cache=True, error_model="numpy", fastmath=FAST)
jit_inline = njit(error_model="numpy", fastmath=FAST, inline="always")  # in the caller


class Constant(int):
    """An int that numba types as its value (``Literal[int](v)``), so that a
    kernel called with it is compiled, and cached, for that value: the branches
    on it fold away. numba's C dispatch reads the type from ``_numba_type_``
    (``numba.literally`` would retype the kernel at every call)."""

    _numba_type_: types.IntegerLiteral

    def __new__(cls, value: int) -> Constant:
        self = super().__new__(cls, value)
        self._numba_type_ = types.literal(int(value))  # type: ignore[no-untyped-call]
        return self


@typeof_impl.register(Constant)
def _typeof_constant(val: Constant, c: object) -> types.IntegerLiteral:
    """The type of a :class:`Constant` when numba compiles for it (as in C)."""
    return val._numba_type_


def formulas_stamp() -> int:
    """A number that changes with the source of any formula module."""
    digest = hashlib.sha256()
    for name in FORMULA_MODULES:
        module = importlib.import_module(name)
        digest.update(Path(str(module.__file__)).read_bytes())
    return int.from_bytes(digest.digest()[:7], "big")


STAMP = formulas_stamp()


@jit
def compiled_stamp() -> int:
    """The STAMP of the formulas when this (and every cached kernel) was compiled."""
    return STAMP


def drop_stale_kernels() -> bool:
    """Remove the cached kernels unless they were compiled from these formulas
    (the cached ``compiled_stamp`` says so; not cached: unknown, removed too)."""
    stats = getattr(compiled_stamp, "stats", None)  # None: NUMBA_DISABLE_JIT=1
    if stats is None or (compiled_stamp() == STAMP and stats.cache_hits):
        return False
    cache = stats.cache_path
    for path in Path(cache).glob("*.nb[ic]") if cache else ():
        path.unlink(missing_ok=True)
    compiled_stamp.recompile()  # and caches the new STAMP
    return True


drop_stale_kernels()  # before any kernel is loaded from the cache
