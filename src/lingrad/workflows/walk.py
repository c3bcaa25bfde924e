"""One per-example gradient-descent step, recorded for ``lingrad explain``.

The lecture's loop, exactly: for each example in the data's order,
forward propagation, loss, local Jacobians, backpropagation, ``p := p - lr dJ_dp``.
Steps 0 .. K-1 run silently on the model's own chain and training loss; step K is
traced. Where training uses a fused loss (sigmoid + cross-entropy, softmax +
cross-entropy: ``dJ_dz = pred - y``) the trace runs the unfused chain the lecture
writes out (``dJ_dpred``, ``dpred_dz``) and the fused gradient is kept to show that
both agree.

On a sparse X (CSR: text features) the step is the Trainer's on the CSR row, and
the trace keeps only what the example touches: x's nonzeros ``x_j`` (columns
``J``) and the rows ``W_J`` of the first layer's weights (``z = x_J @ W_J + b``,
``dJ_dW_J = outer(x_J, dJ_dz)``); the rows of every other column got no gradient
and are summarised in :class:`Untouched`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from lingrad.models.registry import ModelSpec

if TYPE_CHECKING:
    from lingrad.core.chain import Chain, Trace, TraceStep
    from lingrad.core.losses import Loss
    from lingrad.core.nodes import Array, Node, Residual, SparseRows
    from lingrad.core.penalties import Penalty
    from lingrad.models.problem import TrainingProblem
    from lingrad.workflows.sparse_walk import StepFields, Untouched


@dataclass
class Walk:
    """What step K did, for one example (sparse x: ``x``, ``before``, ``grads``
    and ``after`` of ``sparse_key`` on the nonzero ``columns`` only)."""

    spec: ModelSpec
    step: int  # K: updates made before this one
    index: int  # row of the example in the data
    x: Array  # (D,)
    y: np.generic  # raw label / value
    Y: Array  # (K,) the training target of this example
    lr: float
    chain: Chain  # the traced (unfused) chain
    loss: Loss  # the traced (unfused) loss
    trace: Trace
    penalty: Penalty | None
    penalty_value: float
    penalty_grads: dict[str, Array]  # dC_dp for the penalised params
    before: dict[str, Array]  # params before the update
    grads: dict[str, Array]  # total dJ_dp used by the update (fused, + penalty)
    after: dict[str, Array]  # params after the update
    fused: Loss | None  # the training loss when it is fused (from_logits), else None
    fused_dJ_dz: Array | None  # its dJ_dz for this example
    output_node: Node | None  # a display-only output node (the perceptron's Step)
    J_after: float  # this example's loss after the update
    init_note: str
    auto: bool = False  # step K chosen: the first example with a non-zero gradient
    # a residual node's inner chain, node by node: {index of the node in the chain:
    # its inner TraceSteps}, traced with the residual's dJ_dh before the update
    inner: dict[int, list[TraceStep]] = field(default_factory=dict)
    # sparse x: its nonzero columns J (x is x_J), the first layer's weights
    # (their rows W_J kept), the width of x, the other rows, each column's name
    columns: Array | None = None
    sparse_key: str = ""
    n_columns: int = 0
    untouched: Untouched | None = None
    column_name: Callable[[int], str] | None = None
    example_id: str | None = None  # the example's ID (--id), where the data has one


class Trainable(Protocol):
    """What the walk reads of an estimator: its training problem (a lingrad
    estimator, or the playground's, started from the chain before its step)."""

    def training_problem(
        self,
        *,
        start: str = ...,
        random_state: int | None = ...,
        shape: tuple[int, int] | None = ...,
    ) -> TrainingProblem: ...


RunSteps = Callable[
    ["Chain", "Loss", "Penalty | None", "Array | SparseRows", "Array", float, int], None
]  # (chain, loss, penalty, X, Y, lr, K): steps 0..K-1


def targets(est: Trainable, loss: Loss, y: ArrayLike, classes: Array | None) -> Array:
    """Training targets Y (N, K) of labels / values y, as the estimator encodes them."""
    from lingrad.core.losses import CrossEntropy, MulticlassPerceptronCriterion, one_hot

    y = np.asarray(y)
    if classes is None:
        return y.astype(np.float64).reshape(len(y), -1)
    y_idx = np.searchsorted(classes, y)
    if isinstance(loss, CrossEntropy | MulticlassPerceptronCriterion):
        return one_hot(y_idx, len(classes))
    low, high = getattr(est, "_low", 0.0), getattr(est, "_high", 1.0)
    if len(classes) == 2:
        return np.where(y_idx == 1, high, low).astype(np.float64)[:, None]
    hit = y_idx[:, None] == np.arange(len(classes))[None, :]
    return np.where(hit, high, low).astype(np.float64)


def unfused(chain: Chain, loss: Loss) -> tuple[Chain, Loss]:
    """The chain and loss the lecture writes: sigmoid / softmax kept out of the loss."""
    from lingrad.core.chain import Chain
    from lingrad.core.losses import BinaryCrossEntropy, CrossEntropy
    from lingrad.core.nodes import Sigmoid, Softmax

    if isinstance(loss, BinaryCrossEntropy) and loss.from_logits:
        return Chain([*chain.nodes, Sigmoid()]), BinaryCrossEntropy(
            from_logits=False, reduction=loss.reduction
        )
    if isinstance(loss, CrossEntropy) and loss.from_logits:
        return Chain([*chain.nodes, Softmax()]), CrossEntropy(
            from_logits=False, reduction=loss.reduction
        )
    return chain, loss


def _gd_step(
    chain: Chain, loss: Loss, penalty: Penalty | None, x: Array, Y: Array, lr: float
) -> None:
    """One silent step of the lecture's loop on one example (the Trainer's Step)."""
    from lingrad.training.optim import GD
    from lingrad.training.step import Step

    Step(chain, loss, penalty, GD())(x, Y, None, lr)


def _gd_steps(
    chain: Chain, loss: Loss, penalty: Penalty | None, X: Array, Y: Array, lr: float,
    steps: int,
) -> None:  # fmt: skip
    """Steps 0..steps-1 of the lecture's loop: rows in order, wrapping around."""
    for t in range(steps):
        i = t % X.shape[0]
        _gd_step(chain, loss, penalty, X[i : i + 1], Y[i : i + 1], lr)


def n_outputs(spec: ModelSpec, est: Trainable, y: ArrayLike) -> int:
    """The width K of the model's output for targets y."""
    from lingrad.core.losses import CrossEntropy, MulticlassPerceptronCriterion

    if not spec.is_classifier:
        return 1
    K = len(np.unique(y))
    if isinstance(
        est.training_problem().loss, CrossEntropy | MulticlassPerceptronCriterion
    ):
        return K
    return 1 if K == 2 else K


def random_start(spec: ModelSpec, est: Trainable, X: ArrayLike, y: ArrayLike) -> bool:
    """Whether the model's initial parameters depend on the seed."""

    D, K = np.shape(X)[1], n_outputs(spec, est, y)
    a, b = (_fresh_params(est, s, (D, K)) for s in (0, 1))
    return any(not np.array_equal(a[k], b[k]) for k in a)


def _fresh_params(
    est: Trainable, seed: int, shape: tuple[int, int]
) -> dict[str, Array]:
    chain = est.training_problem(start="fresh", random_state=seed, shape=shape).chain
    assert chain is not None  # given a shape, training_problem builds the chain
    return chain.params


def trace_inner(node: Residual, step: TraceStep) -> list[TraceStep]:
    """The TraceSteps of a residual's inner chain ``h = x + inner(x)``: forward
    from the residual's input, backward from its ``dJ_dh``."""
    inner = node.inner.trace(step.input[None, :])
    grad = np.asarray(step.dJ_dout)[None, :]
    for s, n in zip(reversed(inner.steps), reversed(node.inner.nodes), strict=True):
        s.dJ_dout = grad[0].copy()
        grad = n.backward(grad)
        s.dJ_din = grad[0].copy()
        s.grads = {key: value.copy() for key, value in n.grads.items()}
    return list(inner.steps)


def _has_gradient(chain: Chain, loss: Loss, x: Array, Y: Array) -> bool:
    """Whether the loss of this example moves any parameter."""
    loss.forward(chain.forward(x), Y)
    chain.backward(loss.backward())
    return any(np.any(g != 0) for g in chain.grads.values())


def _first_moving_step(
    chain: Chain, loss: Loss, penalty: Penalty | None, X: Array, Y: Array, lr: float
) -> int:
    """The first step of one pass whose example has a non-zero gradient (0: none)."""
    import copy

    probe = copy.deepcopy(chain)
    for t in range(X.shape[0]):
        x, Yt = X[t : t + 1], Y[t : t + 1]
        if _has_gradient(probe, loss, x, Yt):
            return t
        _gd_step(probe, loss, penalty, x, Yt, lr)
    return 0


def walk(
    spec: ModelSpec,
    est: Trainable,
    X: ArrayLike | SparseRows,
    y: ArrayLike,
    *,
    step: int | None,
    lr: float,
    seed: int,
    init: tuple[ArrayLike, ArrayLike | None] | None = None,
    column_name: Callable[[int], str] | None = None,
    run_steps: RunSteps | None = None,
) -> Walk:
    """Run steps 0..K-1 silently and trace step K (examples in the data's order).

    ``step=None``: K is the first step whose example has a non-zero gradient (the
    perceptron's first example is often classified right: nothing to see), within
    one pass over the data. A sparse X (CSR): the step on x's nonzeros
    (:mod:`lingrad.workflows.sparse_walk`), ``column_name(j)`` naming column j.
    ``run_steps(chain, loss, penalty, X, Y, lr, K)``: runs steps 0..K-1 instead of
    the loop of Steps here (the Trainer: :func:`lingrad.workflows.explain.
    trainer_steps`, the same numbers, O(nonzeros) a step on CSR rows).
    """
    from lingrad.training.step import objective
    from lingrad.workflows.sparse_walk import (
        csr_rows,
        refuse_unless_first_affine,
        sparse_step,
    )

    sparse = sp.issparse(X)
    X = csr_rows(X) if sparse else np.asarray(X, dtype=np.float64)
    classes = np.unique(y) if spec.is_classifier else None
    problem = est.training_problem(
        start="fresh", random_state=seed, shape=(X.shape[1], n_outputs(spec, est, y))
    )
    loss, chain = problem.loss, problem.chain
    assert chain is not None  # given a shape, training_problem builds the chain
    if sparse:
        refuse_unless_first_affine(chain, spec.name)
    Y = targets(est, loss, y, classes)
    name = type(est).__name__
    if random_start(spec, est, X, y):
        init_note = f"initial parameters: {name}'s random start (--seed {seed})"
    elif all(not np.any(p) for p in chain.params.values()):
        init_note = f"initial parameters: {name}'s start, every parameter 0"
    else:
        init_note = f"initial parameters: {name}'s fixed start"
    params = chain.params
    if init is not None and list(params) == ["affine.W", "affine.b"]:
        W0, b0 = init
        if params["affine.W"].shape == np.shape(W0):
            params["affine.W"][...] = W0
            params["affine.b"][...] = b0
            init_note = "initial parameters: the lecture's (drawn with its seed)"
    penalty = problem.penalty
    N = X.shape[0]
    auto = step is None
    if step is None:
        step = _first_moving_step(chain, loss, penalty, X, Y, lr)
    (run_steps or _gd_steps)(chain, loss, penalty, X, Y, lr, step)
    i = step % N
    x, Yi = X[i : i + 1], Y[i : i + 1]
    if sparse:
        fields = sparse_step(chain, loss, penalty, x, Yi, lr, unfused)
    else:
        fields = _dense_step(chain, loss, penalty, x, Yi, lr)
    J_after = objective(chain, loss, penalty, x, Yi)
    output_node = problem.output_node
    if output_node is not None and type(output_node) in {
        type(n) for n in fields["chain"].nodes
    }:
        output_node = None
    return Walk(
        spec=spec.for_loss(getattr(est, "loss", None)), step=step, index=i,
        y=np.asarray(y)[i], Y=Yi[0], lr=lr, penalty=penalty,
        output_node=output_node, J_after=float(J_after), init_note=init_note,
        auto=auto, column_name=column_name, **fields,
    )  # fmt: skip


def _dense_step(
    chain: Chain, loss: Loss, penalty: Penalty | None, x: Array, Yi: Array, lr: float
) -> StepFields:
    """The step on a dense row, traced on the chain the lecture writes out: the
    :class:`Walk` fields it fills."""
    from lingrad.core.nodes import Residual
    from lingrad.core.penalties import penalized
    from lingrad.workflows.sparse_walk import StepFields

    before = {k: p.copy() for k, p in chain.params.items()}

    # the training loss (fused where it is): the gradient the update really uses
    out = chain.forward(x)
    loss.forward(out, Yi)
    dJ_dout = loss.backward()
    chain.backward(dJ_dout)
    grads = {k: g.copy() for k, g in chain.grads.items()}
    fused = loss if getattr(loss, "from_logits", False) else None
    pen_value, pen_grads = 0.0, {}
    if penalty is not None:
        for key, p in chain.params.items():
            if penalized(key):
                pen_value += penalty.value(p)
                pen_grads[key] = penalty.grad(p)
                grads[key] = grads[key] + pen_grads[key]

    # the same example through the chain the lecture writes out
    shown_chain, shown_loss = unfused(chain, loss)
    trace = shown_chain.trace(x, shown_loss, Yi)
    inner = {
        k: trace_inner(node, trace.steps[k])
        for k, node in enumerate(shown_chain.nodes)
        if isinstance(node, Residual)
    }
    for key, p in chain.params.items():
        p -= lr * grads[key]
    after = {k: p.copy() for k, p in chain.params.items()}
    return StepFields(
        x=x[0], chain=shown_chain, loss=shown_loss, trace=trace,
        penalty_value=pen_value, penalty_grads=pen_grads, before=before,
        grads=grads, after=after, fused=fused, inner=inner,
        fused_dJ_dz=dJ_dout[0].copy() if fused is not None else None,
    )  # fmt: skip
