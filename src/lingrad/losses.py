"""The 0.2 path of :mod:`lingrad.core.losses` (the same module)."""

import sys

from lingrad.core import losses

sys.modules[__name__] = losses
