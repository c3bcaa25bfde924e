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

from typing import Any

import numpy as np


class RegressionMetrics:
    """Running SSE, |error| sum and (Chan's parallel) mean / M2 of y."""

    def __init__(self) -> None:
        self.n, self.sse, self.sae, self.mean, self.m2 = 0, 0.0, 0.0, 0.0, 0.0

    def update(self, y: Any, pred: Any, proba: Any = None) -> None:
        """Add a batch (``proba``: unused, as :meth:`ClassificationMetrics.update`)."""
        y = np.asarray(y, dtype=np.float64).ravel()
        pred = np.asarray(pred, dtype=np.float64).ravel()
        if not len(y):
            return
        r = y - pred
        self.sse += float(r @ r)
        self.sae += float(np.abs(r).sum())
        n_b, mean_b = len(y), float(y.mean())
        m2_b = float(((y - mean_b) ** 2).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.m2 += m2_b + delta * delta * self.n * n_b / n
        self.mean += delta * n_b / n
        self.n = n

    def result(self) -> dict[str, Any]:
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

    def __init__(self, classes: Any) -> None:
        self.labels: list[Any] = np.asarray(classes).ravel().tolist()
        self.index = {c: i for i, c in enumerate(self.labels)}
        self.counts: dict[tuple[int, int], int] = {}
        self.n, self.log_loss_sum, self.has_proba = 0, 0.0, True
        self.scores: list[Any] = []  # two classes: (P(classes[1]), y is classes[1])

    def _idx(self, label: Any) -> int:
        if label not in self.index:  # a label the model never saw
            self.index[label] = len(self.labels)
            self.labels.append(label)
        return self.index[label]

    def _indices(self, values: Any) -> Any:
        uniq, inverse = np.unique(values, return_inverse=True)
        index = [self._idx(u) for u in uniq.tolist()]  # plain Python labels
        return np.array(index, dtype=np.intp)[inverse.ravel()]

    def update(self, y: Any, pred: Any, proba: Any = None) -> None:
        y, pred = np.asarray(y).ravel(), np.asarray(pred).ravel()
        if not len(y):
            return
        t, p = self._indices(y), self._indices(pred)
        L = len(self.labels)  # (true, predicted) pairs counted as t L + p
        pairs = np.bincount(t * L + p, minlength=L * L).reshape(L, L)
        for i, j in zip(*np.nonzero(pairs), strict=True):
            key = (int(i), int(j))
            self.counts[key] = self.counts.get(key, 0) + int(pairs[i, j])
        self.n += len(y)
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

    def confusion(self) -> np.ndarray:
        K = len(self.labels)
        C = np.zeros((K, K), dtype=np.int64)
        for (i, j), c in self.counts.items():
            C[i, j] = c
        return C

    def result(self) -> dict[str, Any]:
        C = self.confusion()
        n = max(self.n, 1)
        out: dict[str, Any] = {
            "n": self.n,
            "accuracy": float(np.trace(C)) / n,
            "log_loss": self.log_loss_sum / n if self.has_proba else None,
        }
        out.update(precision_recall_f1(C, self.labels))
        binary = self.has_proba and self.scores and len(self.labels) == 2
        out["roc_auc"] = roc_auc(np.concatenate(self.scores)) if binary else None
        out["classes"] = list(self.labels)
        out["confusion_matrix"] = C.tolist()
        return out


def precision_recall_f1(C: Any, labels: list[Any]) -> dict[str, Any]:
    """Per-class precision, recall, F1 and support from the confusion matrix, and
    their macro means over the classes present in the truth or the predictions."""
    C = np.asarray(C, dtype=np.float64)
    tp = np.diag(C)
    predicted, actual = C.sum(axis=0), C.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.where(predicted > 0, tp / predicted, 0.0)
        R = np.where(actual > 0, tp / actual, 0.0)
        F = np.where(P + R > 0, 2 * P * R / (P + R), 0.0)
    seen = (predicted + actual) > 0
    per_class = {
        str(label): {
            "precision": float(P[k]),
            "recall": float(R[k]),
            "f1": float(F[k]),
            "support": int(actual[k]),
        }
        for k, label in enumerate(labels)
    }

    def mean(v: np.ndarray) -> float:
        return float(v[seen].mean()) if seen.any() else 0.0

    return {
        "precision_macro": mean(P),
        "recall_macro": mean(R),
        "f1_macro": mean(F),
        "per_class": per_class,
    }


def roc_auc(pairs: Any) -> float | None:
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


def metrics_for(classes: Any) -> RegressionMetrics | ClassificationMetrics:
    """Running metrics: a classifier's over ``classes``, a regressor's for None."""
    return RegressionMetrics() if classes is None else ClassificationMetrics(classes)


def headline(metrics: dict[str, Any]) -> str:
    """The scalar metrics as ``name value`` pairs on one line."""
    keys = ("accuracy", "log_loss", "f1_macro", "roc_auc", "r2", "mse", "mae")
    parts = [
        f"{k.replace('_', '-')} {metrics[k]:.4g}"
        for k in keys
        if isinstance(metrics.get(k), float)
    ]
    return "  ".join(parts)
