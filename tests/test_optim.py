"""Batcher (per-sample, minibatch, full; seeded shuffling) and the optimizers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lingrad.training.optim import (
    GD,
    Adam,
    Batcher,
    Momentum,
    as_generator,
    make_optimizer,
)


def data(N, D=3):
    X = np.arange(N * D, dtype=float).reshape(N, D)
    return X, X[:, 0] / D, np.arange(N, dtype=float) + 0.5  # row i holds i everywhere


@settings(deadline=None, max_examples=30)
@given(
    st.integers(1, 60),
    st.one_of(st.none(), st.integers(1, 70)),
    st.booleans(),
    st.integers(0, 2**32 - 1),
    st.sampled_from([8, 64, 1 << 21]),
)
def test_batches_cover_every_row_once_and_stay_aligned(N, m, shuffle, seed, chunk):
    X, y, sw = data(N)
    batcher = Batcher(m, shuffle, seed, chunk_bytes=chunk)
    batches = list(batcher(X, y, sw))
    size = N if m is None else min(m, N)
    assert len(batches) == batcher.n_batches(N) == -(-N // size)
    assert all(len(Xb) == size for Xb, _, _ in batches[:-1])
    rows = np.concatenate([yb for _, yb, _ in batches])
    assert_array_equal(np.sort(rows), np.arange(N))  # every row exactly once
    for Xb, yb, sb in batches:  # X, y and the weights of a row travel together
        assert_array_equal(Xb[:, 0] / 3, yb)
        assert_array_equal(sb, yb + 0.5)
    if not shuffle or size == N:
        assert_array_equal(rows, np.arange(N))  # data order, as the lectures iterate


def test_per_sample_without_shuffle_is_the_lectures_zip_loop():
    X, y, _ = data(5)
    batches = Batcher(1, shuffle=False)(X, y)
    for (Xb, yb, sb), (x, t) in zip(batches, zip(X, y, strict=True), strict=True):
        assert Xb.shape == (1, 3) and sb is None
        assert_array_equal(Xb[0], x) and yb[0] == t


def test_same_seed_same_shuffles_different_seed_different():
    X, y, _ = data(50)

    def order(seed):
        b = Batcher(1, True, seed)
        return [np.concatenate([yb for _, yb, _ in b(X, y)]) for _ in range(3)]

    a, b, c = order(0), order(0), order(1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], a[1])  # a fresh permutation every epoch


def test_generator_sources_and_errors():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    rs = np.random.RandomState(0)
    assert isinstance(as_generator(rs), np.random.Generator)
    with pytest.raises(ValueError, match="batch_size"):
        Batcher(0)


def quadratic_grad(p):
    """J = ½ pᵀ A p - cᵀ p; dJ_dp = A p - c (an ill-conditioned bowl)."""
    A = np.diag([1.0, 10.0])
    c = np.array([1.0, -2.0])
    return A @ p - c, np.linalg.solve(A, c)


def test_gd_is_p_minus_lr_grad():
    p = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    params = {"affine.W": p}
    GD().step(params, {"affine.W": g}, 0.1)
    assert params["affine.W"] is p  # updated in place: the chain sees it
    assert_allclose(p, [0.95, 2.1], rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_hand_recursion(nesterov):
    beta, lr = 0.8, 0.05
    opt = Momentum(beta, nesterov=nesterov)
    p = np.zeros(2)
    ref, v = np.zeros(2), np.zeros(2)
    for _ in range(20):
        g, _ = quadratic_grad(p)
        opt.step({"w": p}, {"w": g}, lr)
        g_ref, _ = quadratic_grad(ref)
        v = beta * v - lr * g_ref
        ref = ref + (beta * v - lr * g_ref if nesterov else v)
        assert_allclose(p, ref, rtol=1e-13, atol=1e-15)


def test_adam_matches_textbook_update():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    opt = Adam(b1, b2, eps)
    p, ref = np.array([3.0, -1.0]), np.array([3.0, -1.0])
    m, v = np.zeros(2), np.zeros(2)
    for t in range(1, 30):
        g, _ = quadratic_grad(p)
        opt.step({"w": p}, {"w": g}, lr)
        g, _ = quadratic_grad(ref)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        ref = ref - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        assert_allclose(p, ref, rtol=1e-12)
    opt.reset()
    assert opt.t == 0 and opt.m == {}


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam"])
def test_every_optimizer_reaches_the_minimum(name):
    opt = make_optimizer(name)
    p = np.zeros(2)
    lr = 0.01 if name == "adam" else 0.05
    for _ in range(3000):
        g, p_star = quadratic_grad(p)
        opt.step({"w": p}, {"w": g}, lr)
    assert_allclose(p, p_star, atol=1e-6)


def test_make_optimizer():
    assert make_optimizer("nesterov").nesterov is True
    assert make_optimizer("momentum", beta=0.5).beta == 0.5
    o = Adam()
    assert make_optimizer(o) is o
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("rmsprop")
    with pytest.raises(ValueError, match="beta"):
        Momentum(1.0)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam", "proximal"])
def test_state_dict_round_trip_continues_exactly(name):
    """state_dict() / load_state_dict(): a fresh optimizer takes the same steps."""
    from lingrad.solvers.proximal import ProximalL1

    def make():
        if name == "proximal":
            return ProximalL1(Adam(), l1=0.05)
        return make_optimizer(name)

    a, p = make(), np.array([[3.0, -1.0]])
    for _ in range(5):
        a.step({"a.W": p}, {"a.W": quadratic_grad(p[0])[0][None]}, 0.1)
    state = a.state_dict()
    b, q = make(), p.copy()
    b.load_state_dict(state)
    for opt, w in ((a, p), (b, q)):
        for _ in range(5):
            opt.step({"a.W": w}, {"a.W": quadratic_grad(w[0])[0][None]}, 0.1)
    assert_allclose(q, p, rtol=0, atol=0)
    if name != "gd":  # the state is a copy: stepping a does not move it
        assert state != {} and a.state_dict().keys() == state.keys()


def test_load_state_dict_refuses_another_optimizers_state():
    with pytest.raises(ValueError, match="Adam's state holds"):
        Adam().load_state_dict(Momentum().state_dict())
    with pytest.raises(ValueError, match="Adam.t"):
        Adam().load_state_dict({"m": {}, "v": {}, "t": {}})
