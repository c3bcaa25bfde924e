"""The kernels' numba decorators, and the formulas they compile.

``error_model="numpy"``: a division by zero gives inf or NaN as in the node
path (which runs under ``np.errstate(ignore)``), instead of raising; the
kernels then carry no exception branches. ``jit_fast`` also lets sums be
reassociated (``FAST``), so that dot products vectorize.

Every formula marked ``@compilable`` (the nodes', losses', penalties' and
optimizers' elementwise functions; ``plan`` imports their modules) is
registered here with ``register_jitable``: the kernels call the very
functions the node path runs, compiled into them.
"""

from __future__ import annotations

from numba import njit
from numba.extending import register_jitable

from lingrad.core.nodes import FORMULAS
from lingrad.training.compiled.plan import FAST

jitable = register_jitable(error_model="numpy")  # compiled into its caller
for _formula in FORMULAS:
    jitable(_formula)  # as the kernels

jit = njit(cache=True, error_model="numpy")
jit_fast = njit(cache=True, error_model="numpy", fastmath=FAST)
jit_inline = njit(error_model="numpy", fastmath=FAST, inline="always")  # in the caller
