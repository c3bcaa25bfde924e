"""The 0.2 path of :mod:`lingrad.core.penalties` (the same module)."""

import sys

from lingrad.core import penalties

sys.modules[__name__] = penalties
