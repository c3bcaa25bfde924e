"""``summary(model, X, y)``: inference for a fitted (or pipelined) linear model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeGuard, overload

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_array, check_is_fitted

from lingrad.core.nodes import Array
from lingrad.errors import LingradError
from lingrad.inference import covariance as cv
from lingrad.inference.identify import on_identified
from lingrad.inference.result import Summary, build

if TYPE_CHECKING:
    from lingrad.core.nodes import SparseRows, XLike

SUPPORTED = ("LinearRegression", "LogisticRegression", "SoftmaxRegression")


class LinearFit(Protocol):
    """What summary reads of a fitted model of :data:`SUPPORTED` (its name)."""

    n_features_in_: int
    fit_intercept: bool
    alpha: float
    loss: str
    coef_: NDArray[np.floating]  # (D,) or (K, D)
    intercept_: NDArray[np.floating] | float
    classes_: NDArray[np.generic]  # the classifiers'


class PipelineLike(Protocol):
    """A scikit-learn Pipeline, as summary reads it (``steps``, slices, transform)."""

    steps: list[tuple[str, object]]

    @overload
    def __getitem__(self, i: int) -> object: ...
    @overload
    def __getitem__(self, i: slice) -> PipelineLike: ...
    def transform(self, X: XLike) -> XLike: ...
    def get_feature_names_out(self) -> NDArray[np.generic]: ...


def _is_pipeline(model: object) -> TypeGuard[PipelineLike]:
    """A pipeline is what has ``steps`` (duck typing, as scikit-learn)."""
    return getattr(model, "steps", None) is not None


def _is_supported(model: object) -> TypeGuard[LinearFit]:
    """One of the :data:`SUPPORTED` models, by its class's name."""
    return type(model).__name__ in SUPPORTED


class InferenceError(LingradError, ValueError):
    """The model, its penalty or the data admit no summary; the message says why."""


def summary(
    model: object,  # a fitted estimator, or a scikit-learn Pipeline ending in one
    X: XLike,  # what the model's pipeline takes (DataFrame, array, sparse)
    y: ArrayLike,
    *,
    level: float = 0.95,
    cov_type: str = "nonrobust",
    sample_weight: ArrayLike | None = None,
) -> Summary:
    """Coefficients, se, tests, intervals and fit statistics of a fitted model on X, y.

    ``model``: a fitted ``LinearRegression``, ``LogisticRegression`` (two
    classes, loss "log") or ``SoftmaxRegression``, or a scikit-learn
    Pipeline ending in one (its other steps transform X first).
    ``cov_type``: "nonrobust" (inverse Fisher information), "HC0"-"HC3"
    (heteroscedasticity-consistent sandwiches; HC2/HC3 for least squares
    only) or "sandwich" (``H⁻¹ I H⁻¹`` around an L2-penalised fit). A
    penalised fit is refused otherwise: the usual formulas assume the
    unpenalised maximum-likelihood estimate.
    ``sample_weight``: the frequency weights the model was fitted with (row i
    counted ``s_i`` times, as statsmodels' GLM ``freq_weights``); a fit with
    ``class_weight`` is refused. Columns of ``[1 X]`` that are linear
    combinations of others are reported as not identified (NaN) and the rest
    is the model without them.
    """
    final, X, names = _unwrap(model, X)
    kind = type(final).__name__
    if not _is_supported(final):
        raise InferenceError(
            f"summary covers {', '.join(SUPPORTED)}; got {kind}, whose "
            "coefficients have no closed-form likelihood covariance."
        )
    check_is_fitted(final)
    if not 0.0 < float(level) < 1.0:
        raise InferenceError(f"level must lie in (0, 1); got {level!r}.")
    if cov_type not in cv.COV_TYPES:
        raise InferenceError(
            f"cov_type must be one of {cv.COV_TYPES}; got {cov_type!r}."
        )
    strength = _penalty(final, cov_type)
    _same_columns(final, X)
    _dense(final, X)
    X = check_array(X, dtype=np.float64)
    if X.shape[1] != final.n_features_in_:
        raise InferenceError(
            f"X has {X.shape[1]} features; {kind} was fitted on {final.n_features_in_}."
        )
    _no_class_weight(final)
    X, y, s = _weighted_rows(X, y, sample_weight)
    fit_intercept = bool(final.fit_intercept)
    if not fit_intercept and not np.any(X):
        raise InferenceError(
            "X is all zeros and the model has no intercept: no coefficient is "
            "identified."
        )
    names = (["const"] if fit_intercept else []) + names
    n = len(X) if s is None else float(s.sum())  # the penalty's scale: Σ s
    if kind == "LinearRegression":
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or np.ndim(final.coef_) != 1:
            raise InferenceError(
                "summary needs one target column; fit and summarise each target alone."
            )
        theta = np.r_[final.intercept_, final.coef_] if fit_intercept else final.coef_
        est = on_identified(cv.least_squares, X, y, np.asarray(theta, np.float64),
                            fit_intercept, cov_type, strength * n, s)  # fmt: skip
        return build(est, kind, names, level, cov_type)
    if cov_type in ("HC2", "HC3"):
        raise InferenceError(
            f"cov_type={cov_type!r} uses least-squares leverages; for {kind} use "
            "'HC0' (the sandwich) or 'HC1' (with n/(n-p))."
        )
    classes = np.asarray(final.classes_)
    y = np.asarray(y)
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise InferenceError(
            f"y holds a class the model was not fitted on: {y[unknown][0]!r} "
            f"(classes {classes.tolist()})."
        )
    if kind == "LogisticRegression":
        if final.loss != "log" or len(classes) != 2:
            raise InferenceError(
                "LogisticRegression's summary needs loss='log' and two classes "
                "(one-vs-rest fits are K separate finals): use SoftmaxRegression "
                "for a multinomial summary."
            )
        coef = np.ravel(final.coef_)
        theta = np.r_[np.ravel(final.intercept_)[0], coef] if fit_intercept else coef
        est = on_identified(cv.logistic, X, cv.labels01(y, classes),
                            np.asarray(theta, np.float64), fit_intercept, cov_type,
                            2 * strength * n, s)  # fmt: skip
        return build(est, kind, names, level, cov_type)
    Y = (y[:, None] == classes[None, :]).astype(np.float64)  # (N, K)
    coef_ = np.asarray(final.coef_, np.float64)
    intercept_ = np.asarray(final.intercept_, np.float64)
    theta = cv.contrasts(coef_, intercept_, fit_intercept)
    est = on_identified(cv.multinomial, X, Y, theta, fit_intercept, cov_type,
                        2 * strength * n, s)  # fmt: skip
    eqs = [f"{c} vs {classes[0]}" for c in classes[1:]]
    return build(est, kind, names, level, cov_type, equations=eqs)


def _unwrap(model: object, X: XLike) -> tuple[object, XLike, list[str]]:
    """The final estimator, X through the pipeline's other steps, feature names."""
    if _is_pipeline(model):
        steps = model.steps
        head = model[:-1]
        X = head.transform(X) if len(steps) > 1 else X
        model = model[-1]
        try:
            names = [str(v) for v in head.get_feature_names_out()]
        except (AttributeError, ValueError, TypeError):
            names = []
    else:
        names = []
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None:
        names = [str(v) for v in fitted]
    width = getattr(model, "n_features_in_", None) or np.shape(X)[1]
    if len(names) != width:
        names = [f"x{j + 1}" for j in range(width)]
    return model, X, names


def _penalty(model: LinearFit, cov_type: str) -> float:
    """The L2 strength alpha for ``sandwich``; refuse a penalty otherwise."""
    penalty, alpha = getattr(model, "penalty", "none"), float(model.alpha)
    if penalty in ("none", None) or alpha == 0.0:
        return 0.0
    kind = type(model).__name__
    if penalty != "l2":
        raise InferenceError(
            f"{kind} was fitted with penalty={penalty!r}: an L1 penalty sets "
            "coefficients to exactly 0 and has no covariance formula; refit with "
            "penalty='none' for standard errors."
        )
    if cov_type != "sandwich":
        raise InferenceError(
            f"{kind} was fitted with penalty='l2' (alpha={alpha:g}): standard errors, "
            "tests and intervals assume the unpenalised maximum-likelihood estimate. "
            "Refit with penalty='none', or pass cov_type='sandwich' for the "
            "approximate L2 sandwich covariance."
        )
    return alpha


def _same_columns(model: object, X: object) -> None:
    """A DataFrame's columns must be those the model was fitted on, in that order."""
    fitted = getattr(model, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    if fitted is None or columns is None:
        return
    given = [str(c) for c in columns]
    if given != [str(c) for c in fitted]:
        raise InferenceError(
            f"X's columns {given} are not those {type(model).__name__} was fitted "
            f"on ({[str(c) for c in fitted]}): pass the same columns in that order."
        )


def _dense(model: object, X: object) -> None:
    """Refuse a sparse X: the covariance is a dense (p, p) matrix, p = D + 1."""
    if sp.issparse(X):
        rows: SparseRows = X  # (SciPy is untyped here: the alias admits it)
        raise InferenceError(
            f"summary needs a dense X; got a sparse one with {rows.shape[1]} columns: "
            "the covariance of all D + 1 coefficients is a dense (D+1, D+1) matrix "
            "built from X's columns. For few columns pass X.toarray(); for wide "
            f"sparse data summarise a model of the columns that matter "
            f"({type(model).__name__} on X[:, cols].toarray())."
        )


def _no_class_weight(model: object) -> None:
    """Refuse a fit with class_weight: its estimate is not the likelihood's."""
    if getattr(model, "class_weight", None) is not None:
        raise InferenceError(
            f"{type(model).__name__} was fitted with class_weight: it reweights the "
            "likelihood by class, so the estimates are not maximum-likelihood ones "
            "and the inverse Fisher information is not their covariance; refit "
            "with class_weight=None (sample_weight counts as frequency weights)."
        )


def _weighted_rows(
    X: Array, y: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[Array, NDArray[np.generic], Array | None]:
    """X, y and the frequency weights s (None without), rows of weight 0 dropped."""
    y = np.asarray(y)
    if len(y) != len(X):
        raise InferenceError(f"y has {len(y)} rows; X has {len(X)}.")
    if sample_weight is None:
        return X, y, None
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.shape != (len(X),):
        raise InferenceError(
            f"sample_weight has shape {s.shape}; it needs one weight per row of X "
            f"({len(X)},)."
        )
    if not np.all(np.isfinite(s)) or np.any(s < 0) or s.sum() <= 0:
        raise InferenceError(
            "sample_weight must be finite and non-negative, with a positive sum."
        )
    rows = s > 0
    return X[rows], y[rows], s[rows]
