"""``python -m lingrad.cli ...``."""

import sys

from lingrad.cli import main

sys.exit(main())
