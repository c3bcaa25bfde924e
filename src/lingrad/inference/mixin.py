"""``model.summary(X, y)``: the estimators' door to ``lingrad.inference.summary``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from lingrad.core.nodes import SparseRows
    from lingrad.inference.result import Summary


class SummaryMixin:
    """Gives an estimator ``summary(X, y, *, level, cov_type, sample_weight)``."""

    def summary(
        self,
        X: ArrayLike | SparseRows,
        y: ArrayLike,
        *,
        level: float = 0.95,
        cov_type: str = "nonrobust",
        sample_weight: ArrayLike | None = None,
    ) -> Summary:
        """se, t / z tests, intervals and fit statistics on X, y (lingrad.summary)."""
        from lingrad.inference.api import summary

        return summary(
            self, X, y, level=level, cov_type=cov_type, sample_weight=sample_weight
        )
