"""Targets and weights of rows read in pieces, made as the in-memory fit makes them.

One pass over y (and the weights) per piece gives a :class:`YSummary` (rows,
``Σ s``, and per label its count and ``Σ s``); merged, it gives N, the classes,
the class weights and the scale that makes the weights' mean 1. Then
:func:`encode_block` turns each piece's labels into the estimator's training
targets (``label_targets`` / one-hot) and weights. Used by the Dask engine and
the streamed fit alike (no Dask import here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from sklearn.utils.multiclass import check_classification_targets

from lingrad.core.nodes import Array
from lingrad.solvers.rows import contiguous

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

Label = str | int | float | bool  # a class label, as a Python scalar


@dataclass
class YSummary:
    """Rows per block, Σ s, and per label: count and Σ s (classifiers)."""

    sizes: list[int]
    sw: float
    labels: dict[Label, np.ndarray] = field(default_factory=dict)  # label: [n, Σ s]
    n_outputs: int = 1
    ndim: int = 1

    @staticmethod
    def merge(a: YSummary, b: YSummary) -> YSummary:
        labels = dict(a.labels)
        for key, v in b.labels.items():
            labels[key] = labels[key] + v if key in labels else v
        return YSummary(
            a.sizes + b.sizes, a.sw + b.sw, labels, max(a.n_outputs, b.n_outputs),
            max(a.ndim, b.ndim),
        )  # fmt: skip


def summarize_y(y: ArrayLike, s: ArrayLike | None, classify: bool) -> YSummary:
    """One block's :class:`YSummary` (on a worker)."""
    y = np.asarray(y)
    w = np.ones(len(y)) if s is None else np.asarray(s, dtype=np.float64)
    if classify:
        keys, inverse = np.unique(y, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(keys))
        sums = np.bincount(inverse, weights=w, minlength=len(keys))
        labels = {k.item() if hasattr(k, "item") else k: np.array([c, t])
                  for k, c, t in zip(keys, counts, sums, strict=True)}  # fmt: skip
        return YSummary([len(y)], float(w.sum()), labels)
    np.asarray(y, dtype=np.float64)  # a regression target must be numeric
    K = 1 if y.ndim == 1 else y.shape[1]
    return YSummary([len(y)], float(w.sum()), {}, K, y.ndim)


def encode_block(
    y: ArrayLike, s: ArrayLike | None,
    targets: Callable[[NDArray[np.intp], DTypeLike], Array] | None,
    classes: np.ndarray | None, weight: np.ndarray | None, scale: float,
    dtype: DTypeLike, K: int,
) -> tuple[Array, Array | None]:  # fmt: skip
    """(Y (m, K), s (m,) or None) of one block, as the in-memory fit makes them."""
    y = np.asarray(y)
    if classes is None or targets is None:  # regression (no classes: no targets)
        Y = contiguous(np.asarray(y, dtype=dtype).reshape(len(y), K))
        w = None if s is None else np.asarray(s, dtype=dtype) * scale
        return Y, w
    idx = np.searchsorted(classes, y)
    Y = targets(idx, dtype)
    if weight is None and s is None:
        return Y, None
    w = np.ones(len(y)) if s is None else np.asarray(s, dtype=np.float64)
    if weight is not None:
        w = w * weight[idx]
    return Y, (w * scale).astype(dtype)


def class_weights(
    class_weight: str | Mapping[object, float] | None,
    classes: np.ndarray,
    counts: np.ndarray,
) -> NDArray[np.float64] | None:
    """Per-class multipliers as scikit-learn's ``compute_class_weight`` (or None)."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):  # "balanced" (the parameter's one string)
        return np.asarray(counts.sum() / (len(classes) * counts), dtype=np.float64)
    return np.array([float(class_weight.get(c, 1.0)) for c in classes], np.float64)


def classes_of(summary: YSummary, est: GradientEstimator) -> np.ndarray:
    """The sorted classes, checked as ``fit`` checks them (2+, binary-only models)."""
    from lingrad.models.params import BINARY_ONLY

    classes = np.array(sorted(summary.labels))
    check_classification_targets(classes)
    if len(classes) < 2:
        raise ValueError(
            f"{type(est).__name__} needs examples of at least 2 classes; the "
            f"data hold one class only: {classes.tolist()!r}."
        )
    if getattr(est, "_binary", False) and len(classes) != 2:
        raise ValueError(BINARY_ONLY)
    return classes
