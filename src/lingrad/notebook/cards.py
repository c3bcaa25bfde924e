"""The HTML cards: a History's curves, a fitted estimator, a demo's result."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from lingrad.notebook.html import card, esc, img, mapping, table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lingrad.models._base import GradientEstimator
    from lingrad.models.registry import ModelSpec

MAX_GIF_BYTES = 4 * 2**20  # larger animations are linked by path, not inlined


class History(Protocol):
    """What a History card reads (``lingrad.training.history.History`` has it)."""

    @property
    def n_steps(self) -> int: ...
    @property
    def n_epochs(self) -> int: ...
    @property
    def epoch_loss(self) -> np.ndarray: ...
    @property
    def accumulated_accuracy(self) -> np.ndarray: ...


class DemoResult(Protocol):
    """What a demo card reads (``lingrad.demos.common.DemoResult`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def out_dir(self) -> Path: ...
    @property
    def report(self) -> Path: ...
    @property
    def metrics(self) -> Mapping[str, object]: ...
    @property
    def figures(self) -> Mapping[str, Figure]: ...
    @property
    def frames(self) -> Mapping[str, int]: ...


def history_plot(h: History, title: str | None = None) -> Figure:
    """The loss per step (and epoch) and, for classifiers, the accumulated accuracy."""
    from lingrad.plot.from_history import plot_history
    from lingrad.plot.style import root_figure

    acc = np.asarray(h.accumulated_accuracy) if h.n_steps else np.empty(0)
    panel = "accuracy" if acc.size and np.isfinite(acc).any() else "loss"
    return root_figure(plot_history(h, panel=panel, title=title))


def history_card(h: History) -> str:
    """A History as its curves (PNG) and its counts."""
    from lingrad.notebook.figures import png

    counts: dict[str, int | float] = {"steps": h.n_steps, "epochs": h.n_epochs}
    if h.n_epochs:
        counts["mean J of the last epoch"] = float(np.asarray(h.epoch_loss)[-1])
    if not h.n_steps:
        return card("History", mapping(counts) + "<p>no steps recorded yet</p>")
    fig = history_plot(h)
    return card("History", mapping(counts) + img(png(fig), alt="loss curve"))


def chain_html(est: GradientEstimator) -> str:
    """The model as the lecture draws it: x → each node (its output) → J."""
    from lingrad.workflows.render import NOTES
    from lingrad.workflows.walk import unfused

    spec = _spec(est)
    problem = est.training_problem(start="fitted")
    assert problem.chain is not None  # a fitted model's problem has its chain
    chain, loss = unfused(problem.chain, problem.loss)
    outs = NOTES.get(spec.name, ([], {}, {}, ""))[0] if spec is not None else []
    syms = NOTES.get(spec.name, ([], {}, {}, ""))[1] if spec is not None else {}
    D = est.n_features_in_
    boxes = [_node("x", f"{D} feature{'s' * (D != 1)}")]
    for i, (name, node) in enumerate(chain.named_nodes()):
        params = ", ".join(
            f"{k} {'×'.join(map(str, np.shape(v)))}" for k, v in node.params.items()
        )
        out = outs[i] if i < len(outs) else name
        out = f"{out} ({syms[out]})" if out in syms else out
        small = f"{type(node).__name__}" + (f": {params}" if params else "")
        boxes.append(_node(out, small))
    boxes.append(_node("J", loss.name))
    arrows = ' <span aria-hidden="true">→</span> '.join(boxes)
    equation = f"<pre>{esc(spec.equation)}</pre>" if spec is not None else ""
    return f'<div class="lingrad-chain">{arrows}</div>{equation}'


def _node(name: str, note: str) -> str:
    return f'<div class="lingrad-node">{esc(name)}<small>{esc(note)}</small></div>'


def _spec(est: GradientEstimator) -> ModelSpec | None:
    from lingrad.models.registry import MODELS

    for spec in MODELS.values():
        if spec.class_name == type(est).__name__:
            return spec
    return None


def convergence(est: GradientEstimator) -> dict[str, object]:
    """Solver, epochs / iterations, steps, the last J and whether it stopped early."""
    n_iter, max_iter = int(getattr(est, "n_iter_", 0)), est.max_iter
    out: dict[str, object] = {"solver": est.solver}
    if est.solver in ("sgd", "minibatch", "batch"):
        out.update(lr=est.lr, schedule=str(est.schedule), optimizer=est.optimizer)
    tol = getattr(est, "tol", None)
    out["epochs / iterations"] = n_iter
    out["steps (updates)"] = int(getattr(est, "t_", 0))
    h = getattr(est, "history_", None)
    if h is not None and h.n_epochs:
        out["mean J of the last epoch"] = float(np.asarray(h.epoch_loss)[-1])
    if est.solver == "normal":
        out["converged"] = "closed form: solved in one go"
    elif tol is None:
        out["converged"] = f"no tolerance set: ran all {max_iter}"
    elif n_iter < max_iter:
        out["converged"] = f"yes: stopped after {n_iter} of max_iter={max_iter}"
    else:
        out["converged"] = f"no: reached max_iter={max_iter} (raise it or the lr)"
    return out


def estimator_card(est: GradientEstimator) -> str | None:
    """A fitted estimator's card (None when unfitted)."""
    if not hasattr(est, "_fitted_shape"):
        return None
    from lingrad.notebook.figures import png

    body = chain_html(est) + mapping(convergence(est))
    h = getattr(est, "history_", None)
    if h is not None and h.n_steps:
        body += img(png(history_plot(h)), alt="loss curve")
    return card(f"{type(est).__name__} (fitted)", body)


def demo_card(result: DemoResult) -> str:
    """A demo's metrics, its figures and animations inline."""
    from lingrad.notebook.figures import png

    parts = [mapping(result.metrics)]
    for name, fig in result.figures.items():
        parts.append(f"<p><b>{esc(name)}</b></p>" + img(png(fig), alt=name))
    for name in result.frames:
        path = Path(result.out_dir) / name
        if path.is_file() and path.stat().st_size <= MAX_GIF_BYTES:
            gif = img(path.read_bytes(), "image/gif", name)
            parts.append(f"<p><b>{esc(name)}</b></p>" + gif)
        else:
            parts.append(f"<p>{esc(name)}: {esc(path)}</p>")
    parts.append(f"<p>report: <code>{esc(result.report)}</code></p>")
    return card(f"lingrad demo {result.name}", "".join(parts))


__all__ = [
    "chain_html",
    "convergence",
    "demo_card",
    "estimator_card",
    "history_card",
    "history_plot",
    "table",
]
