"""``lingrad explain`` in a notebook: one step in the lecture's five blocks.

:func:`explain` makes the same :class:`lingrad.workflows.walk.Walk` as the command
(the same setup: the lecture's data, initial values and rate by default) and
keeps :func:`lingrad.workflows.render.render`'s text; :class:`ExplainedStep` prints
it in a terminal and shows the blocks side by side, formula beside number, in
a notebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lingrad.notebook.html import STYLE, esc

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from lingrad.playground.trace import Block
    from lingrad.workflows.walk import Walk


class ExplainedStep:
    """One step as ``lingrad explain`` writes it: ``text``, ``head``, ``blocks``
    (``[{"title", "text"}]``: forward propagation, loss, jacobians,
    backpropagation, update) and the ``walk`` with every number."""

    def __init__(self, text: str, walk: Walk | None = None) -> None:
        from lingrad.playground.trace import split_blocks

        self.text, self.walk = text, walk
        parts = split_blocks(text)
        self.head: str = parts["head"]
        self.blocks: list[Block] = parts["blocks"]

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return step_html(self.head, self.blocks)


def step_html(head: str, blocks: list[Block]) -> str:
    """The blocks as cards: each line's name, formula and value in columns."""
    out = [STYLE, '<div class="lingrad-card">', f"<pre>{esc(head)}</pre>"]
    out.append('<div class="lingrad-blocks">')
    for b in blocks:
        out.append(f'<section class="lingrad-block"><h4># {esc(b["title"])}</h4>')
        rows = "".join(_row(x) for x in b["text"].splitlines())
        out.append(f"<table>{rows}</table>")
        out.append("</section>")
    out.append("</div></div>")
    return "".join(out)


def _row(line: str) -> str:
    """``lhs = formula = value`` as three cells (a line without '=': one cell)."""
    parts = line.split(" = ")
    if len(parts) < 2:
        return f'<tr><td colspan="3"><code>{esc(line.strip())}</code></td></tr>'
    lhs, value, formula = parts[0].strip(), parts[-1], " = ".join(parts[1:-1])
    return (
        f'<tr><td><code>{esc(lhs)}</code></td><td class="f"><code>{esc(formula)}'
        f'</code></td><td class="num"><code>{esc(value)}</code></td></tr>'
    )


def explain(
    model: str = "logistic",
    data: object = None,
    *,
    target: str | None = None,
    step: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    penalty: str = "none",
    alpha: float | None = None,
) -> ExplainedStep:
    """Step ``step`` of per-example SGD on ``data`` written out (``lingrad explain``).

    ``data``: ``(X, y)`` or a DataFrame with ``target=``; None: the lecture's data,
    initial values and learning rate. ``step=None``: the first example with a
    non-zero gradient. The examples are taken in the data's order.
    """
    from lingrad.data.lectures import EXPLAIN, model_settings
    from lingrad.notebook.specs import spec_of
    from lingrad.workflows.render import render
    from lingrad.workflows.walk import walk

    spec = spec_of(model)
    source, lecture_lr = EXPLAIN[spec.name]
    init = None
    y: NDArray[np.generic]  # the lecture's targets or labels, or yours
    if data is None:
        from lingrad.data.datasets import SYNTHETIC

        d = SYNTHETIC[source.split(":", 1)[1]]()
        X, y = np.asarray(d.X, dtype=np.float64), np.asarray(d.y)
        if d.init_W is not None:
            init = (d.init_W, d.init_b)
    else:
        from lingrad.notebook.data import as_table

        t = as_table(data, target)
        X, y, source = t.X, t.y, "your data"
    params: dict[str, object] = {"random_state": seed, "penalty": penalty}
    params.update(model_settings(spec.name))
    if alpha is not None:
        params["alpha"] = alpha
    est = spec.cls()(**params)
    rate = lr if lr is not None else (lecture_lr if data is None else est.lr)
    w = walk(spec, est, X, y, step=step, lr=rate, seed=seed, init=init)
    return ExplainedStep(render(w, source, len(X)), w)
