"""The 0.2 path of :mod:`lingrad.training.optim` (the same module)."""

import sys

from lingrad.training import optim

sys.modules[__name__] = optim
