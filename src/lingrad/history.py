"""The 0.2 path of :mod:`lingrad.training.history` (the same module)."""

import sys

from lingrad.training import history

sys.modules[__name__] = history
