"""Chain: forward/backward composition, named parameters, traces of one example."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lingrad.core.chain import Chain
from lingrad.core.gradcheck import check_chain
from lingrad.core.losses import BinaryCrossEntropy, CrossEntropy, SquaredError, one_hot
from lingrad.core.nodes import Affine, Residual, Sigmoid, Softmax, Tanh
from lingrad.core.penalties import L2, ElasticNet


def test_params_are_named_and_live(rng):
    chain = Chain(
        [Affine.init(3, 4, rng), Sigmoid(), Affine.init(4, 2, rng), Softmax()]
    )
    assert list(chain.params) == ["affine0.W", "affine0.b", "affine1.W", "affine1.b"]
    chain.params["affine0.W"] -= 1.0  # in-place updates reach the node
    assert_allclose(chain.nodes[0].W, chain.params["affine0.W"])
    assert set(chain.grads) == set(chain.params)


@settings(deadline=None, max_examples=15)
@given(
    n=st.integers(1, 5),
    d=st.integers(1, 4),
    h=st.integers(1, 4),
    k=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_two_layer_chain_gradients(n, d, h, k, seed):
    rng = np.random.default_rng(seed)
    chain = Chain(
        [
            Affine.init(d, h, rng, scale=1.0),
            Sigmoid(),
            Affine.init(h, k, rng, scale=1.0),
        ]
    )
    chain.nodes[0].b[:] = rng.normal(size=h)
    Y = one_hot(rng.integers(0, k, n), k)
    report = check_chain(
        chain,
        CrossEntropy(from_logits=True),
        rng.normal(size=(n, d)),
        Y,
        penalty=L2(0.1),
    )
    assert report.passed, str(report)


def test_unfused_chain_and_penalties(rng):
    chain = Chain([Affine.init(3, 1, rng, scale=1.0), Sigmoid()])
    y = rng.integers(0, 2, 6) * 1.0
    report = check_chain(
        chain,
        BinaryCrossEntropy(reduction="sum"),
        rng.normal(size=(6, 3)),
        y,
        penalty=ElasticNet(0.2, 0.5),
    )
    assert report.passed, str(report)


def test_residual_network_of_problem_7(rng):
    D, M = 3, 2
    inner = Chain(
        [
            Affine(rng.normal(size=(D, M))),
            Sigmoid(),
            Affine(rng.normal(size=(M, D))),
            Sigmoid(),
        ]
    )
    chain = Chain([Residual(inner), Affine(rng.normal(size=(D, 1))), Sigmoid()])
    assert set(chain.params) == {"residual.affine0.W", "residual.affine1.W", "affine.W"}
    report = check_chain(
        chain,
        SquaredError(half=True, reduction="sum"),
        rng.normal(size=(5, D)),
        rng.integers(0, 2, 5) * 1.0,
    )
    assert report.passed, str(report)


def test_trace_records_the_lecture_blocks(rng):
    w, b = np.array([[2.0]]), np.array([-1.0])
    chain = Chain([Affine(w, b), Sigmoid()])
    x, y = np.array([0.5]), np.array([1.0])
    trace = chain.trace(x, loss=BinaryCrossEntropy(), y=y)
    affine, sigmoid = trace.steps
    z = 2.0 * 0.5 - 1.0
    pred = 1 / (1 + np.exp(-z))
    assert affine.output == pytest.approx([z]) and sigmoid.output == pytest.approx(
        [pred]
    )
    assert trace.J == pytest.approx(-np.log(pred))
    assert_allclose(trace.dJ_dpred, [(pred - 1) / (pred * (1 - pred))])
    assert_allclose(sigmoid.jacobians["dpred_dz"], [pred * (1 - pred)])
    assert_allclose(sigmoid.dJ_din, [pred - 1.0])  # dJ_dz = pred - y
    assert_allclose(affine.grads["W"], [[(pred - 1.0) * 0.5]])  # dJ_dw = dJ_dz * x
    assert_allclose(affine.grads["b"], [pred - 1.0])
    assert "pred * (1 - pred)" in sigmoid.formulas["dpred_dz"]


def test_trace_without_loss_is_forward_only(rng):
    chain = Chain([Affine.init(2, 3, rng), Tanh()])
    trace = chain.trace(np.ones(2))
    assert trace.J is None and trace.steps[0].dJ_dout is None
    assert [s.name for s in trace.steps] == ["affine", "tanh"]
