"""One self-contained HTML page per run: model, data, settings, metrics and figures.

Every figure (PNG) and animation (GIF) is embedded as a base64 ``data:`` URI, so the
page shows its images wherever it is moved or mailed; the page loads nothing from
the network (no CDN, no web fonts) and runs no JavaScript. All text is escaped.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from string import Template

import numpy as np

from lingrad.data.io import atomic_write_text

__all__ = ["format_value", "write_report"]

_MIME = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
_MAX_ITEMS = 12  # longer arrays are shown by their first values and their length


def format_value(value: object) -> str:
    """A value as short text: floats to 6 significant digits, arrays as lists."""
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.6g}"
    if isinstance(value, (str, Path)):
        return str(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {format_value(v)}" for k, v in value.items())
    if isinstance(value, np.ndarray) or (
        isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray))
    ):
        flat = np.asarray(value, dtype=object).ravel().tolist()
        shown = ", ".join(format_value(v) for v in flat[:_MAX_ITEMS])
        more = f", … ({len(flat)} values)" if len(flat) > _MAX_ITEMS else ""
        return f"[{shown}{more}]"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(
        value, (bool, np.bool_)
    )


def _cell(value: object) -> str:
    cls = ' class="num"' if _is_number(value) or isinstance(value, np.ndarray) else ""
    return f"<td{cls}>{html.escape(format_value(value))}</td>"


def _table(data: Mapping[str, object] | None) -> str:
    """Key-value table; a mapping of mappings becomes a grid (rows x columns)."""
    if not data:
        return '<p class="empty">none</p>'
    nested = {name: v for name, v in data.items() if isinstance(v, Mapping)}
    if len(nested) == len(data):
        grid = {
            name: {str(k): v for k, v in row.items()} for name, row in nested.items()
        }
        columns: list[str] = []
        for row in grid.values():
            columns += [c for c in row if c not in columns]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        rows = [
            f'<tr><td class="key">{html.escape(str(name))}</td>'
            + "".join(_cell(row.get(c)) for c in columns)
            + "</tr>"
            for name, row in grid.items()
        ]
        return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    rows = [
        f'<tr><td class="key">{html.escape(str(k))}</td>{_cell(v)}</tr>'
        for k, v in data.items()
    ]
    return f"<table>{''.join(rows)}</table>"


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"{path}: cannot embed a {path.suffix!r} file as an image")
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime};base64,{encoded}"


def _image_size(path: Path) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):  # not an image Pillow reads (e.g. SVG)
        return None


def _figure(path: Path, caption: str) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: figure not found; cannot embed it")
    size = _image_size(path)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    name = html.escape(path.name)
    return (
        f'<figure><img src="{_data_uri(path)}" alt="{name}"{dims}>'
        f"<figcaption>{html.escape(caption)} — <code>{name}</code></figcaption>"
        "</figure>"
    )


def _caption(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").capitalize()


def _images(paths: Sequence[Path], captions: Mapping[str, str]) -> str:
    if not paths:
        return '<p class="empty">none</p>'
    return "\n".join(_figure(p, captions.get(p.name) or _caption(p)) for p in paths)


def _notes(notes: str) -> str:
    paragraphs = [p.strip() for p in notes.split("\n\n") if p.strip()]
    if not paragraphs:
        return ""
    body = "".join(f"<p>{html.escape(' '.join(p.split()))}</p>" for p in paragraphs)
    return f'<section id="notes" class="notes"><h2>Notes</h2>{body}</section>'


def write_report(
    out_dir: str | os.PathLike[str],
    *,
    title: str,
    model: str,
    equation: str,
    data_summary: Mapping[str, object],
    hyperparams: Mapping[str, object],
    metrics: Mapping[str, object],
    comparison: Mapping[str, object] | None = None,
    comparison_title: str = "Comparison",
    comparison_note: str = "",
    figures: Sequence[str | os.PathLike[str]] = (),
    animations: Sequence[str | os.PathLike[str]] = (),
    notes: str = "",
    captions: Mapping[str, str] | None = None,
    coefficients: str = "",
    filename: str = "report.html",
) -> Path:
    """Write ``out_dir/report.html``: one page holding the whole run.

    Parameters
    ----------
    out_dir : path
        Folder of the run (created if needed); the page is written there atomically.
    title, model, equation : str
        Page title, one line naming the model, and its equation(s) as plain text
        (line breaks kept).
    data_summary, hyperparams, metrics : mapping
        Shown as key-value tables; numbers to 6 significant digits, arrays as lists.
    comparison : mapping or None
        Against a reference (the closed form, an exact solver, scikit-learn). A
        mapping of mappings is drawn as a grid:
        ``{"w": {"gradient descent": 4.98, "closed form": 5.0}, ...}``.
    comparison_title, comparison_note : str
        The section's heading, which names the reference ("Comparison with the
        closed form ..."), and a sentence above the table (why there is none).
    figures, animations : sequence of paths
        PNG figures and GIF animations, embedded in the page as data URIs.
    notes : str
        Free text; blank lines separate paragraphs.
    captions : mapping, optional
        Caption of each image by file name (default: the file name in words).
    coefficients : str
        A pre-rendered HTML section (the coefficient table of ``lingrad.summary``).
    filename : str
        Name of the page in ``out_dir``.

    Returns
    -------
    Path
        The written page.
    """
    from lingrad import __version__

    out = Path(out_dir)
    figure_paths = [Path(p) for p in figures]
    animation_paths = [Path(p) for p in animations]
    names = [p.name for p in figure_paths + animation_paths]
    template = Template(
        files("lingrad").joinpath("templates/report.html").read_text(encoding="utf-8")
    )
    page = template.substitute(
        version=html.escape(__version__),
        title=html.escape(title),
        model=html.escape(model),
        equation=html.escape(equation),
        data_summary=_table(data_summary),
        hyperparams=_table(hyperparams),
        metrics=_table(metrics),
        comparison_title=html.escape(comparison_title),
        comparison_note=(
            f'<p class="lead">{html.escape(comparison_note)}</p>'
            if comparison_note
            else ""
        ),
        comparison=_table(comparison) if comparison or not comparison_note else "",
        notes=_notes(notes),
        coefficients=coefficients,  # HTML, escaped by lingrad.inference.format
        figures=_images(figure_paths, captions or {}),
        animations=_images(animation_paths, captions or {}),
        files=html.escape(", ".join(names) if names else "no image files"),
    )
    path = out / filename
    atomic_write_text(path, page)
    return path
