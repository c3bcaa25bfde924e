"""Learning-rate schedules: closed forms at given steps, the adaptive rule, names."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lingrad.training.schedules import (
    Adaptive,
    Constant,
    Exponential,
    FunctionSchedule,
    InverseTime,
    StepDecay,
    make_schedule,
)


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 10**6), st.floats(1e-4, 10.0))
def test_closed_forms(t, lr):
    assert Constant(lr)(t) == lr
    assert_allclose(InverseTime(lr, k=0.01)(t), lr / (1 + 0.01 * t), rtol=1e-14)
    assert_allclose(InverseTime(lr, k=0.1, power=0.5)(t), lr / math.sqrt(1 + 0.1 * t))
    assert_allclose(StepDecay(lr, drop=0.5, every=7)(t), lr * 0.5 ** (t // 7))
    assert_allclose(Exponential(lr, gamma=0.9, every=10)(t), lr * 0.9 ** (t / 10))


def test_decaying_schedules_start_at_lr_and_decrease():
    for s in (InverseTime(0.3), StepDecay(0.3, every=5), Exponential(0.3, every=3)):
        rates = np.array([s(t) for t in range(100)])
        assert rates[0] == 0.3
        assert np.all(np.diff(rates) <= 0) and rates[-1] < 0.3


def test_adaptive_divides_by_five_after_patience_bad_epochs():
    s = Adaptive(1.0, patience=2, tol=1e-3, min_lr=0.05)
    for loss in (1.0, 0.5, 0.25):  # improving: the rate stays
        s.epoch_end(loss)
    assert s(123) == 1.0
    s.epoch_end(0.2499)  # improves by less than tol: bad epoch 1
    assert s(0) == 1.0
    s.epoch_end(0.30)  # bad epoch 2: lr /= 5, count restarts
    assert_allclose(s(0), 0.2)
    assert not s.exhausted
    s.epoch_end(0.3)
    s.epoch_end(0.3)
    assert_allclose(s(0), 0.04)
    assert s.exhausted  # below min_lr: the trainer stops


def test_make_schedule_names_aliases_and_objects():
    assert isinstance(make_schedule("constant", 0.1), Constant)
    assert isinstance(make_schedule("invscaling", 0.1), InverseTime)
    assert isinstance(make_schedule("inverse_time", 0.1, k=2.0), InverseTime)
    assert isinstance(make_schedule("step", 0.1, every=3), StepDecay)
    assert isinstance(make_schedule("exponential", 0.1), Exponential)
    assert isinstance(make_schedule("adaptive", 0.1), Adaptive)
    s = StepDecay(0.2)
    assert make_schedule(s, 0.5) is s  # an object keeps its own lr
    f = make_schedule(lambda t: 1.0 / (1 + t), 0.5)
    assert isinstance(f, FunctionSchedule) and f(3) == 0.25 and f.lr == 1.0
    with pytest.raises(ValueError, match="schedule must be one of"):
        make_schedule("optimal", 0.1)
    with pytest.raises(ValueError, match="lr must be positive"):
        make_schedule("constant", 0.0)
    with pytest.raises(ValueError, match="every"):
        StepDecay(0.1, every=0)


def test_adaptive_state_dict_round_trip_continues_exactly():
    s = Adaptive(1.0, patience=2, tol=1e-3, min_lr=1e-3)
    for loss in (1.0, 0.9, 0.95):  # one bad epoch counted, best 0.9
        s.epoch_end(loss)
    state = s.state_dict()
    assert state == {"lr": 1.0, "lr_now": 1.0, "best": 0.9, "bad_epochs": 1}
    fresh = Adaptive(1.0, patience=2, tol=1e-3, min_lr=1e-3)
    fresh.load_state_dict(state)
    for sched in (s, fresh):
        for loss in (0.95, 0.95, 0.95, 0.95):
            sched.epoch_end(loss)
    assert fresh.state_dict() == s.state_dict()
    assert fresh(0) == s(0) == 1.0 * 0.2 * 0.2


def test_schedule_state_dict_is_a_copy_and_set_lr_travels():
    s = InverseTime(0.5, k=0.1)
    state = s.state_dict()
    s.set_lr(0.25)
    assert state == {"lr": 0.5}  # a copy: later changes do not reach it
    fresh = InverseTime(0.5, k=0.1)
    fresh.load_state_dict(s.state_dict())
    assert fresh.rates(3, 4).tolist() == s.rates(3, 4).tolist()


def test_load_state_dict_refuses_another_schedules_state():
    with pytest.raises(ValueError, match="Adaptive's state holds"):
        Adaptive(1.0).load_state_dict({"lr": 1.0})
    with pytest.raises(ValueError, match="Constant.lr: holds"):
        Constant(1.0).load_state_dict({"lr": "fast"})
    with pytest.raises(TypeError, match="function schedule"):
        FunctionSchedule(lambda t: 0.1).state_dict()
