"""Figures in a notebook: a matplotlib Figure as PNG bytes, inline.

:class:`LectureFigure` is the Figure the lecture plots make
(``lingrad.plot``): the same Figure, plus ``_repr_png_``, so that a figure
returned as a cell's value shows inline without pyplot or ``%matplotlib``.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def png(fig: Figure, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes (its Agg canvas; no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class LectureFigure(Figure):
    """A matplotlib Figure that a notebook shows inline as PNG."""

    def _repr_png_(self) -> bytes:
        return png(self)
