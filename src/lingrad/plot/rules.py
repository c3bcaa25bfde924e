"""The figures' rules that are words and colours, not drawing (pure Python).

What a per-step curve is called for each way of training, the colours of classes and
of runs. Shared by every figure and by the playground page; imports no matplotlib.

>>> step_kind("sgd"), step_kind("minibatch", 16), step_kind("lbfgs")
('sample', 'minibatch', 'lbfgs')
>>> STEP_WORDS["newton"].axis
'Newton iteration'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BINARY_COLORS",
    "BOUNDARY_GID",
    "RUN_COLORS",
    "STEP_WORDS",
    "StepWords",
    "LOSS_WORDS",
    "class_colors_hex",
    "loss_label",
    "step_kind",
    "step_words",
]

BOUNDARY_GID = "decision-boundary"  # the gid of a drawn decision boundary
BINARY_COLORS = ("#2166ac", "#b2182b")  # the ends of RdBu_r: class 0 blue, class 1 red
TAB10 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
TAB20_EXTRA = (
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
# one colour per run, the same in every panel of a figure or demo; each stands out
# on white and on the blue loss surfaces alike (red, orange, magenta, green, cyan)
RUN_COLORS = ("#d62728", "#ff7f0e", "#c51b8a", "#2ca02c", "#17becf", "#000000")


class StepWords(NamedTuple):
    """How to name one recorded step: the x axis, the curve, and one step."""

    axis: str  # x-axis label
    curve: str  # legend of the per-step loss
    one: str  # one step, in a sentence


STEP_WORDS = {
    "sample": StepWords(
        "step (one example each)",
        "per sample: J of the example at each step",
        "one example",
    ),
    "minibatch": StepWords(
        "step (one minibatch each)",
        "per minibatch: mean J of the batch at each step",
        "one minibatch",
    ),
    "batch": StepWords(
        "step (all the data each)",
        "full batch: J of all the data at each step",
        "all the data",
    ),
    "lbfgs": StepWords(
        "L-BFGS iteration",
        "J after each L-BFGS iteration",
        "one L-BFGS iteration",
    ),
    "newton": StepWords(
        "Newton iteration",
        "J after each Newton iteration",
        "one Newton iteration",
    ),
    "step": StepWords("step", "per step: J of the step's batch", "one step"),
}


def step_kind(solver: object, batch_size: int | None = None) -> str:
    """The kind of one recorded step: ``"sample"``, ``"minibatch"``, ``"batch"``,
    ``"lbfgs"``, ``"newton"`` (``"step"`` when unknown).

    ``solver`` is an estimator's solver name, or None with ``batch_size`` the
    engine's (1: per sample, None: full batch, m: minibatch)."""
    if solver in ("lbfgs", "newton"):
        return str(solver)
    if solver == "sgd":
        return "sample"
    if solver in ("minibatch", "batch"):
        return str(solver)
    if solver is None:
        if batch_size is None:
            return "batch"
        return "sample" if int(batch_size) == 1 else "minibatch"
    return "step"


def step_words(kind: str) -> StepWords:
    """The words of a step kind (see :data:`STEP_WORDS`)."""
    return STEP_WORDS.get(kind, STEP_WORDS["step"])


def class_colors_hex(K: int) -> list[str]:
    """Blue/red for two classes, tab10 (then tab20's light shades) beyond."""
    if K <= 2:
        return list(BINARY_COLORS[:K])
    palette = TAB10 if K <= 10 else TAB10 + TAB20_EXTRA
    return [palette[k % len(palette)] for k in range(K)]


LOSS_WORDS = {  # Loss.name -> what its J is called on an axis
    "squared_error": "squared error J",
    "binary_cross_entropy": "cross-entropy J",
    "cross_entropy": "cross-entropy J",
    "perceptron": "perceptron criterion J",
    "multiclass_perceptron": "multi-class perceptron criterion J",
}


def loss_label(loss_name: str | None) -> str:
    """The y label of a loss curve: ``"cross-entropy J"``, or ``"loss J"``."""
    return LOSS_WORDS.get(loss_name or "", "loss J")
