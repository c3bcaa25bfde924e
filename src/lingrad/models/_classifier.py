"""What lingrad's classifiers share: labels ↔ targets, weights, decisions.

- :func:`encode_labels` turns any label set (strings, {1, 2}, {-1, 1}, ...)
  into indices 0..K-1 and stores ``classes_`` (sorted, as scikit-learn);
- :func:`label_targets` turns indices into the training targets: one column
  for two classes (the positive class is ``classes_[1]``), otherwise one
  column per class (one-vs-rest), with the model's ``low``/``high`` values
  ({0, 1} for the sigmoid, {-1, 1} for the bipolar sigmoid);
- :func:`prepare_sample_weight` validates ``sample_weight``
  (:func:`check_sample_weight`: finite, >= 0, (N,), not all zero), multiplies in
  ``class_weight`` and rescales to mean 1, so that J is the weighted mean
  ``Σ s_i J0_i / Σ s_i`` (an integer weight equals repeating the example);
- :func:`predict_labels` maps decision values back to labels;
- :class:`GradientClassifier` holds ``fit``, ``partial_fit``,
  ``decision_function`` and ``predict`` of every lingrad classifier, and the
  ``_n_correct`` counter the History uses for accuracy.
"""

from __future__ import annotations

from numbers import Number
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, DTypeLike
from sklearn.base import ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_non_negative, validate_data

from lingrad.core.accuracy import CountCorrect
from lingrad.core.losses import one_hot
from lingrad.core.nodes import XLike
from lingrad.models._base import GradientEstimator
from lingrad.models._memory import check_fit_memory
from lingrad.models._params import partial_fit_for_iterative
from lingrad.models._sparse import ACCEPT_SPARSE, refuse_sparse
from lingrad.models.params import BINARY_ONLY, ClassWeight
from lingrad.training.epoch import NCorrect


def encode_labels(
    estimator: GradientClassifier,
    y: ArrayLike,
    *,
    classes: ArrayLike | None = None,
    reset: bool = True,
) -> np.ndarray:
    """Indices of ``y`` in ``estimator.classes_`` (set from y or ``classes`` on reset).

    Parameters
    ----------
    estimator : classifier
        Receives ``classes_`` when ``reset``.
    y : array-like of shape (n_samples,)
        Labels of any hashable, sortable type.
    classes : array-like or None
        All labels (``partial_fit``'s first call); None: those found in y.
    reset : bool
        False keeps the fitted ``classes_`` (later ``partial_fit`` calls).

    Returns
    -------
    y_idx : ndarray of shape (n_samples,)
        Integer class index of every example.
    """
    check_classification_targets(y)
    y = np.asarray(y)
    if reset:
        labels = np.unique(y if classes is None else np.asarray(classes))
        if len(labels) < 2:
            raise ValueError(
                f"{type(estimator).__name__} needs examples of at least 2 classes; "
                f"the data hold one class only: {labels.tolist()!r}."
            )
        estimator.classes_ = labels
    labels = estimator.classes_
    y_idx = np.searchsorted(labels, y)
    y_idx = np.clip(y_idx, 0, len(labels) - 1)
    unseen = labels[y_idx] != y
    if np.any(unseen):
        raise ValueError(
            f"y holds labels {np.unique(y[unseen]).tolist()!r} that are not in "
            f"classes_ {labels.tolist()!r}; pass every class to the first "
            "partial_fit call (classes=...)."
        )
    return np.asarray(y_idx, dtype=np.intp)


def label_targets(
    y_idx: np.ndarray,
    n_classes: int,
    dtype: DTypeLike = np.float64,
    low: float = 0.0,
    high: float = 1.0,
) -> np.ndarray:
    """Targets Y: (N, 1) ``high`` where y is the second class, or (N, K) one-vs-rest.

    Every column holds ``high`` for its class and ``low`` for all others, so
    K columns trained together are K binary problems: one-vs-rest.
    """
    if n_classes == 2:
        hit = (y_idx == 1)[:, None]  # (N, 1)
    else:
        hit = y_idx[:, None] == np.arange(n_classes)[None, :]  # (N, K)
    return np.where(hit, high, low).astype(dtype)


def prepare_sample_weight(
    sample_weight: ArrayLike | None,
    X: np.ndarray,
    *,
    class_weight: ClassWeight = None,
    classes: ArrayLike | None = None,
    y_idx: np.ndarray | None = None,
) -> np.ndarray | None:
    """``s_i = sample_weight_i · class_weight[y_i]`` rescaled to mean 1 (or None).

    With mean-1 weights the mean loss ``(1/N) Σ s_i J0_i`` is the weighted
    mean ``Σ s_i J0_i / Σ s_i``: weighting an example by an integer k is the
    same as repeating it k times, and the penalty keeps its meaning.
    ``class_weight`` is a dict ``{label: weight}`` or ``"balanced"``
    (``N / (K · count(class))``).
    """
    if sample_weight is None and class_weight is None:
        return None
    s = check_sample_weight(sample_weight, X)  # (N,)
    if class_weight is not None:
        cw = compute_class_weight(
            class_weight, classes=np.asarray(classes), y=np.asarray(classes)[y_idx]
        )
        s = s * cw[y_idx].astype(X.dtype)
    total = float(s.sum())
    if not total > 0:
        raise ValueError("sample_weight (times class_weight) must not sum to zero.")
    return np.asarray(s * (len(s) / total), dtype=X.dtype)


def check_sample_weight(sample_weight: ArrayLike | None, X: np.ndarray) -> np.ndarray:
    """``sample_weight`` as a finite, non-negative (N,) array of X's dtype, not all
    zero (None: ones; a number: that weight for every example)."""
    N = X.shape[0]
    if sample_weight is None or isinstance(sample_weight, Number):
        w = 1.0 if sample_weight is None else sample_weight
        s = np.full(N, w, dtype=X.dtype)
    else:
        s = check_array(
            sample_weight, ensure_2d=False, dtype=X.dtype, input_name="sample_weight"
        )
        if s.ndim != 1:
            raise ValueError(
                f"Sample weights must be 1D array or scalar, got {s.ndim}D array. "
                f"Expected either a scalar value or a 1D array of length {N}."
            )
        if s.shape != (N,):
            raise ValueError(f"sample_weight.shape == {s.shape}, expected {(N,)}!")
    if not np.any(s != 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    check_non_negative(s, "`sample_weight`")
    return np.asarray(s)


def predict_labels(
    classes: np.ndarray,
    scores: np.ndarray,
    threshold: float = 0.0,
    inclusive: bool = False,
) -> np.ndarray:
    """Labels from decision values: ``scores > threshold`` (binary, (N,)) or argmax."""
    scores = np.asarray(scores)
    if scores.ndim == 1 or scores.shape[1] == 1:
        s = scores.reshape(-1)
        positive = s >= threshold if inclusive else s > threshold
        return np.asarray(classes[positive.astype(np.intp)])
    return np.asarray(classes[np.argmax(scores, axis=1)])


def make_n_correct(
    threshold: float = 0.0, high: float = 1.0, inclusive: bool = False
) -> CountCorrect:
    """Counter ``n_correct(out, Y) -> int`` of a chain's output against targets Y.

    One column: the prediction is ``out > threshold`` (``>=`` if inclusive)
    and the truth ``Y == high``; K columns: argmax of out against argmax of Y.
    """
    return CountCorrect(threshold, high, inclusive)


class GradientClassifier(ClassifierMixin, GradientEstimator):
    """fit / partial_fit / decision_function / predict of lingrad's classifiers.

    A subclass defines ``_scores(X)`` (N, K), may override ``_targets`` (one-hot
    by default), and sets ``_binary`` (two classes only) and the decision rule:
    ``predict`` is the class whose score wins, for one score column the positive
    class where it is ``> _decision_threshold`` (``>=`` if ``_decision_inclusive``).
    """

    _binary: bool = False
    _decision_threshold: float = 0.0
    _decision_inclusive: bool = False

    def _targets(self, y_idx: np.ndarray, dtype: DTypeLike) -> np.ndarray:
        """Training targets Y from class indices: one column per class."""
        return one_hot(y_idx, len(self.classes_), dtype)  # (N, K), also K = 2

    def encode_targets(self, y_idx: np.ndarray, dtype: DTypeLike) -> np.ndarray:
        """The training targets Y (N, K) of class indices ``y_idx`` into
        ``classes_``, as ``fit`` encodes them (one-hot, or one 0/1 or ±1 column)."""
        return self._targets(y_idx, dtype)

    def _n_correct(self) -> NCorrect:
        return make_n_correct()

    def _prepare(
        self,
        X: XLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None,
        *,
        reset: bool,
        classes: ArrayLike | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Validated X, targets Y and sample weights (times ``class_weight``)."""
        refuse_sparse(self, X)
        Xv, yv = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            accept_sparse=ACCEPT_SPARSE,
        )
        y_idx = encode_labels(self, yv, classes=classes, reset=reset)
        if self._binary and len(self.classes_) != 2:
            raise ValueError(BINARY_ONLY)
        s = prepare_sample_weight(
            sample_weight,
            Xv,
            class_weight=self.class_weight,
            classes=self.classes_,
            y_idx=y_idx,
        )
        if reset and s is not None:
            weighted = np.unique(y_idx[s > 0])
            if len(weighted) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs examples of at least 2 classes "
                    "with a positive sample weight; the weights leave class "
                    f"{self.classes_[weighted].tolist()!r} only (the fit would "
                    "have no boundary to find)."
                )
        n, D, K = Xv.shape[0], Xv.shape[1], len(self.classes_)
        nnz = Xv.nnz if sp.issparse(Xv) else None
        check_fit_memory(self, n, D, K, Xv.dtype.itemsize, targets=True, nnz=nnz)
        return Xv, self.encode_targets(y_idx, Xv.dtype), s

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any type.

        ``sample_weight`` (times ``class_weight``) makes J the weighted mean
        ``Σ s J0 / Σ s``. Returns self.
        """
        self._check_params()
        return self._fit(*self._prepare(X, y, sample_weight, reset=True))

    @partial_fit_for_iterative
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Self:
        """One epoch of the iterative solver; the step count and schedule continue.

        ``classes`` (every label) is needed on the first call unless that
        batch already holds them all; a later call may repeat it, unchanged.
        """
        self._check_params()
        reset = not hasattr(self, "_fitted_shape")
        if not reset and classes is not None:
            given = np.unique(np.asarray(classes))
            if not np.array_equal(given, self.classes_):
                raise ValueError(
                    f"classes={given.tolist()!r} differs from the classes_ of the "
                    f"first partial_fit call, {self.classes_.tolist()!r}; the classes "
                    "are fixed by the first call (call fit to start again)."
                )
        X, Y, s = self._prepare(X, y, sample_weight, reset=reset, classes=classes)
        self._fit_iterative(X, Y, s, partial=True)
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores (n_samples, K); two classes: (n_samples,), ``z_1 - z_0`` of two.

        Positive values favour ``classes_[1]``.
        """
        z: np.ndarray = self._scores(X)  # (N, K)
        if z.shape[1] == 1:
            return np.asarray(z[:, 0])
        if z.shape[1] == 2:  # K = 2 argmax: class 1 wins iff z_1 - z_0 > 0
            return np.asarray(z[:, 1] - z[:, 0])
        return z

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class label of every example, from ``decision_function``."""
        scores = self.decision_function(X)  # checks that self is fitted
        return predict_labels(
            self.classes_, scores, self._decision_threshold, self._decision_inclusive
        )

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = not self._binary
        return tags
