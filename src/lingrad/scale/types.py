"""The values the scale engines pass around, by what they are.

A block of X on a worker is NumPy, CSR or (a DataFrame's partition) pandas;
its delayed form is a :class:`dask.delayed.Delayed`, held on a cluster as a
``distributed.Future``. Dask's collections are untyped (their methods take and
return anything, and a DataFrame reads like an array by duck typing), as are
pandas and SciPy here: named once, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pandas as pd

    from lingrad.core.nodes import Array, SparseRows

DaskArray: TypeAlias = Any  # dask.array.Array: untyped
DaskFrame: TypeAlias = Any  # dask.dataframe.DataFrame / Series: untyped
DaskData: TypeAlias = "DaskArray | DaskFrame"  # a Dask collection (X, y, weights)
Part: TypeAlias = "Array | SparseRows | pd.DataFrame"  # one block of X, as read
