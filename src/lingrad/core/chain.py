"""A model as a chain of nodes: forward node by node, backward in reverse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lingrad.core.nodes import Affine, Array, Node

if TYPE_CHECKING:
    from lingrad.core.losses import Loss


@dataclass
class TraceStep:
    """One node of one example: what went in, what came out, and its Jacobians."""

    name: str
    input: Array
    output: Array
    jacobians: dict[str, Array]
    formulas: dict[str, str]
    dJ_dout: Array | None = None  # upstream gradient (when traced with a loss)
    dJ_din: Array | None = None  # gradient passed on to the previous node
    grads: dict[str, Array] = field(default_factory=dict)  # dJ/dparam of this node


@dataclass
class Trace:
    """The lecture's blocks for one example: forward, loss, Jacobians, backprop."""

    steps: list[TraceStep]
    J: float | None = None
    dJ_dpred: Array | None = None


class Chain:
    """Compose nodes: ``out = f_L(... f_1(X))``; backward applies the chain rule.

    Parameters are exposed as ``"<node name>.<param>"`` (``"affine.W"``); when
    a name repeats, each gets its index (``"affine0.W"``, ``"affine1.W"``).
    """

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = list(nodes)
        counts = Counter(node.name for node in self.nodes)
        seen: Counter[str] = Counter()
        self.names: list[str] = []
        for node in self.nodes:
            if counts[node.name] > 1:
                self.names.append(f"{node.name}{seen[node.name]}")
                seen[node.name] += 1
            else:
                self.names.append(node.name)

    def named_nodes(self) -> Iterator[tuple[str, Node]]:
        return zip(self.names, self.nodes, strict=True)

    @property
    def params(self) -> dict[str, Array]:
        """Every live parameter array, by qualified name."""
        return {
            f"{name}.{key}": value
            for name, node in self.named_nodes()
            for key, value in node.params.items()
        }

    @property
    def grads(self) -> dict[str, Array]:
        """dJ/dparam of the last backward, keyed like ``params``."""
        return {
            f"{name}.{key}": value
            for name, node in self.named_nodes()
            for key, value in node.grads.items()
        }

    def forward(self, X: Array) -> Array:
        out = X
        for node in self.nodes:
            out = node.forward(out)
        return out

    def backward(self, dJ_dout: Array) -> Array:
        """The chain rule in reverse order; returns dJ/dX."""
        grad = dJ_dout
        for node in reversed(self.nodes):
            grad = node.backward(grad)
        return grad

    def backward_params(self, dJ_dout: Array) -> None:
        """Like ``backward`` but skips dJ/dX of a first Affine (training needs none)."""
        grad = dJ_dout
        for node in reversed(self.nodes[1:]):
            grad = node.backward(grad)
        first = self.nodes[0]
        if isinstance(first, Affine):
            first.backward_params(grad)
        else:
            first.backward(grad)

    def trace(
        self, x: Array, loss: Loss | None = None, y: Array | None = None
    ) -> Trace:
        """Record one example through the chain (and, with a loss, back again)."""
        out = np.atleast_2d(x)
        steps = []
        for name, node in self.named_nodes():
            a = out
            out = node.forward(a)
            steps.append(
                TraceStep(
                    name,
                    a[0].copy(),
                    out[0].copy(),
                    node.local_jacobians(),
                    dict(node.formulas),
                )
            )
        if loss is None or y is None:
            return Trace(steps)
        J = loss.forward(out, np.asarray(y).reshape(1, -1))
        grad = loss.backward()
        trace = Trace(steps, J=J, dJ_dpred=grad[0].copy())
        for step, node in zip(reversed(steps), reversed(self.nodes), strict=True):
            step.dJ_dout = grad[0].copy()
            grad = node.backward(grad)
            step.dJ_din = grad[0].copy()
            step.grads = {key: value.copy() for key, value in node.grads.items()}
        return trace

    def __repr__(self) -> str:
        inner = ", ".join(repr(node) for node in self.nodes)
        return f"Chain([{inner}])"
