"""``python -m lingrad.training.compiled.precompile [--nice] [DTYPE ...]``: compile
the kernels now (tiny compiled fits of the default losses, per dtype) and mark
numba's cache filled.

:mod:`lingrad.training.compiled.warm` runs it in the background for a cold
``engine="auto"`` fit; after installing, run it once in a terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.training.compiled import warm

# the losses of LinearRegression and LogisticRegression, whose kernels are compiled
DEFAULT_LOSSES = (SquaredError(), BinaryCrossEntropy(from_logits=True))


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One compile per cache folder at a time (others wait, then find the marker)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: compiles may overlap (numba writes atomically)
        yield
        return
    try:
        handle = open(folder / "lingrad-compile.lock", "a")  # noqa: SIM115
    except OSError:  # a read-only cache folder: nothing to write to anyway
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def compile_kernel(dtype: DTypeLike) -> Path | None:
    """Compile (or load) the kernels for ``dtype`` with tiny fits (one per loss of
    ``DEFAULT_LOSSES``); mark the cache."""
    from lingrad.core.chain import Chain
    from lingrad.core.nodes import Affine
    from lingrad.training.train import Trainer

    name = np.dtype(dtype).name
    path = warm.marker(name)
    folder = path.parent if path is not None else None
    with _lock(folder) if folder is not None else contextlib.nullcontext():
        if path is not None and path.exists():
            return path
        rng = np.random.default_rng(0)
        X = rng.standard_normal((4, 2)).astype(name)
        y = (X[:, 0] > 0).astype(name)
        for loss in DEFAULT_LOSSES:  # one kernel per loss form
            chain = Chain([Affine.init(2, 1, rng, dtype=name)])
            trainer = Trainer(chain, loss, engine="compiled")
            trainer.fit(X, y, max_iter=1, tol=None)
        if path is not None:
            with contextlib.suppress(OSError):  # a read-only cache: no marker
                path.write_text("run_batches compiled\n")
    warm.note_ready(name)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m lingrad.training.compiled.warm [--nice] [DTYPE ...]``: compile now
    (float64 and float32 by default; ``--nice``: at low priority)."""
    args = sys.argv[1:] if argv is None else argv
    if "--nice" in args:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(10)  # in the background: below the fit that runs meanwhile
    dtypes = [a for a in args if a != "--nice"] or ["float64", "float32"]
    for dtype in dtypes:
        path = compile_kernel(dtype)
        where = path.parent if path is not None else "no cache (NUMBA_DISABLE_JIT)"
        print(f"lingrad: the {dtype} kernel is compiled; cache: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
