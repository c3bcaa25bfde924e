"""The kernels' on-disk cache follows the formulas' source, not only their own.

numba's cache (``cache=True``) is keyed by the kernel file's own source and
timestamp, so an edited formula in ``core/losses.py``, ``core/nodes.py``,
``core/penalties.py``, ``training/optim.py``, ``training/schedules.py`` or
``solvers/proximal.py`` (compiled into the kernels) could load a stale kernel.
:func:`check_cache` hashes those modules' source and, when the hash differs
from the stamp stored beside the cache, removes the cached kernels first.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from pathlib import Path

import lingrad

PACKAGE = Path(lingrad.__file__).parent
FORMULAS = (
    "core/losses.py", "core/nodes.py", "core/penalties.py", "training/optim.py",
    "training/schedules.py", "solvers/proximal.py", "training/compiled/_jit.py",
)  # fmt: skip
CACHE = PACKAGE / "training" / "compiled" / "__pycache__"
STAMP = "formulas.stamp"


def source_hash(sources: Iterable[bytes]) -> str:
    """The SHA-256 of the formula modules' sources, in order."""
    h = hashlib.sha256()
    for source in sources:
        h.update(len(source).to_bytes(8, "little"))
        h.update(source)
    return h.hexdigest()


def formulas_hash(package: Path = PACKAGE) -> str:
    return source_hash((package / name).read_bytes() for name in FORMULAS)


def check_cache(cache: Path = CACHE, stamp: str | None = None) -> bool:
    """Remove the cached kernels (``*.nbi``, ``*.nbc``) when the formulas' hash
    is not the stamp's; returns True when it removed them. Never fails: a cache
    that cannot be read or written is numba's to rebuild."""
    stamp = formulas_hash() if stamp is None else stamp
    path = cache / STAMP
    with contextlib.suppress(OSError):
        if path.read_text(encoding="ascii") == stamp:
            return False
    removed = False
    with contextlib.suppress(OSError):
        for f in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            f.unlink(missing_ok=True)
            removed = True
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(stamp, encoding="ascii")
    return removed
