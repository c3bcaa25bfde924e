"""``prefetch_row(X, i)``: ask the CPU for row i of X before it is read (numba);
``prefetch_at(A, i)``: for the entry A[i] of a 1-D array (CSR rows' weights).

A shuffled epoch reads rows in random order, and each row's first cache line
is a wait on memory. Issuing the prefetch a few rows ahead (the order is
known) overlaps those waits with the arithmetic of the rows in between. A
no-op in plain Python (``NUMBA_DISABLE_JIT=1``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, cast

import numpy as np
from numba import config, types
from numba.core import cgutils
from numba.core.extending import intrinsic
from numpy.typing import NDArray

# prefetch(A, i): a hint, no result; the typing context, types and codegen
# arguments below are numba's and llvmlite's own (untyped) objects
Prefetch: TypeAlias = Callable[[NDArray[np.number], int], None]


def _prefetch_row(typingctx: Any, X: Any, i: Any) -> Any:
    """llvm.prefetch (read, keep in cache) of every 64-byte line of row X[i]."""
    from llvmlite import ir

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        intp = context.get_value_type(types.intp)
        row = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], intp(0)])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        base = builder.bitcast(row, i8p)
        width = cgutils.unpack_tuple(builder, ary.shape)[1]
        nbytes = builder.mul(width, intp(aryty.dtype.bitwidth // 8))
        with cgutils.for_range_slice(builder, intp(0), nbytes, intp(64)) as (off, _):
            builder.call(fn, [builder.gep(base, [off]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(X, i), codegen


def _prefetch_at(typingctx: Any, A: Any, i: Any) -> Any:
    """llvm.prefetch (read, keep in cache) of the cache line of A[i] (A 1-D)."""
    from llvmlite import ir

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        at = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(at, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(A, i), codegen


def _no_prefetch(X: NDArray[np.number], i: int) -> None:
    """Plain Python: nothing to prefetch."""


prefetch_row: Prefetch = _no_prefetch
prefetch_at: Prefetch = _no_prefetch
if not getattr(config, "DISABLE_JIT", False):  # the intrinsics the kernels call
    prefetch_row = cast(Prefetch, intrinsic(_prefetch_row))
    prefetch_at = cast(Prefetch, intrinsic(_prefetch_at))
