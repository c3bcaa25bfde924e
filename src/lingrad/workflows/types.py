"""The values the workflows pass around, by what they are.

Dense arrays and targets are NumPy arrays; sparse rows are SciPy CSR matrices;
a table with text columns is a pandas DataFrame; a trained model is a lingrad
estimator or a scikit-learn Pipeline ending in one. SciPy, pandas and
scikit-learn are untyped in this configuration (``ignore_missing_imports``), so
to mypy their classes are ``Any``: the scikit-learn boundary, named here once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypedDict

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from lingrad.core.nodes import SparseRows
    from lingrad.models._base import GradientEstimator
    from lingrad.workflows.categories import Declared
    from lingrad.workflows.text import TextOptions

Dense: TypeAlias = NDArray[np.float64]  # (N, D) or (N,) float64 made here
Values: TypeAlias = NDArray[np.generic]  # a target column or labels (floats or str)
Index: TypeAlias = NDArray[np.intp]  # row positions
Features: TypeAlias = "Dense | SparseRows | pd.DataFrame"  # X in any form we read
Model: TypeAlias = "Pipeline | GradientEstimator"  # a trained model


class Reading(TypedDict, total=False):
    """How the streamed and Dask engines read a table's cells (the fit options)."""

    id_column: str | None
    impute: str | None  # None (refuse), mean / most_frequent, drop
    categorical: str  # text feature columns: "auto" (one-hot) or "error"
    categories: Declared | None  # --categories FILE, read
    text: TextOptions | None  # --text columns, --hash-categories
