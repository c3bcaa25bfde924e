"""Metrics accumulated batch by batch, so they work on files larger than memory.

Regressors: R² = 1 - SSE / SST, MSE = SSE / N, MAE. Classifiers: accuracy, log-loss
``-mean log p(y)`` (probabilities clipped to [eps, 1], as scikit-learn), the
confusion matrix C (rows: true class, columns: predicted class), and from it per
class precision = C_kk / sum_i C_ik, recall = C_kk / sum_j C_kj and
F1 = 2 P R / (P + R) (0 where undefined, as scikit-learn's ``zero_division=0``),
with their unweighted (macro) means; ROC AUC for two classes with probabilities:
the share of (positive, negative) pairs that the positive class's probability
orders correctly, ties counting one half (Mann-Whitney U / (n_pos n_neg)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

Label = float | int | str | bool  # a class label as Python gives it back (tolist)


class ClassScores(TypedDict):
    """One class's row of the per-class table."""

    precision: float
    recall: float
    f1: float
    support: int


class _Macro(TypedDict):
    precision_macro: float
    recall_macro: float
    f1_macro: float
    per_class: dict[str, ClassScores]


Metrics = TypedDict(
    "Metrics",
    {
        "n": int,
        # regressors
        "r2": float,
        "mse": float,
        "rmse": float,
        "mae": float,
        # classifiers
        "accuracy": float,
        "log_loss": float | None,
        "precision_macro": float,
        "recall_macro": float,
        "f1_macro": float,
        "per_class": dict[str, ClassScores],
        "roc_auc": float | None,
        "classes": list[Label],
        "confusion_matrix": list[list[int]],
        # lingrad evaluate on a table fit read with --impute drop
        "rows left out (missing cells, as fit did)": int,
    },
    total=False,
)
Metrics.__doc__ = "The metrics of one split (a regressor's or a classifier's keys)."


class RegressionMetrics:
    """Running SSE, |error| sum and (Chan's parallel) mean / M2 of y."""

    def __init__(self) -> None:
        self.n, self.sse, self.sae, self.mean, self.m2 = 0, 0.0, 0.0, 0.0, 0.0

    def update(
        self, y: ArrayLike, pred: ArrayLike, proba: ArrayLike | None = None
    ) -> None:
        """Add a batch (``proba``: unused, as :meth:`ClassificationMetrics.update`)."""
        y_ = np.asarray(y, dtype=np.float64).ravel()
        pred_ = np.asarray(pred, dtype=np.float64).ravel()
        if not len(y_):
            return
        r = y_ - pred_
        self.sse += float(r @ r)
        self.sae += float(np.abs(r).sum())
        n_b, mean_b = len(y_), float(y_.mean())
        m2_b = float(((y_ - mean_b) ** 2).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.m2 += m2_b + delta * delta * self.n * n_b / n
        self.mean += delta * n_b / n
        self.n = n

    def result(self) -> Metrics:
        n = max(self.n, 1)
        r2 = 1.0 - self.sse / self.m2 if self.m2 > 0 else float("nan")
        return {
            "n": self.n,
            "r2": r2,
            "mse": self.sse / n,
            "rmse": float(np.sqrt(self.sse / n)),
            "mae": self.sae / n,
        }


class ClassificationMetrics:
    """Running confusion matrix and log-loss over the model's classes."""

    def __init__(self, classes: ArrayLike) -> None:
        self.labels: list[Label] = np.asarray(classes).ravel().tolist()
        self.index = {c: i for i, c in enumerate(self.labels)}
        self.counts: dict[tuple[int, int], int] = {}
        self.n, self.log_loss_sum, self.has_proba = 0, 0.0, True
        # two classes: (P(classes[1]), y is classes[1])
        self.scores: list[NDArray[np.float64]] = []

    def _idx(self, label: Label) -> int:
        if label not in self.index:  # a label the model never saw
            self.index[label] = len(self.labels)
            self.labels.append(label)
        return self.index[label]

    def _indices(self, values: NDArray[np.generic]) -> NDArray[np.intp]:
        uniq, inverse = np.unique(values, return_inverse=True)
        index = [self._idx(u) for u in uniq.tolist()]  # plain Python labels
        codes: NDArray[np.intp] = np.array(index, dtype=np.intp)
        return codes[np.asarray(inverse, dtype=np.intp).ravel()]

    def update(
        self, y: ArrayLike, pred: ArrayLike, proba: ArrayLike | None = None
    ) -> None:
        y_, pred_ = np.asarray(y).ravel(), np.asarray(pred).ravel()
        if not len(y_):
            return
        t, p = self._indices(y_), self._indices(pred_)
        L = len(self.labels)  # (true, predicted) pairs counted as t L + p
        pairs = np.bincount(t * L + p, minlength=L * L).reshape(L, L)
        for i, j in zip(*np.nonzero(pairs), strict=True):
            key = (int(i), int(j))
            self.counts[key] = self.counts.get(key, 0) + int(pairs[i, j])
        self.n += len(y_)
        if proba is None:
            self.has_proba = False
            return
        P = np.asarray(proba, dtype=np.float64)
        K = P.shape[1]
        if K == 2:
            self.scores.append(np.stack([P[:, 1], t == 1], axis=1))  # (n, 2)
        eps = np.finfo(np.float64).eps
        P = np.clip(P / P.sum(axis=1, keepdims=True), eps, 1.0)
        known = t < K
        p_true = np.full(len(t), eps)
        p_true[known] = P[np.flatnonzero(known), t[known]]
        self.log_loss_sum += float(-np.log(p_true).sum())

    def confusion(self) -> NDArray[np.int64]:
        K = len(self.labels)
        C = np.zeros((K, K), dtype=np.int64)
        for (i, j), c in self.counts.items():
            C[i, j] = c
        return C

    def result(self) -> Metrics:
        C = self.confusion()
        n = max(self.n, 1)
        out: Metrics = {
            "n": self.n,
            "accuracy": float(np.trace(C)) / n,
            "log_loss": self.log_loss_sum / n if self.has_proba else None,
        }
        macro = precision_recall_f1(C, self.labels)
        out["precision_macro"] = macro["precision_macro"]
        out["recall_macro"] = macro["recall_macro"]
        out["f1_macro"] = macro["f1_macro"]
        out["per_class"] = macro["per_class"]
        binary = self.has_proba and self.scores and len(self.labels) == 2
        out["roc_auc"] = roc_auc(np.concatenate(self.scores)) if binary else None
        out["classes"] = list(self.labels)
        out["confusion_matrix"] = C.tolist()
        return out


def precision_recall_f1(C: ArrayLike, labels: list[Label]) -> _Macro:
    """Per-class precision, recall, F1 and support from the confusion matrix, and
    their macro means over the classes present in the truth or the predictions."""
    counts = np.asarray(C, dtype=np.float64)
    tp = np.diag(counts)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.where(predicted > 0, tp / predicted, 0.0)
        R = np.where(actual > 0, tp / actual, 0.0)
        F = np.where(P + R > 0, 2 * P * R / (P + R), 0.0)
    seen = (predicted + actual) > 0
    per_class: dict[str, ClassScores] = {
        str(label): {
            "precision": float(P[k]),
            "recall": float(R[k]),
            "f1": float(F[k]),
            "support": int(actual[k]),
        }
        for k, label in enumerate(labels)
    }

    def mean(v: NDArray[np.float64]) -> float:
        return float(v[seen].mean()) if seen.any() else 0.0

    return {
        "precision_macro": mean(P),
        "recall_macro": mean(R),
        "f1_macro": mean(F),
        "per_class": per_class,
    }


def roc_auc(pairs: NDArray[np.float64]) -> float | None:
    """ROC AUC of (score, is_positive) rows: (rank sum of positives - n+(n+ + 1)/2)
    / (n+ n-), with average ranks for ties; None with one class only."""
    from scipy.stats import rankdata

    score, positive = pairs[:, 0], pairs[:, 1].astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)  # average ranks for ties
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def metrics_for(
    classes: ArrayLike | None,
) -> RegressionMetrics | ClassificationMetrics:
    """Running metrics: a classifier's over ``classes``, a regressor's for None."""
    return RegressionMetrics() if classes is None else ClassificationMetrics(classes)


def headline(metrics: Mapping[str, object]) -> str:
    """The scalar metrics as ``name value`` pairs on one line."""
    keys = ("accuracy", "log_loss", "f1_macro", "roc_auc", "r2", "mse", "mae")
    parts = [
        f"{k.replace('_', '-')} {v:.4g}"
        for k in keys
        if isinstance(v := metrics.get(k), float)
    ]
    return "  ".join(parts)
