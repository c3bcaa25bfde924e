"""The step panel: the last training step in ``lingrad explain``'s five blocks.

The text is :func:`lingrad.workflows.render.render` of a
:class:`lingrad.workflows.walk.Walk` made by :func:`lingrad.workflows.walk.walk`
itself: the walk starts from a copy of the chain as it was *before* the step
(through a stand-in estimator whose
``_init_chain`` returns that copy), on the example the batcher gave. So the blocks,
their formulas and their numbers are ``lingrad explain``'s. Where the trainer's
update is not the plain ``p := p - lr dJ_dp`` of one example (a minibatch, momentum,
Adam, a proximal L1 step) the update block is rewritten with the values the trainer
really used, and says why.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from lingrad.core.nodes import Array
from lingrad.playground.stepper import LastStep
from lingrad.solvers.proximal import ProximalL1
from lingrad.workflows.render import Names, fmt, line, render
from lingrad.workflows.walk import Walk, walk

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from lingrad.core.chain import Chain
    from lingrad.core.nodes import XLike
    from lingrad.models._base import GradientEstimator
    from lingrad.models.problem import Dtype, TrainingProblem
    from lingrad.playground.run import Run
    from lingrad.training.train import Trainer


class Block(TypedDict):
    """One ``# title`` block of the render text."""

    title: str
    text: str


class Blocks(TypedDict):
    """The render text as its head and its blocks."""

    head: str
    blocks: list[Block]


class StepPanel(Blocks):
    """The step panel: the blocks and the whole ``text``."""

    text: str


BLOCKS = ("forward propagation", "loss", "jacobians", "backpropagation", "update")


class _Before:
    """The estimator, except that its training problem starts from the chain
    before the step (the walk traces that step, not a fresh start)."""

    def __init__(self, est: GradientEstimator, chain: Chain) -> None:
        self._est, self._chain = est, chain

    def training_problem(
        self,
        X: XLike | None = None,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        *,
        start: str = "fit",
        random_state: int | np.random.RandomState | None = None,
        shape: tuple[int, int] | None = None,
        dtype: Dtype = np.float64,
    ) -> TrainingProblem:
        problem = self._est.training_problem(
            X, y, sample_weight, start=start, random_state=random_state, shape=shape,
            dtype=dtype,
        )  # fmt: skip
        return dataclasses.replace(problem, chain=self._chain)

    def __getattr__(self, name: str) -> object:  # the estimator's
        return getattr(self._est, name)


def step_panel(run: Run) -> StepPanel | None:
    """``{"head": text, "blocks": [{"title", "text"}], "text": all}`` of the last
    step, or None before the first one."""
    stepper = run.stepper
    last: LastStep | None = stepper.last if stepper is not None else None
    if stepper is None or last is None:
        return None
    trainer = stepper.trainer
    chain = copy.deepcopy(trainer.chain)
    for key, p in chain.params.items():
        p[...] = last.before[key]
    row = int(last.rows[0])
    X, y = run.X, np.asarray(run.data.y)
    y_walk = np.concatenate([y[row : row + 1], y])  # classes from every label
    w = walk(
        run.spec, _Before(run.est, chain), X[row : row + 1], y_walk,
        step=0, lr=last.lr, seed=run.settings.seed,
    )  # fmt: skip
    w.step, w.index = last.t, row
    m = len(last.rows)
    w.init_note = (
        f"the trainer's parameters before step {last.t}; the batcher gave example "
        f"{row}" + (f" (first of a batch of {m})" if m > 1 else "")
    )
    after = {k: p.copy() for k, p in trainer.chain.params.items()}
    plain = _plain_update(w, last, after)
    text = render(w, _source(run), len(X))
    if run.settings.shuffle:  # the walk's words assume the data's order
        text = text.replace(" in the data's order", " (rows shuffled each epoch)", 1)
    if not plain:
        text = _rewrite_update(text, w, last, after, trainer, m)
    return {"text": text, **split_blocks(text)}


def _plain_update(w: Walk, last: LastStep, after: dict[str, Array]) -> bool:
    """True when the walk's one-example GD update is exactly the trainer's."""
    return len(last.rows) == 1 and all(
        np.array_equal(w.after[k], after[k]) for k in after
    )


def _source(run: Run) -> str:
    scaled = " (standardized)" if run.settings.scale else ""
    return str(run.data.source) + scaled


def _rewrite_update(
    text: str,
    w: Walk,
    last: LastStep,
    after: dict[str, Array],
    trainer: Trainer,
    m: int,
) -> str:
    """The update block with the trainer's own rule and values."""
    head, sep, _ = text.partition(f"\n# update (lr = {w.lr:g})")
    names = Names(w.chain, w.loss)
    opt = trainer.optimizer
    prox = isinstance(opt, ProximalL1)
    rule = opt.inner if isinstance(opt, ProximalL1) else opt
    rule_name = str(getattr(rule, "name", type(opt).__name__))
    out = [f"# update (lr = {last.lr:g}, optimizer {rule_name})"]
    if m > 1:
        out.append(
            f"dJ_dp of the update: the mean over the batch of {m} examples "
            "(the blocks above trace its first example)"
        )
    for key in last.before:
        P = names.p(key)
        if rule_name == "gd":
            out.append(f"{P} := {P} - lr * dJ_d{P}")
            sub = f"{fmt(last.before[key])} - {last.lr:g} * {fmt(last.grads[key])}"
            out.append(line(" " * len(P), sub, after[key]))
        else:
            out.append(line(f"dJ_d{P}", None, last.grads[key]))
            out.append(line(f"{P} := {rule_name} step", None, after[key]))
    if prox:
        out.append("(L1: the weights are then soft-thresholded, the proximal step)")
    return head + "\n" + "\n".join(out) if sep else text


def split_blocks(text: str) -> Blocks:
    """The render text as its head and its ``# name`` blocks, in order."""
    head: list[str] = []
    found: list[tuple[str, list[str]]] = []  # (title, lines)
    for raw in text.splitlines():
        if raw.startswith("# "):
            found.append((raw[2:], []))
        elif found:
            found[-1][1].append(raw)
        else:
            head.append(raw)
    blocks: list[Block] = []
    for title, lines in found:
        while lines and not lines[-1].strip():
            lines.pop()
        blocks.append({"title": title, "text": "\n".join(lines)})
    return {"head": "\n".join(head).strip(), "blocks": blocks}
