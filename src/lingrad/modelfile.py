"""The 0.2 path of :mod:`lingrad.persist.modelfile` (the same module)."""

import sys

from lingrad.persist import modelfile

sys.modules[__name__] = modelfile
