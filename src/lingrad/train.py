"""The 0.2 path of :mod:`lingrad.training.train` (the same module)."""

import sys

from lingrad.training import train

sys.modules[__name__] = train
