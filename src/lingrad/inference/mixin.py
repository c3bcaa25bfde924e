"""``model.summary(X, y)``: the estimators' door to ``lingrad.inference.summary``."""

from __future__ import annotations

from typing import Any


class SummaryMixin:
    """Gives an estimator ``summary(X, y, *, level, cov_type, sample_weight)``."""

    def summary(
        self,
        X: Any,
        y: Any,
        *,
        level: float = 0.95,
        cov_type: str = "nonrobust",
        sample_weight: Any = None,
    ) -> Any:
        """se, t / z tests, intervals and fit statistics on X, y (lingrad.summary)."""
        from lingrad.inference.api import summary

        return summary(
            self, X, y, level=level, cov_type=cov_type, sample_weight=sample_weight
        )
