"""Every hand-derived gradient against central differences (``lingrad gradcheck``):
the nodes, losses and penalties at random points, and each model's chain and
training loss."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from lingrad.core.gradcheck import GradcheckReport
    from lingrad.core.loss_base import Loss
    from lingrad.core.nodes import Array, Node
    from lingrad.core.penalties import Penalty
    from lingrad.models.registry import ModelSpec

Rng = np.random.Generator


def _nodes(rng: Rng) -> Iterator[tuple[str, Node, Array]]:
    from lingrad.core.chain import Chain
    from lingrad.core.nodes import (
        Affine,
        BipolarSigmoid,
        Residual,
        Sigmoid,
        Softmax,
        Tanh,
    )

    a = rng.normal(size=(4, 3))
    yield "node", Affine.init(3, 2, rng), a
    for node in (Sigmoid(), BipolarSigmoid(), Tanh(), Softmax()):
        yield "node", node, a
    inner = Chain(
        [Affine.init(3, 2, rng), Sigmoid(), Affine.init(2, 3, rng), Sigmoid()]
    )
    yield "node", Residual(inner), a


def sparse_affine_check(rng: Rng) -> GradcheckReport:
    """The Affine's dJ_dW = Xᵀ U and dJ_db = Σ_n U on a sparse (CSR) X, against
    central differences of ``J = Σ (X @ W + b) ∘ U``: X's nonzeros only, an
    all-zero row and column, a repeated entry."""
    import scipy.sparse as sp

    from lingrad.core.gradcheck import GradcheckReport, numerical_grad
    from lingrad.core.nodes import Affine

    rows, cols = [0, 0, 1, 1, 1, 3, 3], [0, 3, 1, 3, 3, 0, 4]  # row 2, column 2: 0
    X = sp.csr_matrix((rng.normal(size=7), (rows, cols)), shape=(4, 5))
    node = Affine.init(5, 2, rng)
    U = rng.normal(size=(4, 2))

    def J() -> float:
        return float(np.sum(node.forward(X) * U))

    J()
    node.backward_params(U)
    grads = {k: v.copy() for k, v in node.grads.items()}
    report = GradcheckReport("Affine (sparse X)")
    for key, param in node.params.items():
        report.add(key, grads[key], numerical_grad(J, param))
    return report


def _losses(rng: Rng) -> Iterator[tuple[Loss, Array, Array]]:
    from scipy.special import expit, softmax

    from lingrad.core.losses import (
        BinaryCrossEntropy,
        CrossEntropy,
        MulticlassPerceptronCriterion,
        PerceptronCriterion,
        SquaredError,
        one_hot,
    )

    z1, zk = rng.normal(size=(5, 1)), rng.normal(size=(5, 3))
    y01 = rng.integers(0, 2, size=(5, 1)).astype(float)
    Y = one_hot(rng.integers(0, 3, size=5), 3)
    for reduction in ("mean", "sum"):
        yield SquaredError(half=False, reduction=reduction), z1, rng.normal(size=(5, 1))
    yield SquaredError(half=True), zk, rng.normal(size=(5, 3))
    yield BinaryCrossEntropy(from_logits=False), expit(z1), y01
    yield BinaryCrossEntropy(from_logits=True), z1, y01
    yield CrossEntropy(from_logits=False), softmax(zk, axis=1), Y
    yield CrossEntropy(from_logits=True), zk, Y
    z_away = np.sign(z1) * (np.abs(z1) + 0.1)  # keep clear of the kink at z = 0
    yield PerceptronCriterion(), z_away, y01
    yield MulticlassPerceptronCriterion(), zk, Y


def _loss_name(loss: Loss) -> str:
    flags = [
        flag
        for flag, on in (
            ("half", getattr(loss, "half", False)),
            ("from logits", getattr(loss, "from_logits", False)),
            ("sum", loss.reduction == "sum"),
        )
        if on
    ]
    return type(loss).__name__ + (f" ({', '.join(flags)})" if flags else "")


def _penalties(rng: Rng) -> Iterator[tuple[Penalty, Array]]:
    from lingrad.core.penalties import L1, L2, ElasticNet

    W = rng.normal(size=(3, 2))
    W = np.sign(W) * (np.abs(W) + 0.1)  # |W| > 0: L1 is differentiable there
    for penalty in (L1(0.3), L2(0.3), ElasticNet(0.3, 0.4)):
        yield penalty, W


def _tiny_data(spec: ModelSpec, rng: Rng) -> tuple[Array, NDArray[np.number]]:
    X = rng.normal(size=(24, 3))
    if spec.task == "regression":
        return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3
    k = 2 if spec.task == "binary" else 3
    return X, np.arange(24) % k


def _targets(loss: Loss, out: Array, rng: Rng) -> Array:
    """Valid targets for the loss, shaped like the chain output."""
    from lingrad.core.losses import SquaredError, one_hot

    N, K = out.shape
    if isinstance(loss, SquaredError):
        return rng.normal(size=(N, K))
    if loss.name in ("cross_entropy", "multiclass_perceptron") and K > 1:
        return one_hot(rng.integers(0, K, size=N), K)
    return rng.integers(0, 2, size=(N, K)).astype(float)


def _model_checks(spec: ModelSpec, rng: Rng) -> Iterator[GradcheckReport]:
    """check_chain of the model's chain and training loss, with and without L2."""
    from lingrad.core.gradcheck import check_chain
    from lingrad.data.lectures import model_settings

    cls = spec.cls()
    variants: list[dict[str, object]] = [{}]
    if "penalty" in cls().get_params():
        variants.append({"penalty": "l2", "alpha": 0.05})
    for extra in variants:  # the networks at the width of the lectures' demos
        est = cls(max_iter=2, random_state=0, **model_settings(spec.name), **extra)
        X, y = _tiny_data(spec, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        problem = est.training_problem(start="fitted")
        chain = problem.chain
        assert chain is not None  # a fitted model's problem has its chain
        for p in chain.params.values():  # random, away from kinks and zero init
            p[...] = rng.normal(size=p.shape)
        Xc = rng.normal(size=(5, X.shape[1]))
        loss = problem.loss
        Y = _targets(loss, chain.forward(Xc), rng)
        penalty = problem.penalty if extra else None
        report = check_chain(chain, loss, Xc, Y, penalty=penalty)
        report.subject = spec.name + (" + L2" if extra else "")
        yield report


def run_checks(
    model: str | None = None, seed: int = 0
) -> list[tuple[str, GradcheckReport]]:
    """(kind, report) of every node, loss, penalty and model (``model``: that
    model's checks only); an unknown ``model`` is a UsageError."""
    from lingrad.core.gradcheck import check_loss, check_node, check_penalty
    from lingrad.models.registry import MODELS, model_spec

    rng = np.random.default_rng(seed)
    specs = [model_spec(model)] if model is not None else list(MODELS.values())
    reports: list[tuple[str, GradcheckReport]] = []
    if model is None:
        reports += [
            (kind, check_node(node, a, rng=rng)) for kind, node, a in _nodes(rng)
        ]
        reports.append(("node", sparse_affine_check(rng)))
        for loss, p, y in _losses(rng):
            report = check_loss(loss, p, y)
            report.subject = _loss_name(loss)
            reports.append(("loss", report))
        reports += [("penalty", check_penalty(pen, W)) for pen, W in _penalties(rng)]
    for spec in specs:
        reports += [("model", r) for r in _model_checks(spec, rng)]
    return reports


def check_passed(reports: list[tuple[str, GradcheckReport]]) -> None:
    """A LingradError naming every gradient that failed (none: nothing)."""
    from lingrad.errors import LingradError

    failed = [(r.subject, e.name) for _, r in reports for e in r.failed]
    if failed:
        rows = sum(len(r.entries) for _, r in reports)
        names = ", ".join(f"{subject} {name}" for subject, name in failed)
        raise LingradError(
            f"gradcheck: {len(failed)} of {rows} gradients failed: {names}"
        )


def summary(reports: list[tuple[str, GradcheckReport]]) -> str:
    """'75 gradients in 34 checks: 74 agree, 1 zero (not informative), 0 failed'."""
    entries = [e for _, r in reports for e in r.entries]
    counts = {s: sum(e.status == s for e in entries) for s in ("ok", "zero", "FAIL")}
    return (
        f"{len(entries)} gradients in {len(reports)} checks: {counts['ok']} agree "
        f"with finite differences, {counts['zero']} zero (not informative), "
        f"{counts['FAIL']} failed"
    )
