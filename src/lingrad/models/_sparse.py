"""Sparse X (``scipy.sparse`` matrices and arrays): taken as CSR, never densified.

Every estimator's validation passes :data:`ACCEPT_SPARSE` to scikit-learn's
``validate_data``: a sparse X of any format (CSR, CSC, COO, ...) is converted
once to CSR there, its float64 / float32 dtype kept. A model whose computation
would densify X (the residual network's skip connection ``h = x + ...``)
refuses it first, with :func:`refuse_sparse`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from lingrad.core.nodes import SparseRows
    from lingrad.models._base import GradientEstimator

ACCEPT_SPARSE = "csr"  # validate_data converts every other sparse format to it


def refuse_sparse(estimator: GradientEstimator, X: ArrayLike | SparseRows) -> None:
    """Raise ValueError (saying why and what to do) for a sparse X where the
    estimator's ``_sparse`` is False."""
    if sp.issparse(X) and not getattr(estimator, "_sparse", True):
        name = type(estimator).__name__
        raise ValueError(
            f"{name} does not take sparse X: {estimator._sparse_why}. Use a model "
            "that does (TwoLayerNetwork, the linear models), or pass X.toarray() "
            "if X is small."
        )
