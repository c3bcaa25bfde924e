"""lingrad in Jupyter: rich display and the playground as a notebook widget.

``import lingrad`` imports nothing of this package's dependencies: IPython,
anywidget and matplotlib are imported only when something is displayed or a
:class:`Playground` is made. The display mixins (:mod:`.display`) give the
History, the estimators, the demos' results and ``explain``'s step their
``_repr_html_``; :func:`explain` is ``lingrad explain`` as an object;
:class:`Playground` (``pip install lingrad[notebook]``) the widget.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS = {
    "Playground": "lingrad.notebook.widget",
    "explain": "lingrad.notebook.explained",
    "ExplainedStep": "lingrad.notebook.explained",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from lingrad.notebook.explained import ExplainedStep as ExplainedStep
    from lingrad.notebook.explained import explain as explain
    from lingrad.notebook.widget import Playground as Playground


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lingrad.notebook' has no attribute {name!r}")
    value: object = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
