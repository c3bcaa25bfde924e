"""Epoch orders: full row shuffle and shuffled blocks (lingrad.training.shuffle)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from lingrad.models import LinearRegression
from lingrad.training.optim import Batcher
from lingrad.training.shuffle import (
    ROWS_MAX_BYTES,
    block_rows,
    check_mode,
    epoch_order,
    lookahead,
    resolve,
)


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 500), st.integers(8, 4000), st.integers(0, 2**32 - 1))
def test_blocks_order_shuffles_whole_blocks_and_the_rows_inside(N, row_bytes, seed):
    order = epoch_order(np.random.default_rng(seed), N, "blocks", row_bytes)
    assert_array_equal(np.sort(order), np.arange(N))  # every row once
    L = min(block_rows(row_bytes), N)
    block = order // L  # each block's rows come as one run of positions
    starts = np.r_[True, block[1:] != block[:-1]]
    assert len(np.unique(block)) == starts.sum()
    runs = np.r_[np.flatnonzero(starts), N]
    for a, b in zip(runs[:-1], runs[1:], strict=True):  # forward, wrapping round
        rows = order[a:b]
        assert np.count_nonzero(np.diff(rows) != 1) <= 1
        assert_array_equal(np.sort(rows), np.arange(rows.min(), rows.max() + 1))
    ahead = lookahead(order, "blocks", row_bytes)  # the row one block ahead
    assert len(ahead) == N and np.all((ahead >= 0) & (ahead < N))
    assert_array_equal(ahead[: N - L], order[L:])


def test_blocks_start_anywhere_and_change_between_epochs():
    rng = np.random.default_rng(0)
    first, second = (epoch_order(rng, 10_000, "blocks", 800) for _ in range(2))
    L = block_rows(800)
    assert len({int(o % L) for o in first[::L][:-1]}) > 10  # random first rows
    assert not np.array_equal(first // L, second // L)  # a new block order
    one = [epoch_order(rng, 50, "blocks", 800) for _ in range(5)]  # one block
    assert len({int(o[0]) for o in one}) > 1  # still starts at a random row


def test_true_is_rows_for_a_cache_sized_x_and_blocks_beyond():
    a = Batcher(1, True, 0).order(100, 8)
    assert_array_equal(a, Batcher(1, "rows", 0).order(100, 8))
    N = ROWS_MAX_BYTES // 800 + 1  # X one row past the limit, at 800 bytes a row
    assert resolve(True, N - 1, 800) == "rows" and resolve(True, N, 800) == "blocks"
    assert_array_equal(Batcher(1, True, 3).order(N, 800), epoch_order(
        np.random.default_rng(3), N, "blocks", 800))  # fmt: skip
    order = Batcher(1, True, 3).order(N, 800)
    assert_array_equal(lookahead(order, True, 800), lookahead(order, "blocks", 800))
    assert resolve(False, N, 800) is False and resolve("rows", N, 800) == "rows"


def test_rows_and_blocks_differ_but_are_seeded():
    b = Batcher(1, "blocks", 0).order(100_000, 800)
    assert_array_equal(b, Batcher(1, "blocks", 0).order(100_000, 800))
    assert not np.array_equal(b, Batcher(1, "blocks", 1).order(100_000, 800))
    assert Batcher(1, False, 0).order(100, 8) is None
    assert check_mode("blocks") == "blocks"
    with pytest.raises(ValueError, match="shuffle must be True, False, 'rows'"):
        Batcher(1, "random")
    with pytest.raises(ValueError, match="'shuffle' parameter"):
        LinearRegression(solver="sgd", shuffle="yes").fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize("batch", [1, 7])
def test_blocks_train_the_same_on_both_engines(batch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 40))  # 40 features: 204 rows a block
    y = X @ rng.normal(size=40)
    fits = [
        LinearRegression(
            solver="sgd" if batch == 1 else "minibatch", batch_size=batch,
            shuffle="blocks", lr=0.01, max_iter=3, tol=None, random_state=0,
            engine=engine,
        ).fit(X, y)
        for engine in ("nodes", "compiled")
    ]  # fmt: skip
    np.testing.assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-12)
    np.testing.assert_allclose(fits[1].loss_curve_, fits[0].loss_curve_, rtol=1e-12)


def test_on_iid_rows_blocks_reach_the_row_shuffles_objective():
    """The trade-off's good side: rows in no particular order lose nothing."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20_000, 20))
    y = X @ rng.normal(size=20) + rng.normal(size=20_000)
    J = {}
    for mode in ("rows", "blocks"):
        model = LinearRegression(
            solver="minibatch", batch_size=256, shuffle=mode, lr=0.02, max_iter=5,
            tol=None, random_state=0,
        ).fit(X, y)  # fmt: skip
        J[mode] = np.mean((model.predict(X) - y) ** 2)
    assert abs(J["blocks"] - J["rows"]) <= 0.01 * J["rows"]
