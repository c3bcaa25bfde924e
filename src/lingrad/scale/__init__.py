"""Training beyond one machine's memory: Dask collections and streamed files.

- :mod:`lingrad.scale.dask_rows`: a Dask collection's blocks as the exact
  solvers' :class:`~lingrad.solvers.rows.Rows` (sums reduced over a tree);
- :mod:`lingrad.scale.dask_fit`: ``fit`` on Dask arrays / DataFrames, exact
  solvers by chunked reductions, stochastic ones by ``partial_fit`` over
  shuffled blocks;
- :mod:`lingrad.scale.dask_predict`: predictions and scores, lazily per block;
- :mod:`lingrad.scale.stream`: out-of-core training from one file's record
  batches, without Dask.

Importing this package imports no Dask: the estimators call :func:`is_dask`
on every input, and only a Dask collection loads the rest (the optional
extra ``pip install "lingrad[dask]"``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

INSTALL_HINT = 'pip install "lingrad[dask]"'


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (array, DataFrame, Series), no import."""
    return not isinstance(obj, type) and callable(getattr(obj, "__dask_graph__", None))


def require_dask() -> None:
    """Import dask and distributed, or say in one line how to install them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f"Dask support needs the optional extra: {INSTALL_HINT}"
        ) from e


DASK_METHODS = (
    "fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
)


def dask_aware(cls: type) -> None:
    """Route ``cls``'s fit / predict / score to :mod:`lingrad.scale` for Dask input.

    Wraps each of :data:`DASK_METHODS` that ``cls`` has as a plain function
    (its own or inherited, e.g. a mixin's ``score``) once: NumPy and pandas
    inputs go straight to the method; a Dask collection as X (or y) goes to
    :func:`dispatch`.
    """
    for name in DASK_METHODS:
        method = inspect.getattr_static(cls, name, None)
        if not inspect.isfunction(method) or getattr(method, "_dask_aware", False):
            continue
        setattr(cls, name, _wrap(name, method))


def _wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        if is_dask(X) or (args and is_dask(args[0])):
            return dispatch(self, name, X, *args, **kwargs)
        return method(self, X, *args, **kwargs)

    wrapper._dask_aware = True  # type: ignore[attr-defined]
    return wrapper


def dispatch(est: Any, name: str, X: Any, *args: Any, **kwargs: Any) -> Any:
    """``est.<name>(X, ...)`` on Dask collections."""
    require_dask()
    if name == "fit":
        from lingrad.scale.dask_fit import fit

        return fit(est, X, *args, **kwargs)
    if name == "score":
        from lingrad.scale.dask_predict import score

        return score(est, X, *args, **kwargs)
    from lingrad.scale.dask_predict import blockwise

    return blockwise(est, name, X)
