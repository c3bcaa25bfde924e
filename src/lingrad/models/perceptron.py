"""Perceptrons: ``pred = [xᵀθ ≥ 0]`` (binary), ``pred = argmax_j xθ_j`` (multi-class).

Both train by gradient descent on their perceptron criterion applied to the
scores z = xθ (the hard threshold itself has no useful derivative):

- binary: ``J0 = (h - y) z``, dJ0/dz = h - y, so a step is the perceptron rule
  ``w ← w + lr (y - h) x``;
- multi-class: ``J0 = max_j z_j - z_y``, dJ0/dz = onehot(argmax z) - onehot(y),
  so a misclassified x moves ``θ_y += lr x`` and ``θ_argmax -= lr x``.

The criterion is summed over each batch (``reduction="sum"``): with
``solver="sgd"`` a step is exactly the lectures' per-example rule, and with
``"minibatch"``/``"batch"`` it is the batch perceptron ``θ ← θ - lr Σ (h - y) x``
of the notes. The weights start at zero, as in the classic algorithm.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from lingrad.core.accuracy import CountCorrect
from lingrad.core.losses import Loss, MulticlassPerceptronCriterion, make_loss
from lingrad.core.nodes import Argmax, Node, Step
from lingrad.models._classifier import (
    GradientClassifier,
    label_targets,
    make_n_correct,
)
from lingrad.models._linear_chain import LinearChainEstimator
from lingrad.models.params import (
    ClassWeight,
    OptimizerLike,
    RandomStateLike,
    ScheduleLike,
)


class _BasePerceptron(GradientClassifier, LinearChainEstimator):
    """The parameters of both perceptrons; fit and partial_fit take no weights."""

    _losses: tuple[str, ...] = ("perceptron",)  # names in core.losses.LOSSES

    def __init__(
        self,
        *,
        loss: str = "perceptron",
        solver: str = "sgd",
        lr: float = 1.0,
        schedule: ScheduleLike = "constant",
        optimizer: OptimizerLike = "gd",
        batch_size: int = 32,
        max_iter: int = 100,
        tol: float | None = 1e-3,
        n_iter_no_change: int = 5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool | str = True,
        random_state: RandomStateLike = None,
        warm_start: bool = False,
        penalty: str | None = "none",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        verbose: int = 0,
        snapshot_every: int | None = None,
        engine: str = "auto",
        class_weight: ClassWeight = None,
    ) -> None:
        self._store_params(locals())

    # fit and partial_fit take no sample_weight (the perceptron rule weighs
    # every example alike): narrower than GradientClassifier's, hence [override]
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:  # type: ignore[override]
        """Train from zero (or from the last fit with ``warm_start``); returns self."""
        return super().fit(X, y)

    def partial_fit(  # type: ignore[override]
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
    ) -> Self:
        """One epoch over (X, y); ``classes`` lists every label on the first call."""
        return super().partial_fit(X, y, classes)


class Perceptron(_BasePerceptron):
    """Binary perceptron ``pred = 1 if xᵀw + b ≥ 0 else 0``; w ← w + lr (y - pred) x.

    Trained by gradient descent on the perceptron criterion
    ``J = Σ (h - y) z`` (summed over each batch), whose gradient dJ0/dz = h - y
    makes each step the classic rule. ``classes_[1]`` is the positive class.

    Parameters
    ----------
    loss : {"perceptron", "hinge"}, default="perceptron"
        The criterion on the score z: ``"perceptron"``, ``J0 = (h - y) z``;
        ``"hinge"``, ``J0 = max(0, 1 - t z)`` with t = 2y - 1 (with
        ``penalty="l2"``: a linear SVM, as ``SGDClassifier(loss="hinge")``).
    class_weight : dict, "balanced" or None
        Weights of the classes (multiplied into each example's step).
    solver, lr, schedule, optimizer, batch_size, max_iter, tol, n_iter_no_change,
    early_stopping, validation_fraction, shuffle, random_state, warm_start,
    penalty, alpha, l1_ratio, fit_intercept, verbose, snapshot_every, engine
        The common parameters (``lingrad.models._base.COMMON_PARAMS_DOC``);
        ``solver`` is ``"sgd"`` (default), ``"minibatch"`` or ``"batch"``;
        ``max_iter`` counts epochs.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
    n_iter_, t_ : int
        Epochs run and global step count.
    history_ : History
    loss_curve_ : ndarray of shape (n_epochs,)
        Mean perceptron criterion per epoch.

    Notes
    -----
    The hard threshold ``Step`` is the output for prediction (``_output_node``);
    training runs ``Chain([Affine])`` on z with ``PerceptronCriterion``. Unlike
    scikit-learn's Perceptron, a score of exactly 0 predicts the positive class
    and counts as correct for it (the lectures' ``xᵀθ ≥ 0``). Training stops
    as scikit-learn's does: when the epoch's mean criterion has not improved by
    ``tol`` for ``n_iter_no_change`` epochs (an epoch without mistakes has
    criterion 0); a slowly converging separable set may need more patience.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.perceptron import Perceptron
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = Perceptron(shuffle=False).fit(X, [0, 0, 0, 1])  # logical AND
    >>> clf.predict(X).tolist()
    [0, 0, 0, 1]
    """

    _binary = True
    _losses = ("perceptron", "hinge")  # names in core.losses.LOSSES
    _decision_inclusive = True  # z = 0 predicts the positive class

    def _output_node(self) -> Node | None:
        """The node turning the chain's scores into the prediction (for display)."""
        return Step()

    def _make_loss(self) -> Loss:
        return make_loss(self.loss, self.get_params(deep=False), reduction="sum")

    def _n_correct(self) -> CountCorrect:
        return make_n_correct(threshold=0.0, inclusive=True)

    def _targets(self, y_idx: np.ndarray, dtype: DTypeLike) -> np.ndarray:
        return label_targets(y_idx, 2, dtype)  # (N, 1) in {0, 1}


class MulticlassPerceptron(_BasePerceptron):
    """Multi-class perceptron ``pred = argmax_j (xθ_j + b_j)``; a true argmax rule.

    For a misclassified x (true class y, winner j = argmax): ``θ_y += lr x`` and
    ``θ_j -= lr x`` (the gradient of ``J0 = max_j xθ_j - xθ_y``, summed over
    each batch). Not one-vs-rest: the K score columns compete in one argmax.

    Parameters
    ----------
    loss : {"perceptron"}, default="perceptron"
        The multi-class perceptron criterion ``J0 = max_j z_j - z_y``.
    class_weight : dict, "balanced" or None
        Weights of the classes (multiplied into each example's step).
    solver, lr, schedule, optimizer, batch_size, max_iter, tol, n_iter_no_change,
    early_stopping, validation_fraction, shuffle, random_state, warm_start,
    penalty, alpha, l1_ratio, fit_intercept, verbose, snapshot_every, engine
        The common parameters (``lingrad.models._base.COMMON_PARAMS_DOC``);
        ``solver`` is ``"sgd"`` (default), ``"minibatch"`` or ``"batch"``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        θ_j as rows; two classes keep two rows (the argmax of two scores).
    intercept_ : ndarray of shape (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_iter_, t_ : int
    history_ : History
    loss_curve_ : ndarray of shape (n_epochs,)

    Notes
    -----
    Ties go to the lowest class index (``np.argmax``). ``decision_function``
    gives the K scores, or ``z_1 - z_0`` for two classes.

    Examples
    --------
    >>> import numpy as np
    >>> from lingrad.models.perceptron import MulticlassPerceptron
    >>> X = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0]])
    >>> MulticlassPerceptron(shuffle=False).fit(X, ["a", "b", "c"]).predict(X).tolist()
    ['a', 'b', 'c']
    """

    def _output_node(self) -> Node | None:
        """The node turning the scores into the prediction: argmax_k z_k."""
        return Argmax()

    def _make_loss(self) -> Loss:
        return MulticlassPerceptronCriterion(reduction="sum")
