"""The Summary as text (statsmodels' layout), HTML and plain JSON."""

from __future__ import annotations

import html as _html
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lingrad.inference.result import Row, Summary

WIDTH = 78


def _num(v: float | None, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    v = float(v)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}f}"


def _numbers(row: Row) -> list[float]:
    """The row's coef, se, statistic, p_value, ci_low, ci_high."""
    return [row["coef"], row["se"], row["statistic"], row["p_value"],
            row["ci_low"], row["ci_high"]]  # fmt: skip


def _header(s: Summary) -> list[tuple[str, str]]:
    items = [
        ("Model", s.model),
        ("No. observations", str(s.n_obs)),
        ("Covariance", s.cov_type),
        ("Df residuals", f"{s.df_resid:g}"),
        ("Log-likelihood", _num(s.log_likelihood)),
        ("AIC", _num(s.aic)),
        ("BIC", _num(s.bic)),
    ]
    if s.r2 is not None:
        items += [("R²", _num(s.r2)), ("Adj. R²", _num(s.r2_adj))]
        items += [("σ (residual sd)", _num(s.sigma))]
        items += [("F-statistic", _num(s.f_statistic))]
        items += [("Prob (F)", _num(s.f_p_value))]
    return items


def _columns(s: Summary) -> list[str]:
    lo, hi = (1 - s.level) / 2, (1 + s.level) / 2
    stat = "t" if s.dist == "t" else "z"
    return ["coef", "std err", stat, f"P>|{stat}|", f"[{lo:.3g}", f"{hi:.3g}]"]


def text(s: Summary) -> str:
    """A statsmodels-like table: header pairs, then one line per coefficient."""
    lines = [f"{s.model} summary".center(WIDTH), "=" * WIDTH]
    items = _header(s)
    for i in range(0, len(items), 2):
        pair = items[i : i + 2]
        cells = [f"{k + ':':<20}{v:>17}" for k, v in pair]
        lines.append("   ".join(cells))
    lines.append("=" * WIDTH)
    name_w = max([8, *(len(n) for n in s.names)])
    head = f"{'':<{name_w}}" + "".join(f"{c:>11}" for c in _columns(s))
    for row_i, row in enumerate(s.rows()):
        if row_i % len(s.names) == 0:
            if row["equation"] is not None:
                lines.append("-" * WIDTH)
                lines.append(f"{row['equation']}")
            lines.append(head)
            lines.append("-" * WIDTH)
        numbers = "".join(f"{_num(v, 3):>11}" for v in _numbers(row))
        lines.append(f"{row['name']:<{name_w}}{numbers}")
    lines.append("=" * WIDTH)
    lines += [f"Note: {note}" for note in s.notes]
    return "\n".join(lines)


def html(s: Summary) -> str:
    """The table as HTML (a notebook's rich display)."""
    e = _html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(s))
    cols = "".join(f"<th>{e(c)}</th>" for c in ["", *_columns(s)])
    body = []
    for row in s.rows():
        label = (
            row["name"]
            if row["equation"] is None
            else f"{row['equation']}: {row['name']}"
        )
        cells = "".join(f"<td>{e(_num(v, 3))}</td>" for v in _numbers(row))
        body.append(f"<tr><th>{e(label)}</th>{cells}</tr>")
    notes = "".join(f"<p>Note: {e(n)}</p>" for n in s.notes)
    return (
        f'<div class="lingrad-summary"><table><caption>{e(s.model)} summary</caption>'
        f"{head}</table><table><tr>{cols}</tr>{''.join(body)}</table>{notes}</div>"
    )


def _plain(v: object) -> object:
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def as_dict(s: Summary) -> dict[str, object]:
    """Every field of the Summary in JSON types (non-finite numbers as null)."""
    keys = (
        "model", "names", "equations", "coef", "se", "statistic", "p_value",
        "ci_low", "ci_high", "cov", "level", "cov_type", "dist", "n_obs",
        "df_resid", "sigma", "r2", "r2_adj", "f_statistic", "f_p_value",
        "log_likelihood", "aic", "bic", "not_identified", "notes",
    )  # fmt: skip
    return {k: _plain(getattr(s, k)) for k in keys}
