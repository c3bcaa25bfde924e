"""Training beyond one machine's memory: Dask collections and streamed files.

- :mod:`lingrad.scale.dask_rows`: a Dask collection's blocks as the exact
  solvers' :class:`~lingrad.solvers.rows.Rows` (sums reduced over a tree);
- :mod:`lingrad.scale.dask_fit`: ``fit`` on Dask arrays / DataFrames, exact
  solvers by chunked reductions, stochastic ones by ``partial_fit`` over
  shuffled blocks;
- :mod:`lingrad.scale.dask_predict`: predictions and scores, lazily per block;
- :mod:`lingrad.scale.stream`: out-of-core training from one file's record
  batches, without Dask.

Importing this package imports no Dask. It sits above :mod:`lingrad.models`
and installs :func:`dispatch` into :mod:`lingrad.models.dask_hook`: the
estimators call :func:`is_dask` on every input, and only a Dask collection
reaches :func:`dispatch`, which loads the rest (the optional extra
``pip install "lingrad[dask]"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lingrad.models.dask_hook import (
    DASK_METHODS,
    dask_aware,
    install_dask_dispatch,
    is_dask,
)

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.scale.types import DaskArray, DaskData

__all__ = [
    "DASK_METHODS",
    "INSTALL_HINT",
    "dask_aware",
    "dispatch",
    "is_dask",
    "require_dask",
]

INSTALL_HINT = 'pip install "lingrad[dask]"'


def require_dask() -> None:
    """Import dask and distributed, or say in one line how to install them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f"Dask support needs the optional extra: {INSTALL_HINT}"
        ) from e


def dispatch(
    est: GradientEstimator, name: str, X: DaskData, *args: DaskData, **kwargs: DaskData
) -> GradientEstimator | DaskArray:
    """``est.<name>(X, ...)`` on Dask collections (y, sample_weight: Dask or
    array-like; the result: the fitted ``est``, or a lazy Dask array)."""
    require_dask()
    if name == "fit":
        from lingrad.scale.dask_fit import fit

        return fit(est, X, *args, **kwargs)
    if name == "score":
        from lingrad.scale.dask_predict import score

        return score(est, X, *args, **kwargs)
    from lingrad.scale.dask_predict import blockwise

    return blockwise(est, name, X)


install_dask_dispatch(dispatch)  # the estimators' Dask inputs come here
