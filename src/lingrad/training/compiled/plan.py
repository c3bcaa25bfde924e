"""Which Trainers the compiled engine can run, as two small config arrays.

:func:`plan_for` reads a Trainer's chain, loss, penalty, optimizer and
accuracy counter and returns a :class:`Plan` (the integer and float settings
the kernels read) or the reason there is none. Nothing here imports numba.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lingrad.core.accuracy import CountCorrect
from lingrad.core.losses import (
    LOSSES,
    CrossEntropy,
    Elementwise,
    MulticlassPerceptronCriterion,
)
from lingrad.core.nodes import Affine, BipolarSigmoid, Sigmoid
from lingrad.core.penalties import L1, L2, ElasticNet
from lingrad.solvers.proximal import ProximalL1, SmoothGradient
from lingrad.training.optim import GD, Adam, Momentum, Optimizer

if TYPE_CHECKING:
    from lingrad.core.chain import Chain
    from lingrad.core.loss_base import Loss
    from lingrad.core.nodes import Node
    from lingrad.core.penalties import Penalty
    from lingrad.training.epoch import NCorrect

# icfg: integer settings
(I_LOSS, I_ACT, I_MEAN, I_HAS_B, I_HAS_S, I_HAS_ORDER, I_M, I_PEN_VALUE, I_PEN_GRAD,
 I_OPT, I_PROX, I_SNAP_EVERY, I_NORM_EVERY, I_HITS, I_INCLUSIVE, I_LAST_BATCH,
 I_ROW_LOSS) = range(17)  # fmt: skip
# fcfg: float settings
(F_PV_ALPHA, F_PV_RATIO, F_PG_ALPHA, F_PG_RATIO, F_BETA, F_BETA1, F_BETA2, F_EPS,
 F_L1, F_THRESHOLD, F_HIGH, F_LOSS_ARG) = range(12)  # fmt: skip
# elementwise losses: I_LOSS is the position of the loss's form in FORMS
FORMS: tuple[Elementwise, ...] = tuple(f for cls in LOSSES.values() for f in cls.forms)
A_NONE, A_SIGMOID, A_BIPOLAR = range(3)  # the activation before the loss
R_NONE, R_MULTI_PERCEPTRON, R_CROSS_ENTROPY = range(3)  # losses whose outputs interact
P_NONE, P_L1, P_L2, P_EN = range(4)  # penalties
O_GD, O_MOMENTUM, O_NESTEROV, O_ADAM = range(4)  # optimizers
H_NONE, H_THRESHOLD, H_ARGMAX = range(3)  # accuracy counters
# numba's fastmath flags of the kernels: sums may be reassociated (so that they
# vectorize); no other liberty, so NaN and inf keep their IEEE meaning.
FAST = {"reassoc"}


@dataclass
class Plan:
    """The kernel settings of one Trainer; ``icfg``/``fcfg`` are indexed by I_*/F_*."""

    icfg: NDArray[np.int64]
    fcfg: NDArray[np.float64]
    inner: Optimizer  # GD, Momentum or Adam: holds momentum / Adam state
    prox: ProximalL1 | None  # the proximal L1 step, if any


def _loss_kind(loss: Loss, act: type[Node] | None) -> tuple[int, int, float] | None:
    """(form, row loss, argument) of ``loss`` after the activation node class ``act``.

    An elementwise loss (one of the registry's ``FORMS``, at most one argument)
    follows any activation; the row-wise losses only the affine z.
    """
    form = getattr(loss, "form", None)
    if form in FORMS and type(loss) in LOSSES.values():
        args = loss.form_args()
        if len(args) <= 1:
            return FORMS.index(form), R_NONE, float(args[0]) if args else 0.0
    if act is not None:
        return None
    if type(loss) is MulticlassPerceptronCriterion:
        return -1, R_MULTI_PERCEPTRON, 0.0
    if type(loss) is CrossEntropy and loss.from_logits:
        return -1, R_CROSS_ENTROPY, 0.0
    return None


def _penalty_kind(pen: Penalty | None) -> tuple[int, float, float] | None:
    """(kind, alpha, l1_ratio) of a plain penalty (None: no kernel for it)."""
    if pen is None:
        return P_NONE, 0.0, 0.0
    if type(pen) is L1:
        return P_L1, pen.alpha, 1.0
    if type(pen) is L2:
        return P_L2, pen.alpha, 0.0
    if type(pen) is ElasticNet:
        return P_EN, pen.alpha, pen.l1_ratio
    return None


def _optimizer_kind(opt: Optimizer) -> tuple[int, float, float, float, float] | None:
    """(kind, beta, beta1, beta2, eps) of a plain optimizer."""
    if type(opt) is GD:
        return O_GD, 0.0, 0.0, 0.0, 0.0
    if type(opt) is Momentum:
        return (O_NESTEROV if opt.nesterov else O_MOMENTUM), opt.beta, 0.0, 0.0, 0.0
    if type(opt) is Adam:
        return O_ADAM, 0.0, opt.beta1, opt.beta2, opt.eps
    return None


def plan_for(
    chain: Chain,
    loss: Loss,
    penalty: Penalty | None,
    optimizer: Optimizer,
    n_correct: NCorrect,
) -> tuple[Plan | None, str]:
    """The kernel plan for this chain, loss, penalty and optimizer, or why none."""
    nodes, affine = chain.nodes, chain.nodes[0]
    acts = {Sigmoid, BipolarSigmoid}
    if not (
        type(affine) is Affine
        and (len(nodes) == 1 or (len(nodes) == 2 and type(nodes[1]) in acts))
    ):
        return None, (
            f"no compiled kernel for {chain!r} (kernels cover Chain([Affine]) and "
            "Chain([Affine, Sigmoid or BipolarSigmoid]))"
        )
    W, b = affine.W, affine.b
    if W.dtype not in (np.float32, np.float64) or not W.flags.c_contiguous:
        return None, "W must be a C-contiguous float32 or float64 array"
    if b is not None and (b.dtype != W.dtype or not b.flags.c_contiguous):
        return None, "b must be a C-contiguous array of W's dtype"
    kind = _loss_kind(loss, type(nodes[1]) if len(nodes) == 2 else None)
    if kind is None:
        return None, f"no compiled kernel for the loss {loss!r} after {chain!r}"
    prox = optimizer if type(optimizer) is ProximalL1 else None
    inner = prox.inner if prox is not None else optimizer
    opt = _optimizer_kind(inner)
    if opt is None:
        return None, f"no compiled kernel for the optimizer {optimizer!r}"
    if type(penalty) is SmoothGradient:  # value of the full penalty, smooth gradient
        value, grad = _penalty_kind(penalty.full), _penalty_kind(penalty.smooth)
    else:
        value = grad = _penalty_kind(penalty)
    if value is None or grad is None:
        return None, f"no compiled kernel for the penalty {penalty!r}"
    counter = n_correct if type(n_correct) is CountCorrect else None
    if n_correct is not None and counter is None:
        return None, "the accuracy counter n_correct is a Python function"
    K = W.shape[1]
    hits = H_NONE if counter is None else H_THRESHOLD if K == 1 else H_ARGMAX
    icfg = np.zeros(17, dtype=np.int64)
    icfg[I_LOSS], icfg[I_ROW_LOSS] = kind[0], kind[1]
    act_kinds: dict[type[Node], int] = {Sigmoid: A_SIGMOID, BipolarSigmoid: A_BIPOLAR}
    icfg[I_ACT] = act_kinds.get(type(nodes[-1]), A_NONE)
    icfg[I_MEAN] = loss.reduction == "mean"
    icfg[I_HAS_B] = b is not None
    icfg[I_PEN_VALUE], icfg[I_PEN_GRAD] = value[0], grad[0]
    icfg[I_OPT], icfg[I_PROX] = opt[0], prox is not None
    icfg[I_HITS] = hits
    icfg[I_INCLUSIVE] = counter is not None and counter.inclusive
    fcfg = np.zeros(12, dtype=np.float64)
    fcfg[F_LOSS_ARG] = kind[2]
    fcfg[F_PV_ALPHA], fcfg[F_PV_RATIO] = value[1], value[2]
    fcfg[F_PG_ALPHA], fcfg[F_PG_RATIO] = grad[1], grad[2]
    fcfg[F_BETA], fcfg[F_BETA1], fcfg[F_BETA2], fcfg[F_EPS] = opt[1:]
    fcfg[F_L1] = prox.l1 if prox is not None else 0.0
    if counter is not None:
        fcfg[F_THRESHOLD], fcfg[F_HIGH] = counter.threshold, counter.high
    return Plan(icfg, fcfg, inner, prox), ""
