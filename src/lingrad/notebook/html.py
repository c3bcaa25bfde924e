"""Small HTML pieces of the notebook display: escaped text, tables, images."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping

STYLE = (
    "<style>.lingrad-card{font:13px/1.4 system-ui,sans-serif;color:#222;"
    "border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:4px 0;"
    "max-width:1100px;background:#fff}"
    ".lingrad-card h3{font-size:14px;margin:2px 0 6px;color:#08519c}"
    ".lingrad-card table{border-collapse:collapse;font-size:12.5px}"
    ".lingrad-card td,.lingrad-card th{padding:2px 8px;border-bottom:1px solid #eee;"
    "text-align:left;vertical-align:top}"
    ".lingrad-card td.num{font-family:ui-monospace,monospace;text-align:right}"
    ".lingrad-card pre,.lingrad-card code{font-family:ui-monospace,monospace;"
    "font-size:12.5px;white-space:pre-wrap;margin:0}"
    ".lingrad-chain{display:flex;flex-wrap:wrap;align-items:center;gap:4px;"
    "margin:6px 0}.lingrad-node{border:1px solid #9ecae1;background:#f3f6fa;"
    "border-radius:5px;padding:3px 8px;text-align:center}"
    ".lingrad-node small{display:block;color:#666}"
    ".lingrad-blocks{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(340px,1fr));gap:8px}.lingrad-block{border:1px solid #e3e8ef;"
    "border-radius:5px;background:#f7f9fc;padding:4px 8px}"
    ".lingrad-block h4{margin:0 0 2px;font:600 12.5px ui-monospace,monospace;"
    "color:#08519c}.lingrad-block td.f{color:#555}</style>"
)


def esc(value: object) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value), quote=True)


def card(title: str, body: str) -> str:
    """A titled box, the style sheet with it (each output stands alone)."""
    return f'{STYLE}<div class="lingrad-card"><h3>{esc(title)}</h3>{body}</div>'


def table(rows: Iterable[tuple[object, ...]], head: tuple[str, ...] = ()) -> str:
    """Rows of cells; numbers right-aligned in a monospace font."""
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = []
        for value in row:
            num = isinstance(value, int | float) and not isinstance(value, bool)
            text = f"{value:.6g}" if isinstance(value, float) else value
            cells.append(f'<td class="num">{esc(text)}</td>' if num else _td(text))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _td(value: object) -> str:
    return f"<td>{esc(value)}</td>"


def mapping(values: Mapping[str, object]) -> str:
    """A two-column table of name and value."""
    return table((k, _plain(v)) for k, v in values.items())


def _plain(value: object) -> object:
    if isinstance(value, int | float | str):
        return value
    try:
        import numpy as np

        a = np.asarray(value)
        if a.dtype.kind in "fiu":
            from lingrad.workflows.render import fmt

            return fmt(a)
    except (TypeError, ValueError):
        pass
    return str(value)


def img(data: bytes, mime: str = "image/png", alt: str = "") -> str:
    """An inline image (base64 data URI)."""
    b64 = base64.b64encode(data).decode("ascii")
    src = f"data:{mime};base64,{b64}"
    return f'<img alt="{esc(alt)}" style="max-width:100%" src="{src}">'
