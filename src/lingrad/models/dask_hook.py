"""Dask collections in ``fit`` / ``predict`` / ``score``: models ask, scale answers.

The arrow points one way: :mod:`lingrad.scale` uses the estimators (it fits
one block by block), so nothing in :mod:`lingrad.models` imports it. Instead
every estimator's fit / predict / score (:func:`dask_aware`) tells a Dask
collection by duck typing (:func:`is_dask`: a ``__dask_graph__`` method, no
import of Dask) and hands it to the one function :mod:`lingrad.scale`
installs here with :func:`install_dask_dispatch` when it is imported. If no
one has imported it yet, the first Dask input loads it by name
(:data:`SCALE`), which installs it; NumPy and pandas inputs never do.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import weakref
from collections.abc import Callable

__all__ = ["DASK_METHODS", "SCALE", "dask_aware", "install_dask_dispatch", "is_dask"]

SCALE = "lingrad.scale"  # the package that installs the dispatch (above models)
DASK_METHODS = (
    "fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
)

# (estimator, method name, X, *args, **kwargs) -> the method's result
Dispatch = Callable[..., object]
Method = Callable[..., object]  # an estimator's fit / predict / score
_dispatch: Dispatch | None = None
_wrapped: weakref.WeakSet[Method] = weakref.WeakSet()  # what _wrap made


def is_dask(obj: object) -> bool:
    """Whether ``obj`` is a Dask collection (array, DataFrame, Series), no import."""
    return not isinstance(obj, type) and callable(getattr(obj, "__dask_graph__", None))


def install_dask_dispatch(dispatch: Dispatch) -> None:
    """Make ``dispatch(est, name, X, *args, **kwargs)`` run every ``est.<name>``
    called with a Dask collection (what :mod:`lingrad.scale` does on import)."""
    global _dispatch
    _dispatch = dispatch


def dispatch(
    est: object, name: str, X: object, *args: object, **kwargs: object
) -> object:
    """``est.<name>(X, ...)`` on Dask collections, by the installed dispatch."""
    if _dispatch is None:
        importlib.import_module(SCALE)  # by name: models must not import scale
    if _dispatch is None:
        raise RuntimeError(f"{SCALE} did not install its Dask dispatch")
    return _dispatch(est, name, X, *args, **kwargs)


def dask_aware(cls: type) -> None:
    """Route ``cls``'s fit / predict / score to :func:`dispatch` for Dask input.

    Wraps each of :data:`DASK_METHODS` that ``cls`` has as a plain function
    (its own or inherited, e.g. a mixin's ``score``) once: NumPy and pandas
    inputs go straight to the method; a Dask collection as X (or y) goes to
    :func:`dispatch`.
    """
    for name in DASK_METHODS:
        method = inspect.getattr_static(cls, name, None)
        if not inspect.isfunction(method) or method in _wrapped:
            continue
        setattr(cls, name, _wrap(name, method))


def _wrap(name: str, method: Method) -> Method:
    @functools.wraps(method)
    def wrapper(self: object, X: object, *args: object, **kwargs: object) -> object:
        if is_dask(X) or (args and is_dask(args[0])):
            return dispatch(self, name, X, *args, **kwargs)
        return method(self, X, *args, **kwargs)

    _wrapped.add(wrapper)
    return wrapper
