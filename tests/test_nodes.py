"""Every node's backward against central differences, in float64 and float32."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lingrad.core.chain import Chain
from lingrad.core.gradcheck import check_node, numerical_grad
from lingrad.core.nodes import (
    Affine,
    Argmax,
    BipolarSigmoid,
    NotDifferentiableError,
    Residual,
    Sigmoid,
    Softmax,
    Step,
    Tanh,
)

shapes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


def _affine(rng, d, k, bias=True):
    return Affine(rng.normal(size=(d, k)), rng.normal(size=k) if bias else None)


@settings(deadline=None, max_examples=25)
@given(n=shapes, d=shapes, k=shapes, seed=seeds, bias=st.booleans())
def test_affine_backward_matches_finite_differences(n, d, k, seed, bias):
    rng = np.random.default_rng(seed)
    node = _affine(rng, d, k, bias)
    report = check_node(node, rng.normal(size=(n, d)), rng=rng)
    assert report.passed, str(report)
    assert {e.name for e in report.entries} == {"input", *node.params}


@settings(deadline=None, max_examples=25)
@given(n=shapes, k=shapes, seed=seeds)
@pytest.mark.parametrize("cls", [Sigmoid, BipolarSigmoid, Tanh, Softmax])
def test_activation_backward_matches_finite_differences(cls, n, k, seed):
    rng = np.random.default_rng(seed)
    report = check_node(cls(), rng.normal(scale=2.0, size=(n, k)), rng=rng)
    assert report.passed, str(report)


@settings(deadline=None, max_examples=15)
@given(n=shapes, d=shapes, m=shapes, seed=seeds)
def test_residual_backward_matches_finite_differences(n, d, m, seed):
    rng = np.random.default_rng(seed)
    inner = Chain(
        [_affine(rng, d, m, False), Sigmoid(), _affine(rng, m, d, False), Sigmoid()]
    )
    node = Residual(inner)
    report = check_node(node, rng.normal(size=(n, d)), rng=rng)
    assert report.passed, str(report)
    assert set(node.params) == {"affine0.W", "affine1.W"}


def test_check_node_catches_a_wrong_local_jacobian(rng):
    class WrongSigmoid(Sigmoid):
        def _dpred_dz(self):
            return self.pred  # forgets the (1 - pred)

    report = check_node(WrongSigmoid(), rng.normal(size=(3, 2)), rng=rng)
    assert not report.passed and "BAD" in str(report)


def test_residual_rejects_width_change(rng):
    node = Residual(Chain([_affine(rng, 3, 2)]))
    with pytest.raises(ValueError, match="same width"):
        node.forward(rng.normal(size=(4, 3)))


def test_local_jacobians_match_the_lecture(rng):
    x = rng.normal(size=(1, 3))
    affine = _affine(rng, 3, 1)
    z = affine.forward(x)
    jac = affine.local_jacobians()
    assert_allclose(jac["dz_dW"], x[0])  # dz/dw = x^T
    assert_allclose(jac["dz_db"], [1.0])
    sig = Sigmoid()
    pred = sig.forward(z)
    assert_allclose(sig.local_jacobians()["dpred_dz"], pred[0] * (1 - pred[0]))
    assert "pred * (1 - pred)" in Sigmoid.formulas["dpred_dz"]


def test_softmax_full_jacobian_is_diag_q_minus_qqT(rng):
    node = Softmax()
    z = rng.normal(size=(2, 4))
    q = node.forward(z)[0]
    expected = np.diag(q) - np.outer(q, q)
    assert_allclose(node.jacobian(0), expected)
    # the VJP used in training equals upstream @ Jacobian
    upstream = rng.normal(size=(2, 4))
    assert_allclose(node.backward(upstream)[0], upstream[0] @ expected, rtol=1e-12)

    def J():
        return float(node.forward(z)[0, 2])

    assert_allclose(expected[2], numerical_grad(J, z)[0], rtol=1e-7, atol=1e-10)


def test_bipolar_sigmoid_is_the_homework_function(rng):
    z = rng.normal(scale=3, size=(5, 2))
    f = BipolarSigmoid().forward(z)
    assert_allclose(f, (1 - np.exp(-z)) / (1 + np.exp(-z)), rtol=1e-12)


@pytest.mark.parametrize("cls", [Sigmoid, BipolarSigmoid, Tanh, Softmax])
def test_activations_are_finite_for_huge_logits(cls):
    z = np.array([[-1e6, 1e6], [0.0, -1e6]])
    node = cls()
    out = node.forward(z)
    dJ_dz = node.backward(np.ones_like(z))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dJ_dz))


def test_sigmoid_saturates_exactly():
    out = Sigmoid().forward(np.array([[-1e6, 1e6]]))
    assert_allclose(out, [[0.0, 1.0]])


@pytest.mark.parametrize("cls", [Sigmoid, BipolarSigmoid, Tanh, Softmax])
def test_float32_inputs_keep_float32_and_agree(cls, rng):
    z64 = rng.normal(size=(4, 3))
    up64 = rng.normal(size=(4, 3))
    node64 = cls()
    out64 = node64.forward(z64)
    grad64 = node64.backward(up64)
    node32 = cls()
    out32 = node32.forward(z64.astype(np.float32))
    grad32 = node32.backward(up64.astype(np.float32))
    assert out32.dtype == np.float32 and grad32.dtype == np.float32
    assert_allclose(out32, out64, rtol=1e-5, atol=1e-6)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-5)


def test_affine_float32(rng):
    W = rng.normal(size=(3, 2)).astype(np.float32)
    node = Affine(W, np.zeros(2, np.float32))
    X = rng.normal(size=(5, 3)).astype(np.float32)
    z = node.forward(X)
    node.backward(np.ones_like(z))
    assert z.dtype == np.float32 and node.dJ_dW.dtype == np.float32
    assert_allclose(node.dJ_dW, X.T @ np.ones((5, 2), np.float32), rtol=1e-5)


def test_step_forward_and_backward_refuses(rng):
    node = Step()
    assert_allclose(node.forward(np.array([[-0.5, 0.0, 2.0]])), [[0.0, 1.0, 1.0]])
    with pytest.raises(NotDifferentiableError, match="perceptron"):
        node.backward(np.ones((1, 3)))


def test_affine_init_is_seeded():
    a = Affine.init(3, 2, np.random.default_rng(1))
    b = Affine.init(3, 2, np.random.default_rng(1))
    assert_allclose(a.W, b.W)
    assert np.all(a.b == 0) and np.abs(a.W).max() <= np.sqrt(6 / 5)


def test_argmax_forward_and_backward_refuses():
    node = Argmax()
    assert_allclose(node.forward(np.array([[0.1, 2.0, -1.0]])), [[0.0, 1.0, 0.0]])
    with pytest.raises(NotDifferentiableError, match="multi-class perceptron"):
        node.backward(np.ones((1, 3)))
