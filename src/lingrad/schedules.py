"""The 0.2 path of :mod:`lingrad.training.schedules` (the same module)."""

import sys

from lingrad.training import schedules

sys.modules[__name__] = schedules
