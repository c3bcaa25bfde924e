"""The 0.2 path of :mod:`lingrad.core.gradcheck` (the same module)."""

import sys

from lingrad.core import gradcheck

sys.modules[__name__] = gradcheck
