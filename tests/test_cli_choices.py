"""The command line's fixed choices name what the library accepts."""

from lingrad.cli._choices import Optimizer, Schedule
from lingrad.training.optim import OPTIMIZERS
from lingrad.training.schedules import SCHEDULES


def test_fit_schedule_choices_are_the_library_s_schedules():
    assert {s.value for s in Schedule} == set(SCHEDULES)


def test_fit_optimizer_choices_are_the_library_s_optimizers():
    names = {o.value for o in Optimizer}
    assert names <= set(OPTIMIZERS)
    aliases = set(OPTIMIZERS) - names  # "sgd": another name of plain gd
    assert all(OPTIMIZERS[a] is OPTIMIZERS["gd"] for a in aliases), aliases
