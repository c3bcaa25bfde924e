"""``Standardized``: a lingrad estimator trained on ``(X - mean_) / scale_``.

``lingrad fit --scale`` wraps the model in it, so the scaler travels inside the model
file: the wrapper's hyperparameters are the inner estimator's class name and its
parameters (plain JSON), and its fitted arrays are ``mean_``, ``scale_`` and the inner
estimator's fitted arrays stored under ``est_<name>`` (``est_coef_``, ...). Nothing
but numbers, strings and a registered class name goes into the file, so loading it
stays as safe as loading any lingrad model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lingrad.modelfile import model_classes

_PREFIX = "est_"
_OWN = ("classes_", "n_features_in_", "feature_names_in_", "history_")


def _check_fitted(estimator: Any) -> None:
    if not hasattr(estimator, "scale_"):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet; call fit."
        )


class Standardized:
    """``pred = model((X - mean_) / scale_)``: standard scaling, then a lingrad model.

    Follows scikit-learn's estimator conventions (``get_params``/``set_params``,
    fitted state ending in ``_``) without importing scikit-learn, so that reading a
    model file stays fast.

    Parameters
    ----------
    model : str
        Class name of the inner lingrad estimator (``"LogisticRegression"``, ...).
    params : dict or None
        Its hyperparameters.
    """

    def __init__(self, model: str = "LinearRegression", params: Any = None) -> None:
        self.model = model
        self.params = params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"model": self.model, "params": self.params}

    def set_params(self, **params: Any) -> Standardized:
        for key, value in params.items():
            if key not in ("model", "params"):
                raise ValueError(f"invalid parameter {key!r} for Standardized")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return f"Standardized(model={self.model!r}, params={self.params!r})"

    # ---- scaler ------------------------------------------------------------
    def set_scale(self, mean: Any, scale: Any) -> Standardized:
        """Use a mean and scale computed elsewhere (e.g. over streamed batches);
        a zero scale (constant feature) is taken as 1, as StandardScaler does."""
        scale = np.asarray(scale, dtype=np.float64)
        self.mean_ = np.asarray(mean, dtype=np.float64)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``(X - mean_) / scale_``."""
        _check_fitted(self)
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_

    # ---- inner estimator -----------------------------------------------------
    def _new_estimator(self) -> Any:
        known = model_classes()
        if self.model not in known or self.model == type(self).__name__:
            raise ValueError(f"unknown lingrad estimator {self.model!r}")
        return known[self.model](**(self.params or {}))

    @property
    def estimator_(self) -> Any:
        """The fitted inner estimator (rebuilt from ``est_*`` after loading)."""
        est = getattr(self, "_est", None)
        if est is None:
            _check_fitted(self)
            est = self._new_estimator()
            for key, value in vars(self).items():
                if key.startswith(_PREFIX) and key.endswith("_"):
                    setattr(est, key[len(_PREFIX) :], value)
            for key in ("classes_", "n_features_in_"):
                if hasattr(self, key):
                    setattr(est, key, getattr(self, key))
            self._est = est
        return est

    def _adopt(self, est: Any) -> None:
        """Copy the inner estimator's fitted state onto the wrapper."""
        for key in [k for k in vars(self) if k.startswith(_PREFIX)]:
            delattr(self, key)
        for key, value in vars(est).items():
            if key.endswith("_") and not key.startswith("_") and key not in _OWN:
                setattr(self, _PREFIX + key, value)
        for key in ("classes_", "n_features_in_", "history_"):
            if hasattr(est, key):
                setattr(self, key, getattr(est, key))
        self._est = est

    # ---- sklearn API -----------------------------------------------------------
    def fit(self, X: Any, y: Any, **fit_params: Any) -> Standardized:
        X = np.asarray(X, dtype=np.float64)
        self.set_scale(X.mean(axis=0), X.std(axis=0))
        est = self._new_estimator()
        est.fit(self.transform(X), y, **fit_params)
        self._adopt(est)
        return self

    def partial_fit(self, X: Any, y: Any, **fit_params: Any) -> Standardized:
        """One pass over a batch; call :meth:`set_scale` first."""
        est = getattr(self, "_est", None) or self._new_estimator()
        est.partial_fit(self.transform(X), y, **fit_params)
        self._adopt(est)
        return self

    def predict(self, X: Any) -> Any:
        return self.estimator_.predict(self.transform(X))

    def predict_proba(self, X: Any) -> Any:
        return self.estimator_.predict_proba(self.transform(X))

    def decision_function(self, X: Any) -> Any:
        return self.estimator_.decision_function(self.transform(X))


def has_method(model: Any, name: str) -> bool:
    """Whether ``model`` (or the estimator it wraps) offers method ``name``."""
    target = model.estimator_ if isinstance(model, Standardized) else model
    return callable(getattr(target, name, None))
