"""History: arrays per step and per epoch, strided snapshots, export round trip."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.training.history import History
from lingrad.training.train import Trainer


def linear_trainer(D=2, **kw):
    chain = Chain([Affine(np.zeros((D, 1)), np.zeros(1))])
    return chain, Trainer(chain, SquaredError(), lr=0.05, **kw)


def regression(N, D=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    return X, X @ rng.normal(size=D) + 1.0


@settings(deadline=None, max_examples=25)
@given(
    st.integers(1, 40),  # N
    st.one_of(st.none(), st.integers(1, 9)),  # batch size
    st.integers(1, 7),  # k
    st.integers(1, 3),  # epochs, each its own partial_fit
)
def test_snapshots_every_k_steps_hold_ceil_steps_over_k(N, m, k, epochs):
    X, y = regression(N)
    chain, trainer = linear_trainer(batch_size=m, snapshot_every=k, random_state=0)
    for _ in range(epochs):
        trainer.partial_fit(X, y)
    h = trainer.history
    S = epochs * -(-N // (N if m is None else min(m, N)))
    assert h.n_steps == len(h.step_loss) == S == trainer.t
    assert len(h.snapshot_step) == math.ceil(S / k)
    assert_array_equal(h.snapshot_step, np.arange(0, S, k))
    assert h.params["affine.W"].shape == (math.ceil(S / k), 2, 1)
    assert h.params["affine.b"].shape == (math.ceil(S / k), 1)
    recorded = ~np.isnan(h.grad_norm)  # gradient norms share the stride
    assert_array_equal(np.flatnonzero(recorded), np.arange(0, S, k))


def test_snapshots_are_the_parameters_before_each_update():
    X, y = regression(6)
    chain, trainer = linear_trainer(batch_size=1, shuffle=False, snapshot_every=1)
    trainer.partial_fit(X, y)
    h = trainer.history
    assert_array_equal(h.params["affine.W"][0], np.zeros((2, 1)))  # the init
    W, b = h.params["affine.W"], h.params["affine.b"]
    for s in range(6):  # the snapshot reproduces the loss recorded at that step
        pred = X[s] @ W[s] + b[s]
        assert_allclose(h.step_loss[s], (y[s] - pred[0]) ** 2, rtol=1e-13)
        dJ_dpred = -2 * (y[s] - pred[0])
        norm = np.sqrt(np.sum((dJ_dpred * X[s]) ** 2) + dJ_dpred**2)
        assert_allclose(h.grad_norm[s], norm, rtol=1e-12)
    assert_array_equal(h.final_params["affine.W"], chain.params["affine.W"])
    assert h.final_params["affine.W"] is not chain.params["affine.W"]  # a copy


def test_no_snapshots_unless_asked():
    X, y = regression(10)
    _, trainer = linear_trainer(batch_size=2)
    trainer.partial_fit(X, y)
    h = trainer.history
    assert h.params == {} and len(h.snapshot_step) == 0
    assert np.isnan(h.grad_norm).all() and len(h.grad_norm) == 5
    assert isinstance(h.step_loss, np.ndarray) and h.step_loss.dtype == np.float64


def test_buffers_grow_past_their_first_capacity():
    h = History(snapshot_every=1)
    for t in range(100):
        h.add_snapshot(t, {"w": np.full(3, float(t))})
        h.add_steps([t], [0.1], [1], [t % 2], [np.nan])
        h.add_epoch(float(t))
    assert_array_equal(h.params["w"][:, 0], np.arange(100))
    assert_array_equal(h.step_loss, np.arange(100))
    assert_array_equal(h.epoch_end_step, np.arange(1, 101))


def test_accumulated_accuracy_is_the_lectures_running_share():
    h = History()
    correct = np.array([0, 1, 1, 0, 1, 1])
    h.add_steps(np.zeros(6), np.full(6, 0.1), np.ones(6), correct)
    acc_track, n_correct = [], 0  # the lecture's loop
    for data_idx, hit in enumerate(correct):
        n_correct += hit
        acc_track.append(n_correct / (data_idx + 1))
    assert_allclose(h.accumulated_accuracy, acc_track, rtol=1e-15)
    h.add_steps([0.0], [0.1], [4], [3])  # a batch of 4 with 3 hits
    assert_allclose(h.accumulated_accuracy[-1], 7 / 10)


def test_accumulated_accuracy_is_nan_when_not_tracked():
    h = History()
    h.add_steps(np.zeros(3), np.ones(3), np.ones(3))
    assert np.isnan(h.accumulated_accuracy).all()


def test_export_round_trip(tmp_path):
    X, y = regression(12)
    _, trainer = linear_trainer(batch_size=4, snapshot_every=2, random_state=1)
    trainer.fit(X, y, max_iter=3, tol=None)
    h = trainer.history
    d = h.to_dict()
    assert all(isinstance(v, np.ndarray) for v in d.values())
    assert {"step_loss", "epoch_loss", "params/affine.W", "final/affine.b"} <= set(d)
    path = tmp_path / "history.npz"
    h.save_npz(path)
    back = History.load_npz(path)
    assert back.snapshot_every == 2 and back.n_epochs == 3 and back.n_steps == 9
    d2 = back.to_dict()
    assert set(d2) == set(d)
    for key in d:
        assert_array_equal(d2[key], d[key])


def test_rejects_bad_stride():
    with pytest.raises(ValueError, match="snapshot_every"):
        History(snapshot_every=0)


@settings(deadline=None, max_examples=30)
@given(
    st.integers(1, 12),  # max_steps
    st.lists(st.integers(0, 9), min_size=1, max_size=8),  # steps per add_steps call
    st.integers(0, 2**32 - 1),
)
def test_max_steps_keeps_an_even_subsample_and_exact_running_totals(cap, runs, seed):
    rng = np.random.default_rng(seed)
    full, h = History(max_steps=None), History(max_steps=cap)
    for S in runs:
        J, m = rng.normal(size=S), rng.integers(1, 5, size=S)
        hits = rng.integers(0, 2, size=S) * m
        for record in (full, h):
            record.add_steps(J, np.full(S, 0.1), m, hits)
        h.add_epoch(float(J.mean()) if S else 0.0)
    total = sum(runs)
    assert h.n_steps == full.n_steps == total
    assert len(h.step_loss) <= cap and (total <= cap or len(h.step_loss) > cap // 2)
    stride = h.step_stride
    assert stride & (stride - 1) == 0  # a power of two
    assert_array_equal(h.step_index, np.arange(0, total, stride))
    assert_array_equal(h.step_loss, full.step_loss[h.step_index])
    assert_array_equal(h.step_batch_size, full.step_batch_size[h.step_index])
    assert_allclose(
        h.accumulated_accuracy, full.accumulated_accuracy[h.step_index], rtol=1e-15
    )
    assert_array_equal(h.epoch_end_step, np.cumsum(runs))  # epochs are all kept


def test_max_snapshots_decimates_evenly_and_the_trainer_takes_a_history():
    X, y = regression(40)
    chain = Chain([Affine(np.zeros((2, 1)), np.zeros(1))])
    history = History(snapshot_every=1, max_steps=25, max_snapshots=10)
    trainer = Trainer(chain, SquaredError(), lr=0.05, history=history)
    trainer.fit(X, y, max_iter=2, tol=None)
    h = trainer.history
    assert h is history and h.n_steps == 80
    assert_array_equal(h.step_index, np.arange(0, 80, 4))  # 80 → 40 → 20 kept
    assert_array_equal(h.snapshot_step, np.arange(0, 80, 8))  # 80 → ... → 10 kept
    assert h.params["affine.W"].shape == (10, 2, 1)
    assert_array_equal(h.epoch_end_step, [40, 80])
    back = History.from_dict(h.to_dict())
    back.add_steps(np.zeros(4), np.zeros(4), np.ones(4))
    assert_array_equal(back.step_index, np.arange(0, 84, 4))
    with pytest.raises(ValueError, match="max_steps"):
        History(max_steps=0)


def test_files_written_before_step_index_still_load():
    h = History()
    h.add_steps(np.arange(3.0), np.ones(3), [1, 2, 1], [1, 0, 1])
    d = h.to_dict()
    old = {k: v for k, v in d.items() if not k.startswith(("count/", "step_cum"))}
    del old["step_index"], old["max_steps"], old["max_snapshots"]
    back = History.from_dict(old)
    assert_array_equal(back.step_index, [0, 1, 2])
    assert_allclose(back.accumulated_accuracy, [1, 1 / 3, 2 / 4])
    assert back.n_steps == 3


@pytest.mark.parametrize("engine", ["nodes", "compiled"])
def test_snapshots_of_a_wide_model_stay_within_their_byte_budget(monkeypatch, engine):
    """snapshot_every=1 on a model of 2**14 weights: the History keeps at most
    MAX_SNAPSHOT_BYTES of snapshots (evenly spread), and training holds no more
    than that plus one engine call's share (an epoch's records used to keep
    every snapshot: a million weights and snapshot_every=1 ran out of memory)."""
    import tracemalloc

    from lingrad.training import history as history_module
    from lingrad.training import train as train_module

    D, N = 2**14, 600
    row = D * 8 + 8  # one snapshot: W (D, 1) and b (1,)
    monkeypatch.setattr(history_module, "MAX_SNAPSHOT_BYTES", 8 * row)
    monkeypatch.setattr(train_module, "SNAPSHOT_BYTES", 4 * row)
    rng = np.random.default_rng(0)
    X = np.zeros((N, D))
    X[np.arange(N), rng.integers(0, D, N)] = 1.0
    y = rng.normal(size=N)

    def fit(snapshot_every):  # (the trainer, the peak of traced memory)
        chain = Chain([Affine(np.zeros((D, 1)), np.zeros(1))])
        trainer = Trainer(chain, SquaredError(), lr=0.05, engine=engine,
                          snapshot_every=snapshot_every, shuffle=False)  # fmt: skip
        tracemalloc.start()
        try:
            trainer.fit(X, y, max_iter=1, tol=None)
            return trainer, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    baseline = fit(None)[1]  # first: the compiled path's imports are traced too
    trainer, peak = fit(1)
    h = trainer.history
    assert 4 <= len(h.snapshot_step) <= 8
    assert_array_equal(np.diff(h.snapshot_step), h.snapshot_step[1])  # evenly
    assert sum(p.nbytes for p in h.params.values()) <= 8 * row
    assert peak - baseline < 60 * row  # N = 600 snapshots would be 600 rows
