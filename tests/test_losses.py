"""Losses: gradients against finite differences, fused vs unfused, extremes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.special import expit, softmax

from lingrad.core.gradcheck import check_loss
from lingrad.core.losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    Hinge,
    Huber,
    MulticlassPerceptronCriterion,
    PerceptronCriterion,
    SquaredError,
    one_hot,
)
from lingrad.core.nodes import Sigmoid, Softmax

shapes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum"])


def _away_from_zero(rng, shape, margin=0.1):
    z = rng.normal(size=shape)
    return np.where(np.abs(z) < margin, z + np.sign(z + 1e-12) * margin, z)


def _case(name, rng, n, k):
    """pred, y for each loss (kinks kept at least 0.1 away)."""
    if name in ("se", "se_half"):
        return rng.normal(size=(n, k)), rng.normal(size=(n, k))
    if name == "bce":
        return rng.uniform(0.05, 0.95, size=(n, k)), rng.integers(0, 2, (n, k)) * 1.0
    if name == "bce_logits":
        return rng.normal(scale=3, size=(n, k)), rng.integers(0, 2, (n, k)) * 1.0
    labels = rng.integers(0, k, n)
    if name == "ce":
        return softmax(rng.normal(size=(n, k)), axis=1), one_hot(labels, k)
    if name == "ce_logits":
        return rng.normal(scale=3, size=(n, k)), one_hot(labels, k)
    if name == "perceptron":
        return _away_from_zero(rng, (n, 1)), rng.integers(0, 2, (n, 1)) * 1.0
    if name == "hinge":  # margins t z off the kink at 1
        y = rng.integers(0, 2, (n, k)) * 1.0
        margin = 1.0 + _away_from_zero(rng, (n, k), margin=0.1)
        return margin * (2.0 * y - 1.0), y
    if name == "huber":  # residuals on both sides of epsilon = 1, off the kinks
        y = rng.normal(size=(n, k))
        r = _away_from_zero(rng, (n, k), margin=0.1) * 1.5
        r = np.where(np.abs(np.abs(r) - 1.0) < 0.1, r * 1.3, r)
        return y - r, y
    # multiclass perceptron: a clear winner per row (no ties)
    scores = rng.normal(size=(n, k)) + 2.0 * one_hot(rng.integers(0, k, n), k)
    return scores, one_hot(labels, k)


LOSSES = {
    "se": lambda r: SquaredError(reduction=r),
    "se_half": lambda r: SquaredError(half=True, reduction=r),
    "bce": lambda r: BinaryCrossEntropy(reduction=r),
    "bce_logits": lambda r: BinaryCrossEntropy(from_logits=True, reduction=r),
    "ce": lambda r: CrossEntropy(reduction=r),
    "ce_logits": lambda r: CrossEntropy(from_logits=True, reduction=r),
    "perceptron": lambda r: PerceptronCriterion(reduction=r),
    "huber": lambda r: Huber(epsilon=1.0, reduction=r),
    "hinge": lambda r: Hinge(reduction=r),
    "mc_perceptron": lambda r: MulticlassPerceptronCriterion(reduction=r),
}


@settings(deadline=None, max_examples=20)
@given(n=shapes, k=st.integers(2, 5), seed=seeds, reduction=reductions)
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradient_matches_finite_differences(name, n, k, seed, reduction):
    rng = np.random.default_rng(seed)
    pred, y = _case(name, rng, n, k)
    weights = rng.uniform(0.5, 2.0, size=n)
    loss = LOSSES[name](reduction)
    assert check_loss(loss, pred, y).passed
    report = check_loss(loss, pred, y, sample_weight=weights)
    assert report.passed, str(report)


def test_check_loss_catches_a_gradient_without_the_half(rng, monkeypatch):
    # J0 = (y - pred)^2 but dJ0/dpred = pred - y: the derivative of the 1/2 form
    monkeypatch.setattr(SquaredError, "_dJ0_dpred", lambda self, pred, y: pred - y)
    pred, y = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    assert not check_loss(SquaredError(), pred, y).passed


def test_mean_is_sum_over_n(rng):
    pred, y = rng.normal(size=(7, 1)), rng.normal(size=7)
    J_sum = SquaredError(reduction="sum").forward(pred, y)
    loss = SquaredError()
    assert loss.forward(pred, y) == pytest.approx(J_sum / 7)
    assert_allclose(loss.backward(), -2 * (y[:, None] - pred) / 7)


def test_squared_error_is_the_lecture_and_the_half_variant(rng):
    pred, y = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    full, half = SquaredError(reduction="sum"), SquaredError(half=True, reduction="sum")
    assert full.forward(pred, y) == pytest.approx(2 * half.forward(pred, y))
    assert_allclose(full.J0, ((y - pred) ** 2).ravel())
    assert_allclose(half.backward(), pred - y)


def test_fused_and_unfused_binary_paths_agree(rng):
    z = rng.normal(scale=4, size=(50, 1))
    y = rng.integers(0, 2, (50, 1)) * 1.0
    fused = BinaryCrossEntropy(from_logits=True)
    J_fused = fused.forward(z, y)
    dJ_dz_fused = fused.backward()
    sigmoid, bce = Sigmoid(), BinaryCrossEntropy()
    J = bce.forward(sigmoid.forward(z), y)
    dJ_dz = sigmoid.backward(bce.backward())  # dJ_dpred * dpred_dz
    assert J == pytest.approx(J_fused, rel=1e-10)
    assert_allclose(dJ_dz, dJ_dz_fused, rtol=1e-10, atol=1e-14)
    assert_allclose(dJ_dz_fused, (expit(z) - y) / 50)


def test_fused_and_unfused_softmax_paths_agree(rng):
    z = rng.normal(scale=3, size=(20, 4))
    Y = one_hot(rng.integers(0, 4, 20), 4)
    fused = CrossEntropy(from_logits=True)
    J_fused = fused.forward(z, Y)
    dJ_dz_fused = fused.backward()
    sm, ce = Softmax(), CrossEntropy()
    J = ce.forward(sm.forward(z), Y)
    dJ_dz = sm.backward(ce.backward())
    assert J == pytest.approx(J_fused, rel=1e-10)
    assert_allclose(dJ_dz, dJ_dz_fused, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("z", [1e6, -1e6, 40.0, -40.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_fused_binary_is_finite_for_extreme_logits(z, y):
    loss = BinaryCrossEntropy(from_logits=True)
    J = loss.forward(np.array([[z]]), np.array([y]))
    grad = loss.backward()
    assert np.isfinite(J) and np.all(np.isfinite(grad))
    wrong = (z > 0) != (y > 0)
    assert J == pytest.approx(abs(z) if wrong else 0.0, abs=1e-12)
    assert abs(grad[0, 0]) <= 1.0


def test_probability_bce_survives_pred_exactly_zero_or_one():
    loss = BinaryCrossEntropy()
    J = loss.forward(np.array([[0.0], [1.0], [0.0], [1.0]]), np.array([0, 1, 1, 0.0]))
    assert np.isfinite(J) and np.all(np.isfinite(loss.backward()))


def test_fused_softmax_is_finite_for_extreme_logits():
    z = np.array([[1e6, -1e6, 0.0], [-1e6, -1e6, 1e6]])
    Y = one_hot([1, 2], 3)
    loss = CrossEntropy(from_logits=True)
    J = loss.forward(z, Y)
    assert np.isfinite(J) and np.all(np.isfinite(loss.backward()))
    assert J == pytest.approx(2e6 / 2)  # first row wrong by 2e6, second right
    prob = CrossEntropy()
    assert np.isfinite(prob.forward(softmax(z, axis=1), Y))


def test_perceptron_criterion_is_zero_when_correct_and_gives_the_rule(rng):
    z = np.array([[2.0], [-1.0], [0.5], [-3.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = PerceptronCriterion(reduction="sum")
    J = loss.forward(z, y)
    assert_allclose(loss.J0, [0.0, 0.0, 0.5, 3.0])
    assert J == pytest.approx(3.5)
    h = (z >= 0).ravel() * 1.0
    assert_allclose(loss.backward().ravel(), h - y)  # w <- w + lr (y - h) x


def test_multiclass_perceptron_criterion():
    s = np.array([[1.0, 3.0, 2.0], [5.0, 0.0, 1.0]])
    Y = one_hot([2, 0], 3)
    loss = MulticlassPerceptronCriterion(reduction="sum")
    assert loss.forward(s, Y) == pytest.approx(1.0)
    assert_allclose(loss.backward(), [[0, 1, -1], [0, 0, 0]])


def test_reduction_is_validated():
    with pytest.raises(ValueError, match="reduction"):
        SquaredError(reduction="avg")  # type: ignore[arg-type]


def test_float32_losses_keep_dtype(rng):
    z = rng.normal(size=(5, 1)).astype(np.float32)
    y = (rng.uniform(size=5) > 0.5).astype(np.float32)
    for loss in (BinaryCrossEntropy(from_logits=True), SquaredError()):
        J = loss.forward(z, y)
        grad = loss.backward()
        assert grad.dtype == np.float32 and np.isfinite(J)


def test_the_registry_names_every_loss_by_its_own_name_and_marks_its_forms():
    """``LOSSES`` is the one table: names match, and every elementwise formula is
    ``@compilable`` (so the kernels can run it)."""
    from lingrad.core.losses import LOSSES as REGISTRY
    from lingrad.core.nodes import FORMULAS

    assert {"squared_error", "perceptron"} <= set(REGISTRY)
    for name, cls in REGISTRY.items():
        assert cls.name == name
        for form in cls.forms:
            assert form.J0 in FORMULAS and form.dJ0_dpred in FORMULAS, name


def test_make_loss_takes_the_constructor_arguments_it_names_from_params():
    from lingrad.core.losses import make_loss

    loss = make_loss("squared_error", {"alpha": 0.1, "half": True}, reduction="sum")
    assert type(loss) is SquaredError and loss.half and loss.reduction == "sum"


def test_huber_is_half_squared_inside_epsilon_and_linear_outside():
    """J0 = ½ r² for |r| ≤ ε, else ε|r| - ½ε²; dJ0/dpred = clip(pred - y, -ε, ε)."""
    eps = 1.35
    r = np.array([-3.0, -1.35, -0.5, 0.0, 0.7, 1.35, 4.0])  # r = y - pred
    y = np.zeros((7, 1))
    loss = Huber(epsilon=eps, reduction="sum")
    J = loss.forward(y - r[:, None], y)
    want = np.where(np.abs(r) <= eps, 0.5 * r**2, eps * np.abs(r) - 0.5 * eps**2)
    assert_allclose(loss.J0, want, rtol=1e-15)
    assert J == pytest.approx(want.sum())
    assert_allclose(loss.backward().ravel(), np.clip(-r, -eps, eps), rtol=1e-15)
    assert "epsilon = 1.35" in loss.formula and "clip" in loss.gradient


def test_hinge_is_zero_beyond_the_margin_and_pushes_inside_it():
    """J0 = max(0, 1 - t z), t = 2y - 1; dJ0/dz = -t where t z <= 1 (as sklearn)."""
    z = np.array([[2.0], [0.5], [-0.3], [1.0], [-2.0]])
    y = np.array([1.0, 1.0, 1.0, 1.0, 0.0])  # t = 1, 1, 1, 1, -1
    loss = Hinge(reduction="sum")
    assert loss.forward(z, y) == pytest.approx(0.5 + 1.3)
    assert_allclose(loss.J0, [0.0, 0.5, 1.3, 0.0, 0.0])
    assert_allclose(loss.backward().ravel(), [0.0, -1.0, -1.0, -1.0, 0.0])
