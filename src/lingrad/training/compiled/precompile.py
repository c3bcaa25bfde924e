"""``python -m lingrad.training.compiled.precompile [--nice] [DTYPE[:LOSS:ACT] ...]``:
compile the kernels now and mark numba's cache filled.

A ``DTYPE`` alone: the forms of the default losses (squared error, log-loss);
``DTYPE:LOSS:ACT``: the kernel of that form (``warm.key``), typed as a tiny
squared-error fit's kernel is, with the form's constants.

:mod:`lingrad.training.compiled.warm` runs it in the background for a cold
``engine="auto"`` fit; after installing, run it once in a terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from lingrad.core.loss_base import Loss
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.training.compiled import warm
from lingrad.training.compiled.plan import I_ACT, I_LOSS, plan_for
from lingrad.training.compiled.warm import Form, _disabled

# the losses of LinearRegression and LogisticRegression: a DTYPE alone compiles these
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


def _tiny_fit(name: str, loss: Loss) -> Form:
    """A compiled fit of a few rows (the kernel compiles or loads); its form."""
    from lingrad.core.chain import Chain
    from lingrad.core.nodes import Affine
    from lingrad.training.train import Trainer

    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 2)).astype(name)
    y = (X[:, 0] > 0).astype(name)
    trainer = Trainer(
        Chain([Affine.init(2, 1, rng, dtype=name)]), loss, engine="compiled"
    )
    trainer.fit(X, y, max_iter=1, tol=None)
    plan = plan_for(trainer.chain, loss, None, trainer.optimizer, None)[0]
    assert plan is not None  # a chain and loss the kernels cover
    return int(plan.icfg[I_LOSS]), int(plan.icfg[I_ACT])


def _compile_form(name: str, form: Form) -> None:
    """The kernel for ``form``: a tiny squared-error fit's signature, retyped."""
    from numba import from_dtype

    _tiny_fit(name, DEFAULT_LOSSES[0])
    kernel = warm.kernel()
    if _disabled():  # NUMBA_DISABLE_JIT: nothing compiles
        return
    numba_dtype = from_dtype(np.dtype(name))
    signatures: list[Any] = kernel.signatures  # numba types, read by position
    sig = next(s for s in signatures if s[1].types[0].dtype == numba_dtype)
    kernel.compile((*sig[:-2], *warm.form_types(form)))


def compile_kernel(dtype: DTypeLike, form: Form | None = None) -> Path | None:
    """Compile (or load) the kernel for ``dtype`` and ``form`` (None: the default
    losses' forms); mark the cache."""
    name = np.dtype(dtype).name
    probe = warm.marker(name, form or (0, 0))  # beside numba's files: the folder
    path = None
    with _lock(probe.parent) if probe is not None else contextlib.nullcontext():
        if form is None:
            forms = [_tiny_fit(name, loss) for loss in DEFAULT_LOSSES]
        else:
            forms = [form]
            if probe is None or not probe.exists():
                _compile_form(name, form)
        for f in forms:
            path = warm.marker(name, f)
            if path is not None and not path.exists():
                with contextlib.suppress(OSError):  # a read-only cache: no marker
                    path.write_text("run_batches compiled\n")
            warm.note_ready(name, f)
    return path


def main(argv: list[str] | None = None) -> int:
    """Compile each ``DTYPE[:LOSS:ACT]`` named now (float64 and float32 by default;
    ``--nice``: at low priority)."""
    args = sys.argv[1:] if argv is None else argv
    if "--nice" in args:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(10)  # in the background: below the fit that runs meanwhile
    names = [a for a in args if a != "--nice"] or ["float64", "float32"]
    for arg in names:
        dtype, *rest = arg.split(":")
        form = (int(rest[0]), int(rest[1])) if len(rest) == 2 else None
        path = compile_kernel(dtype, form)
        where = path.parent if path is not None else "no cache (NUMBA_DISABLE_JIT)"
        print(f"lingrad: the {arg} kernel is compiled; cache: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
