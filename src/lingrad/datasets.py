"""The 0.2 path of :mod:`lingrad.data.datasets` (the same module)."""

import sys

from lingrad.data import datasets

sys.modules[__name__] = datasets
