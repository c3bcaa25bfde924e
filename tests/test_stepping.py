"""Trainer.run_steps: training a few steps at a time, as the playground drives it."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from lingrad.core.accuracy import CountCorrect
from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.core.nodes import Affine
from lingrad.training.schedules import InverseTime
from lingrad.training.train import DivergenceError, Trainer


def regression(N=23, D=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    return X, X @ rng.normal(size=D) + 0.5


def linear_trainer(D=2, **kw):
    chain = Chain([Affine(np.zeros((D, 1)), np.zeros(1))])
    kw = {"lr": 0.05, "random_state": 0, "snapshot_every": 3, **kw}
    return chain, Trainer(chain, SquaredError(), **kw)


@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_steps_in_pieces_are_the_steps_of_whole_epochs(batch_size):
    X, y = regression()
    chain_a, whole = linear_trainer(batch_size=batch_size, schedule=InverseTime(0.05))
    for _ in range(3):
        whole.partial_fit(X, y)
    chain_b, pieces = linear_trainer(batch_size=batch_size, schedule=InverseTime(0.05))
    total = whole.t
    sizes = [1, 4, 2, 7, total]  # across epoch boundaries; more than left
    for n in sizes:
        if pieces.t < total:
            pieces.run_steps(X, y, min(n, total - pieces.t))
    a, b = whole.history, pieces.history
    assert pieces.t == total and pieces.epoch == 3
    for key in ("step_loss", "step_lr", "step_batch_size", "grad_norm"):
        assert_allclose(getattr(b, key), getattr(a, key), rtol=1e-15, equal_nan=True)
    assert_allclose(b.epoch_loss, a.epoch_loss, rtol=1e-13)
    assert_array_equal(b.epoch_end_step, a.epoch_end_step)
    assert_array_equal(b.snapshot_step, a.snapshot_step)
    assert_array_equal(b.params["affine.W"], a.params["affine.W"])
    assert_array_equal(chain_b.params["affine.W"], chain_a.params["affine.W"])
    assert_array_equal(b.final_params["affine.b"], chain_a.params["affine.b"])


def test_rate_and_batch_size_change_between_calls_and_the_epoch_still_closes():
    X, y = regression(N=10)
    _, trainer = linear_trainer(batch_size=2)
    first = trainer.run_steps(X, y, 3)  # rows 0-5 of the epoch's order
    assert (first.n_steps, first.t, first.epoch, first.epoch_loss) == (3, 3, 0, [])
    assert_array_equal(first.batch_size, [2, 2, 2])
    trainer.lr, trainer.batch_size = 0.01, 3
    assert trainer.lr == 0.01
    second = trainer.run_steps(X, y, 5)  # 4 rows left: batches of 3 and 1, then
    assert_array_equal(second.batch_size, [3, 1, 3, 3, 3])  # a new epoch
    assert_array_equal(second.lr, np.full(5, 0.01))
    assert second.epoch == 1 and len(second.epoch_loss) == 1
    h = trainer.history
    assert h.n_epochs == 1 and h.epoch_end_step[0] == 5  # after 2+2+2+3+1 rows
    J = h.step_loss[:5]
    assert_allclose(h.epoch_loss[0], J @ [2, 2, 2, 3, 1] / 10, rtol=1e-14)
    assert_allclose(second.J, h.step_loss[3:], rtol=0)
    with pytest.raises(ValueError, match="batch_size"):
        trainer.batch_size = 0
    with pytest.raises(ValueError, match="lr must be positive"):
        trainer.lr = -1.0


def test_new_data_starts_a_new_epoch_and_accuracy_is_counted():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 2))
    y = (X[:, 0] > 0).astype(float)
    chain = Chain([Affine(np.zeros((2, 1)), np.zeros(1))])
    trainer = Trainer(chain, BinaryCrossEntropy(from_logits=True), lr=0.5, batch_size=4)
    count = CountCorrect()
    out = trainer.run_steps(X, y, 2, n_correct=count)
    assert out.n_correct is not None and len(out.n_correct) == 2
    X2, y2 = X[:8].copy(), y[:8].copy()  # other data: the epoch starts over
    out = trainer.run_steps(X2, y2, 2, n_correct=count)
    assert out.epoch == 1 and trainer.history.epoch_end_step[0] == 4
    acc = trainer.history.accumulated_accuracy
    assert np.all((acc >= 0) & (acc <= 1)) and len(acc) == 4
    empty = trainer.run_steps(X2, y2, 0)
    assert empty.n_steps == 0 and len(empty.J) == 0 and empty.n_correct is None
    with pytest.raises(ValueError, match="n_steps"):
        trainer.run_steps(X2, y2, -1)


def test_divergence_in_run_steps_restores_the_last_finite_parameters():
    X, y = regression()
    chain, trainer = linear_trainer(batch_size=1, lr=1e6, snapshot_every=1)
    X = 1000.0 * X
    with pytest.raises(DivergenceError, match="the loss became"):
        trainer.run_steps(X, y, 500)
    assert all(np.isfinite(p).all() for p in chain.params.values())
    assert not np.isfinite(trainer.history.step_loss[-1])
    assert trainer._cursor is None  # the next call starts a fresh epoch
