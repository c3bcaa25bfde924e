"""Finite-difference checks: ``∂f/∂x_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / 2ε``.

Each check returns a :class:`GradcheckReport`: for every input or parameter,
the largest absolute error and the relative error
``‖analytic - numeric‖ / max(‖analytic‖, ‖numeric‖)``, and whether it passed. A
gradient that is zero both ways (every entry within ``atol`` of 0) checks nothing:
it is marked ``zero`` (not informative), neither passed nor failed. Checks run in
float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array, Node
from lingrad.core.penalties import Penalty, penalized


def numerical_grad(f: Callable[[], float], x: Array, eps: float = 1e-6) -> Array:
    """Central differences of ``f()`` in the array ``x`` (perturbed in place)."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_grad needs a contiguous array to perturb.")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


@dataclass
class GradcheckEntry:
    """Errors of one gradient: max |a - n| and ‖a - n‖ / max(‖a‖, ‖n‖) (NaN when
    both are zero: ``zero``, not informative)."""

    name: str
    max_abs_err: float
    rel_err: float
    passed: bool
    zero: bool = False

    @property
    def status(self) -> str:
        """``"ok"``, ``"zero"`` (not informative) or ``"FAIL"``."""
        return "ok" if self.passed else "zero" if self.zero else "FAIL"


@dataclass
class GradcheckReport:
    """The result of one check, printable as a table."""

    subject: str
    entries: list[GradcheckEntry] = field(default_factory=list)
    rtol: float = 1e-6
    atol: float = 1e-9

    @property
    def passed(self) -> bool:
        """No gradient failed (zero ones checked nothing, but did not fail)."""
        return not self.failed

    @property
    def failed(self) -> list[GradcheckEntry]:
        return [e for e in self.entries if e.status == "FAIL"]

    @property
    def max_rel_err(self) -> float:
        return max((e.rel_err for e in self.entries), default=0.0)

    def add(self, name: str, analytic: ArrayLike, numeric: Array) -> None:
        a = np.asarray(analytic, dtype=np.float64).reshape(numeric.shape)
        diff = np.abs(a - numeric)
        max_abs = float(diff.max(initial=0.0))
        largest = max(
            float(np.abs(a).max(initial=0.0)), float(np.abs(numeric).max(initial=0.0))
        )
        if largest <= self.atol:  # zero both ways: nothing was checked
            self.entries.append(
                GradcheckEntry(name, max_abs, float("nan"), False, True)
            )
            return
        scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(numeric)))
        rel = float(np.linalg.norm(a - numeric)) / scale
        ok = rel < self.rtol or max_abs < self.atol
        self.entries.append(GradcheckEntry(name, max_abs, rel, ok))

    def __str__(self) -> str:
        lines = [f"gradcheck {self.subject}: {'PASS' if self.passed else 'FAIL'}"]
        for e in self.entries:
            mark = {"ok": "ok  ", "zero": "zero", "FAIL": "BAD "}[e.status]
            rel = "zero both ways, not informative" if e.zero else f"{e.rel_err:9.2e}"
            lines.append(
                f"  {mark} {e.name:<16} max abs err {e.max_abs_err:9.2e}"
                f"   rel err {rel}"
            )
        return "\n".join(lines)


def _f64(a: ArrayLike) -> Array:
    return np.array(a, dtype=np.float64)


def check_node(
    node: Node,
    a: Array,
    *,
    rng: np.random.Generator | None = None,
    eps: float = 1e-6,
    rtol: float = 1e-6,
) -> GradcheckReport:
    """Check ``node.backward`` on ``J = Σ node.forward(a) ∘ U`` for a random U."""
    rng = np.random.default_rng(0) if rng is None else rng
    a = _f64(a)
    upstream = rng.normal(size=node.forward(a).shape)

    def J() -> float:
        return float(np.sum(node.forward(a) * upstream))

    J()
    dJ_da = node.backward(upstream)
    grads = {k: v.copy() for k, v in node.grads.items()}
    report = GradcheckReport(type(node).__name__, rtol=rtol)
    report.add("input", dJ_da, numerical_grad(J, a, eps))
    for key, param in node.params.items():
        report.add(key, grads[key], numerical_grad(J, param, eps))
    return report


def check_loss(
    loss: Loss,
    pred: Array,
    y: Array,
    sample_weight: Array | None = None,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
) -> GradcheckReport:
    """Check ``loss.backward()`` (dJ/dpred) against differences of ``loss.forward``."""
    pred, y = _f64(pred), _f64(y)

    def J() -> float:
        return loss.forward(pred, y, sample_weight)

    J()
    report = GradcheckReport(f"{type(loss).__name__}({loss.reduction})", rtol=rtol)
    report.add("pred", loss.backward(), numerical_grad(J, pred, eps))
    return report


def check_penalty(
    penalty: Penalty, W: Array, *, eps: float = 1e-6, rtol: float = 1e-6
) -> GradcheckReport:
    """Check ``penalty.grad(W)`` against differences of ``penalty.value(W)``."""
    W = _f64(W)
    report = GradcheckReport(repr(penalty), rtol=rtol)
    report.add("W", penalty.grad(W), numerical_grad(lambda: penalty.value(W), W, eps))
    return report


def check_chain(
    chain: Chain,
    loss: Loss,
    X: Array,
    y: Array,
    *,
    penalty: Penalty | None = None,
    eps: float = 1e-6,
    rtol: float = 1e-6,
) -> GradcheckReport:
    """Check every parameter gradient of ``J = loss(chain(X), y) (+ penalty)``.

    A ``scipy.sparse`` X is taken as CSR float64 and is data only: the
    parameters' gradients (the sparse products ``Xᵀ dJ_dz``) are checked, dJ/dX
    is not (its structural zeros are not variables).
    """
    sparse = sp.issparse(X)
    X = sp.csr_matrix(X, dtype=np.float64) if sparse else _f64(X)
    y = _f64(y)
    params = chain.params

    def J() -> float:
        value = loss.forward(chain.forward(X), y)
        if penalty is not None:
            value += sum(penalty.value(p) for k, p in params.items() if penalized(k))
        return value

    J()
    dJ_dX = chain.backward(loss.backward())
    grads = {k: v.copy() for k, v in chain.grads.items()}
    if penalty is not None:
        for key in grads:
            if penalized(key):
                grads[key] += penalty.grad(params[key])
    report = GradcheckReport(f"chain + {type(loss).__name__}", rtol=rtol)
    if not sparse:
        report.add("X", dJ_dX, numerical_grad(J, X, eps))
    for key, param in params.items():
        report.add(key, grads[key], numerical_grad(J, param, eps))
    return report


def check_formula(
    f: Callable[[Array], float],
    df: Callable[[Array], Array],
    x: Array,
    *,
    name: str = "formula",
    eps: float = 1e-6,
    rtol: float = 1e-6,
) -> GradcheckReport:
    """Check a claimed ``df(x) = ∂f/∂x`` of a scalar f of a matrix or vector."""
    x = _f64(x)
    report = GradcheckReport(name, rtol=rtol)
    report.add("x", df(x.copy()), numerical_grad(lambda: float(f(x)), x, eps))
    return report
