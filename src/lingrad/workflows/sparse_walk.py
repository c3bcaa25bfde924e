"""One per-example step on a sparse row (CSR: text features), for ``lingrad explain``.

The update is the Trainer's :class:`~lingrad.training.step.Step` on the CSR row and
the whole chain. The trace keeps what the example touches: x's nonzeros ``x_J``
(columns ``J``) and the rows ``W_J`` of the first layer's weights, ``z = x_J @ W_J +
b`` and ``dJ_dW_J = outer(x_J, dJ_dz)``. Every other row ``W_j`` (``x_j = 0``) has
``dJ0_dW_j = 0``: only the penalty's term ``lr * alpha dC_dW_j`` moves it, counted
in :class:`Untouched`. Nothing D-wide is printed or kept but the chain itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from lingrad.errors import UsageError

if TYPE_CHECKING:
    from lingrad.core.chain import Chain, Trace, TraceStep
    from lingrad.core.losses import Loss
    from lingrad.core.nodes import Array, SparseRows
    from lingrad.core.penalties import Penalty


@dataclass
class Untouched:
    """The rows ``W_j`` of the columns with ``x_j = 0``: ``dJ0_dW_j = 0``."""

    columns: int  # how many columns (rows of W) the example leaves at 0
    nonzero: int  # of those, rows with a nonzero weight before the update
    moved: int  # of those, rows the update changed (by the penalty's term alone)


class _Traced(TypedDict):
    """The fields of a :class:`~lingrad.workflows.walk.Walk` that tracing step K
    fills on any x."""

    x: Array
    chain: Chain
    loss: Loss
    trace: Trace
    penalty_value: float
    penalty_grads: dict[str, Array]
    before: dict[str, Array]
    grads: dict[str, Array]
    after: dict[str, Array]
    fused: Loss | None
    fused_dJ_dz: Array | None


class StepFields(_Traced, total=False):
    """The fields of a :class:`~lingrad.workflows.walk.Walk` that tracing step K
    fills (and those of a dense or of a sparse x)."""

    inner: dict[int, list[TraceStep]]  # dense x
    columns: Array  # sparse x: its nonzero columns, and the rest
    sparse_key: str
    n_columns: int
    untouched: Untouched


def csr_rows(X: ArrayLike | SparseRows) -> SparseRows:
    """X as float64 CSR with sorted, summed entries (x's nonzeros are its columns)."""
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    X.sum_duplicates()
    return X


def refuse_unless_first_affine(chain: Chain, model: str) -> None:
    """A chain whose first node is not an Affine (the residual network) has no
    per-column rows of weights: UsageError."""
    from lingrad.core.nodes import Affine

    if not isinstance(chain.nodes[0], Affine):
        raise UsageError(
            f"{model} takes no sparse features (its skip connection h = x + σ(W1ᵀz) "
            "is as wide as x and dense): explain a linear model or two-layer on "
            "text features",
            "--model",
        )


def sparse_step(
    chain: Chain, loss: Loss, penalty: Penalty | None, x: SparseRows, Y: Array,
    lr: float, shown: Callable[[Chain, Loss], tuple[Chain, Loss]],
) -> StepFields:  # fmt: skip
    """The Trainer's step on the CSR row ``x`` (1, D), traced on its nonzeros
    through ``shown(chain, loss)`` (the chain the lecture writes out): the
    :class:`~lingrad.workflows.walk.Walk` fields it fills."""
    from lingrad.core.chain import Chain
    from lingrad.core.nodes import Affine
    from lingrad.core.penalties import penalized
    from lingrad.training.optim import GD
    from lingrad.training.step import Step, penalty_value

    first = chain.nodes[0]
    assert isinstance(first, Affine)
    key = f"{chain.names[0]}.W"
    J, xJ = x.indices.copy(), x.data.copy()
    params = chain.params
    W = params[key]
    W_before = W.copy()
    before = {k: (p[J] if k == key else p).copy() for k, p in params.items()}

    # z = x_J @ W_J + b: the chain on x's nonzeros and the rows of W they touch
    b = None if first.b is None else first.b.copy()
    reduced = Chain([Affine(W[J], b), *chain.nodes[1:]])
    loss.forward(reduced.forward(xJ[None, :]), Y)
    fused_dJ_dz = loss.backward()[0].copy()
    fused = loss if getattr(loss, "from_logits", False) else None
    shown_chain, shown_loss = shown(reduced, loss)
    trace = shown_chain.trace(xJ, shown_loss, Y)
    pen_grads: dict[str, Array] = {}
    if penalty is not None:
        pen_grads = {k: penalty.grad(p) for k, p in before.items() if penalized(k)}

    # the update training makes: the Trainer's Step on the CSR row
    pen_value = penalty_value(penalty, params)
    Step(chain, loss, penalty, GD())(x, Y, None, lr)
    grads = {k: (g[J] if k == key else g).copy() for k, g in chain.grads.items()}
    after = {k: (p[J] if k == key else p).copy() for k, p in params.items()}
    rest = np.ones(len(W), dtype=bool)
    rest[J] = False
    untouched = Untouched(
        int(rest.sum()),
        int(np.count_nonzero(rest & np.any(W_before != 0, axis=1))),
        int(np.count_nonzero(rest & np.any(W != W_before, axis=1))),
    )
    return StepFields(
        x=xJ, chain=shown_chain, loss=shown_loss, trace=trace,
        penalty_value=pen_value, penalty_grads=pen_grads, before=before,
        grads=grads, after=after, fused=fused,
        fused_dJ_dz=fused_dJ_dz if fused is not None else None, columns=J,
        sparse_key=key, n_columns=len(W), untouched=untouched,
    )  # fmt: skip
