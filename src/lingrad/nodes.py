"""The 0.2 path of :mod:`lingrad.core.nodes` (the same module)."""

import sys

from lingrad.core import nodes

sys.modules[__name__] = nodes
