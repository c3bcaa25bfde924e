"""Predictions and scores on Dask collections, lazily, block by block.

``predict``, ``predict_proba``, ``predict_log_proba`` and
``decision_function`` return Dask arrays whose blocks are the in-memory
method applied to X's blocks (DataFrame partitions keep their column names);
``score`` returns a lazy 0-d Dask array (R² or accuracy, weighted as
scikit-learn's) reduced from per-block sums; ``float(...)`` computes it.
The graphs hold the model without its History and live Trainer
(:func:`for_prediction`): the History grows with the steps, predicting needs
none of it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

import dask.array as da
import numpy as np
from dask.delayed import delayed
from numpy.typing import ArrayLike, NDArray
from sklearn.base import is_classifier

from lingrad.core.nodes import Array, SparseRows
from lingrad.scale.dask_blocks import split
from lingrad.scale.dask_rows import lazy_tree
from lingrad.scale.types import DaskArray, DaskData, Part

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from lingrad.models._base import GradientEstimator

Model: TypeAlias = "GradientEstimator | Pipeline"  # a fitted model
Output: TypeAlias = NDArray[np.generic]  # a prediction method's output
Method: TypeAlias = Callable[[Part], Output]  # est.predict, est.predict_proba, ...
Hits: TypeAlias = tuple[float, float]  # Σw, Σw·hit (classifiers)
Moments: TypeAlias = tuple[float, Array, Array, Array]  # Σw, mean, M2, SSE per output
Sums: TypeAlias = Hits | Moments


def for_prediction(model: Model) -> Model:
    """A shallow copy of a fitted estimator, or of a Pipeline ending in one,
    without the History and the live Trainer: what predicting needs."""
    steps = getattr(model, "steps", None)
    if steps is not None:
        pipe: Pipeline = copy.copy(model)
        name, last = steps[-1]
        pipe.steps = [*steps[:-1], (name, for_prediction(last))]
        return pipe
    if "history_" not in model.__dict__ and not hasattr(model, "forget_training"):
        return model
    light = copy.copy(model)
    light.__dict__.pop("history_", None)
    if hasattr(light, "forget_training"):
        light.forget_training()
    return light


def _frame_like(est: GradientEstimator, X: DaskData) -> Array | pd.DataFrame:
    """One row of zeros shaped (and named) like X's blocks, for the output's shape."""
    row = np.zeros((1, int(est.n_features_in_)))
    if hasattr(X, "columns"):
        import pandas as pd

        return pd.DataFrame(row, columns=list(X.columns))
    return row.astype(X.dtype)


def blockwise(est: GradientEstimator, name: str, X: DaskData) -> DaskArray:
    """``est.<name>`` of every block of X, as one lazy Dask array."""
    method: Method = getattr(for_prediction(est), name)
    meta = np.asarray(method(_frame_like(est, X)))
    tail, dtype = meta.shape[1:], meta.dtype
    if hasattr(X, "divisions"):  # a DataFrame: partitions of unknown length
        call = delayed(_call_block, pure=True)
        parts = [
            da.from_delayed(call(p, method, meta), shape=(np.nan, *tail), dtype=dtype)
            for p in X.to_delayed()
        ]
        return da.concatenate(parts, axis=0)
    X = X.rechunk({1: -1})
    chunks = (X.chunks[0], *((t,) for t in tail))
    return X.map_blocks(
        _call_block, method, meta, dtype=dtype, chunks=chunks,
        drop_axis=None if tail else 1, meta=meta[:0],
    )  # fmt: skip


def _call_block(block: Part, method: Method, meta: Output) -> Output:
    """The in-memory method on one block (on a worker); an empty block stays empty."""
    if block.shape[0] == 0:
        return meta[:0]
    return method(block)


def score_sums(
    est: GradientEstimator,
    X: Array | SparseRows,
    y: ArrayLike,
    s: ArrayLike | None,
    classify: bool,
) -> Sums | None:
    """A block's score sums: (Σw, Σw·hit) or (Σw, mean, M2, SSE) per output."""
    y = np.asarray(y)
    w = np.ones(len(y)) if s is None else np.asarray(s, dtype=np.float64)
    if len(y) == 0:
        return None
    names = getattr(est, "feature_names_in_", None)
    if names is not None:  # the block came from a DataFrame: keep its names
        import pandas as pd

        X = pd.DataFrame(X, columns=list(names))
    pred: Output = est.predict(X)
    if classify:
        return float(w.sum()), float(w @ (pred == y))
    Y = y.reshape(len(y), -1).astype(np.float64)
    P = np.asarray(pred, dtype=np.float64).reshape(Y.shape)
    sw = float(w.sum())
    mean = w @ Y / sw
    return sw, mean, w @ (Y - mean) ** 2, w @ (Y - P) ** 2


def merge_sums(a: Sums | None, b: Sums | None) -> Sums | None:
    """Combine two blocks' score sums (Chan's update for the centred M2)."""
    if a is None or b is None:
        return b if a is None else a
    if len(a) == 2 and len(b) == 2:
        return a[0] + b[0], a[1] + b[1]
    assert len(a) == 4 and len(b) == 4  # the blocks of one fit: the same kind
    sw = a[0] + b[0]
    delta = b[1] - a[1]
    mean = a[1] + delta * (b[0] / sw)
    M2 = a[2] + b[2] + delta**2 * (a[0] * b[0] / sw)
    return sw, mean, M2, a[3] + b[3]


def finish_score(sums: Sums) -> np.float64:
    """Accuracy, or R² averaged over outputs (1 / 0 for a constant target)."""
    if len(sums) == 2:
        return np.float64(sums[1] / sums[0])
    _, _, M2, sse = sums
    r2 = np.where(M2 > 0, 1.0 - sse / np.where(M2 > 0, M2, 1.0), 0.0)
    r2 = np.where((M2 == 0) & (sse == 0), 1.0, r2)
    return np.float64(np.mean(r2))


def score(
    est: GradientEstimator,
    X: DaskData,
    y: DaskData | ArrayLike,
    sample_weight: DaskData | ArrayLike = None,
) -> DaskArray:
    """Lazy accuracy (classifiers) or R² (regressors) of ``est`` on Dask X, y."""
    blocks = split(X, y, sample_weight)
    classify = is_classifier(est)
    sums = delayed(score_sums, pure=True)
    model = delayed(for_prediction(est), pure=False)  # in the graph once
    parts = [
        sums(model, xb, yb, None if blocks.s is None else blocks.s[i], classify)
        for i, (xb, yb) in enumerate(zip(blocks.X, blocks.y, strict=True))
    ]
    total = lazy_tree(parts, merge_sums)
    result = delayed(finish_score, pure=True)(total)
    return da.from_delayed(result, shape=(), dtype=np.float64)
