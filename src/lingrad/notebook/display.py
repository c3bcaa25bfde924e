"""The notebook face of lingrad's objects: mixins that add ``_repr_html_``.

Each class holding one is a one-line hook (``class History(HistoryDisplay)``);
the HTML is made here, importing matplotlib only when a cell shows the object.
Plain ``repr`` is left as it is for terminals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.notebook.cards import DemoResult, History


class HistoryDisplay:
    """A History shows its loss curve and, when recorded, the accuracy below."""

    def _repr_html_(self) -> str:
        from lingrad.notebook.cards import history_card

        return history_card(cast("History", self))  # the mixin of History only


class EstimatorDisplay:
    """A fitted estimator shows its chain, solver and convergence (unfitted:
    scikit-learn's own display)."""

    def _repr_html_(self) -> str:
        from lingrad.notebook.cards import estimator_card

        card = estimator_card(cast("GradientEstimator", self))  # its only users
        if card is not None:
            return card
        return str(super()._repr_html_())  # type: ignore[misc]

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, str]:
        from lingrad.notebook.cards import estimator_card

        card = estimator_card(cast("GradientEstimator", self))  # its only users
        if card is None:
            return super()._repr_mimebundle_(**kwargs)  # type: ignore[misc,no-any-return]
        return {"text/plain": repr(self), "text/html": card}


class DemoDisplay:
    """A demo's result shows its title, metrics and figures inline."""

    def _repr_html_(self) -> str:
        from lingrad.notebook.cards import demo_card

        return demo_card(cast("DemoResult", self))  # the mixin of DemoResult only
