"""The 0.2 path of :mod:`lingrad.core.chain` (the same module)."""

import sys

from lingrad.core import chain

sys.modules[__name__] = chain
