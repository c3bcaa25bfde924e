"""The lines of ``lingrad explain`` that differ on a sparse x (text features).

x is listed by its nonzeros ``x[j] = value   name`` (the column's name: a TF-IDF
term, ``review: hash #12345 (great)``, a one-hot category); the update block
writes ``W[j] = before - lr * grad = after   name`` for each row the example
touches, and one line for all the others (``x_j = 0``: ``dJ0_dW_j = 0``, so only a
penalty's term moves them). At most :data:`SHOWN` nonzeros are listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from lingrad.core.nodes import Array
    from lingrad.workflows.sparse_walk import Untouched
    from lingrad.workflows.walk import Walk

SHOWN = 20  # nonzeros of x listed (the vectors in the blocks hold them all)
WIDE = 72  # a row's update longer than this: on lines of its own
_RULE = {  # alpha dC_dW_j of one untouched row
    "L1": "alpha sign(W_j)",
    "L2": "2 alpha W_j",
    "ElasticNet": "alpha (l1_ratio sign(W_j) + 2 (1 - l1_ratio) W_j)",
}


def _columns(w: Walk) -> Array:
    """A sparse walk's nonzero columns J."""
    assert w.columns is not None  # set by the sparse step
    return w.columns


def _untouched_rows(w: Walk) -> Untouched:
    assert w.untouched is not None  # set by the sparse step
    return w.untouched


def _name(w: Walk, j: int) -> str:
    return w.column_name(int(j)) if w.column_name is not None else f"column {j}"


def _more(w: Walk) -> list[str]:
    n = len(_columns(w)) - SHOWN
    return (
        [f"  ... {n} more nonzeros (all of them in the values below)"] if n > 0 else []
    )


def x_lines(w: Walk, P: str, y_text: str) -> list[str]:
    """``x: k nonzeros of D columns`` and each nonzero by name."""
    columns = _columns(w)
    k, D = len(columns), w.n_columns
    if k == 0:
        return [f"x: all {D:,} columns 0 (z = b: only the bias moves)" + y_text]
    head = f"x: {k} nonzero{'s' if k > 1 else ''} of its {D:,} columns" + y_text
    cells = [f"  x[{j}] = {v + 0.0:.4g}" for j, v in zip(columns, w.x, strict=True)]
    names = [_name(w, j) for j in columns[:SHOWN]]
    these = "this column" if k == 1 else f"these {k} columns"
    notes = [f"  (below, x and the rows of {P} are {these}: x_j = 0 adds nothing "
             "to z)"]  # fmt: skip
    hashes = [re.search(r"hash #(\d+)", n) for n in names]
    if any(h and int(h[1]) != j for h, j in zip(hashes, columns, strict=False)):
        notes.append(
            "  (x[j]: column j of x; hash #k: column k of that text's hashing)"
        )
    return [head, *_table(cells, names), *_more(w), *notes]


def _table(cells: list[str], names: list[str]) -> list[str]:
    """Each shown cell, padded, then its column's name."""
    width = max(len(c) for c in cells[: len(names)])
    return [f"{c.ljust(width)}   {n}" for c, n in zip(cells, names, strict=False)]


def update_lines(
    w: Walk, key: str, P: str, fmt: Callable[[ArrayLike], str]
) -> list[str]:
    """``P := P - lr * dJ_dP`` row by row on x's nonzeros (values written by
    ``fmt``), then the other rows."""
    before, grads, after = (np.atleast_2d(a) for a in (w.before[key], w.grads[key],
                                                      w.after[key]))  # fmt: skip
    columns = _columns(w)
    cells = [
        f"  {P}[{j}] = {fmt(before[r])} - {w.lr:g} * {fmt(grads[r])} = {fmt(after[r])}"
        for r, j in enumerate(columns[:SHOWN])
    ]
    names = [_name(w, j) for j in columns[:SHOWN]]
    if cells and max(map(len, cells)) > WIDE:  # rows of many weights: a block each
        rows = [
            [f"  {P}[{j}]   {n}", f"    = {c.split(' = ', 1)[1].rsplit(' = ', 1)[0]}",
             f"    = {fmt(after[r])}"]
            for r, (j, n, c) in enumerate(zip(columns, names, cells, strict=False))
        ]  # fmt: skip
        table = [ln for row in rows for ln in row]
    else:
        table = _table(cells, names) if cells else []
    return [
        f"{P} := {P} - lr * dJ_d{P}, row j for each nonzero x_j:",
        *table,
        *_more(w),
        *_untouched(w, P, before.shape[1]),
    ]


def _untouched(w: Walk, P: str, K: int) -> list[str]:
    """The rows of P whose x_j is 0, in a line or two."""
    rest = _untouched_rows(w)
    what = "weights" if K == 1 else f"rows of {P} ({K} weights each)"
    text = f"  the other {rest.columns:,} {what}: x_j = 0"
    if w.penalty is None:
        return [text + f", so dJ_d{P}_j = 0: unchanged"]
    kind = type(w.penalty).__name__
    if rest.nonzero == 0:
        return [
            text + f" and {P}_j = 0: dJ_d{P}_j = 0, the {kind} term's too: unchanged"
        ]
    rule = _RULE.get(kind, "alpha dC_dW_j").replace("W_j", f"{P}_j")
    return [
        text + f", so dJ0_d{P}_j = 0; only the {kind} term moves them,",
        f"    the {rest.moved:,} with {P}_j ≠ 0: {P}_j := {P}_j - lr * {rule}",
    ]
