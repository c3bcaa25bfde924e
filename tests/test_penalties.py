"""Penalties: values, (sub)gradients against finite differences, the bias rule."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lingrad.core.gradcheck import check_penalty
from lingrad.core.penalties import L1, L2, ElasticNet, make_penalty, penalized


@pytest.mark.parametrize("penalty", [L1(0.3), L2(0.3), ElasticNet(0.3, 0.4)])
def test_penalty_gradient_matches_finite_differences(penalty, rng):
    W = rng.normal(size=(4, 3))
    W[np.abs(W) < 0.05] = 0.5  # away from the kink of |w|
    report = check_penalty(penalty, W)
    assert report.passed, str(report)


def test_values_follow_the_homework(rng):
    w = np.array([0.3, -0.3, 0.4])
    assert L1(1.0).value(w) == pytest.approx(1.0)
    assert L2(1.0).value(w) == pytest.approx(0.34)
    assert_allclose(L2(1.0).grad(w), 2 * w)  # d(w^T w)/dw = 2w (Problem 2)
    assert ElasticNet(2.0, 0.5).value(w) == pytest.approx(
        2.0 * (0.5 * 1.0 + 0.5 * 0.34)
    )


def test_l1_subgradient_is_zero_at_zero():
    assert_allclose(L1(1.0).grad(np.array([0.0, 2.0, -1.0])), [0.0, 1.0, -1.0])


def test_only_weights_are_penalized():
    assert penalized("affine.W") and penalized("affine0.W")
    assert not penalized("affine.b")


def test_make_penalty():
    assert make_penalty("none") is None
    assert isinstance(make_penalty("l1", 0.1), L1)
    assert make_penalty("elasticnet", 0.1, 0.7).l1_ratio == 0.7
    with pytest.raises(ValueError, match="penalty must be one of"):
        make_penalty("l3")
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(0.1, 1.5)
