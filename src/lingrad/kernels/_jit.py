"""The kernels' numba decorators: cached, numpy's float semantics, vectorizable sums.

``error_model="numpy"``: a division by zero gives inf or NaN as in the node
path (which runs under ``np.errstate(ignore)``), instead of raising; the
kernels then carry no exception branches. ``jit_fast`` also lets sums be
reassociated (``FAST``), so that dot products vectorize.
"""

from __future__ import annotations

from numba import njit

from lingrad.kernels.plan import FAST

jit = njit(cache=True, error_model="numpy")
jit_fast = njit(cache=True, error_model="numpy", fastmath=FAST)
