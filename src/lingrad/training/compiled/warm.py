"""The kernels compiled in a background process, so a cold first fit need not wait.

numba compiles ``run_batches`` on its first call for each dtype and *form*, the
(loss form, activation) pair it is specialised on (seconds of CPU), and caches
it on disk (``cache=True``). :func:`ready` says whether a call would start at
once: the kernel is compiled in this process, or a background compile has
filled the cache (it leaves a *marker* beside numba's files, named after the
dtype, the form, the kernels' sources, the formulas' ``STAMP``, numba, Python
and the CPU). When it is not, :func:`start` runs ``python -m
lingrad.training.compiled.precompile DTYPE:LOSS:ACT`` (at low priority) and
``engine="auto"`` runs the node path meanwhile
(``lingrad.training.compiled.handover``). A compile still running
when this process exits is ended (no process outlives its parent; numba keeps
the functions it finished); ``python -m lingrad.training.compiled.precompile``
in a terminal compiles in the foreground, once per machine.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    from collections.abc import Callable

    from numba.core.dispatcher import Dispatcher

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parents[2]  # the folder that holds the lingrad package
_SOURCES = ("_jit.py", "_loop.py", "_rows.py", "_update.py", "prefetch.py")
_children: dict[str, subprocess.Popen[bytes]] = {}  # key -> background compile
_ready: set[str] = set()  # keys whose kernel this process knows is compiled
_owner = os.getpid()  # a forked child does not own its parent's compiles
Form: TypeAlias = tuple[int, int]  # (loss form, activation): plan's I_LOSS, I_ACT


def key(dtype: DTypeLike, form: Form) -> str:
    """``DTYPE:LOSS:ACT``, as :mod:`~lingrad.training.compiled.precompile` reads it."""
    return f"{np.dtype(dtype).name}:{form[0]}:{form[1]}"


def kernel() -> Dispatcher[Callable[..., tuple[int, int]]]:
    """``run_batches`` (imports numba, and loads ``compiled_stamp`` from the cache)."""
    from lingrad.training.compiled._loop import run_batches

    return run_batches


def _disabled() -> bool:
    from numba import config

    return bool(getattr(config, "DISABLE_JIT", False))


def marker(dtype: DTypeLike, form: Form) -> Path | None:
    """The marker of a filled cache for ``dtype`` and ``form`` (None: not cached)."""
    import llvmlite.binding as llvm
    import numba

    from lingrad.training.compiled._jit import STAMP

    stats = getattr(kernel(), "stats", None)
    if stats is None or not stats.cache_path:
        return None
    digest = hashlib.sha256()
    for name in _SOURCES:  # numba's own index is keyed on its file's mtime and size
        st = (_HERE / name).stat()
        digest.update(f"{name}:{st.st_mtime_ns}:{st.st_size};".encode())
        digest.update((_HERE / name).read_bytes())
    cpu = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
    digest.update(f"{STAMP}:{numba.__version__}:{sys.version}:{cpu}".encode())
    name = key(dtype, form).replace(":", "-")
    return Path(stats.cache_path) / f"lingrad-{name}-{digest.hexdigest()[:16]}.ready"


def _indexed(folder: Path) -> bool:
    """Whether numba's index of ``run_batches`` is in ``folder`` (not cleared)."""
    return any(folder.glob("*.run_batches-*.nbi"))


def form_types(form: Form) -> tuple[Any, Any]:
    """The numba types of ``form``'s two constants: the kernel's last arguments."""
    from lingrad.training.compiled._jit import Constant

    return Constant(form[0])._numba_type_, Constant(form[1])._numba_type_


def compiled_here(dtype: DTypeLike, form: Form) -> bool:
    """Whether this process holds the kernel for ``dtype`` and ``form``."""
    from numba import from_dtype

    want = (from_dtype(np.dtype(dtype)), *form_types(form))
    # numba types (data, params = (W, b), ..., loss, act), read by position
    signatures: list[Any] = kernel().signatures
    return any((sig[1].types[0].dtype, *sig[-2:]) == want for sig in signatures)


def ready(dtype: DTypeLike, form: Form) -> bool:
    """Whether the kernel for ``dtype`` and ``form`` runs without compiling:
    compiled in this process, or its cache filled by a finished background compile."""
    name = key(dtype, form)
    if name in _ready or _disabled():
        return True
    path = marker(dtype, form)
    cached = path is not None and path.exists() and _indexed(path.parent)
    if cached or compiled_here(dtype, form):
        _ready.add(name)
        return True
    return False


def start(dtype: DTypeLike, form: Form) -> bool:
    """Compile the kernel for ``dtype`` and ``form`` in a background process (once
    per process); False when none can run (a forked process, no Python executable)."""
    name = key(dtype, form)
    if name in _children or os.getpid() != _owner:
        return name in _children and os.getpid() == _owner
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}  # fmt: skip
    module = "lingrad.training.compiled.precompile"
    argv = [sys.executable, "-m", module, "--nice", name]
    if not _children:
        atexit.register(stop)
    try:
        _children[name] = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # an embedded interpreter: sys.executable is not Python
        return False
    return True


def finished(dtype: DTypeLike, form: Form) -> bool:
    """Whether the background compile for ``dtype`` and ``form`` filled the cache."""
    name = key(dtype, form)
    child = _children.get(name)
    if name in _ready:
        return True
    if child is None or os.getpid() != _owner or child.poll() is None:
        return False
    if child.returncode == 0:
        _ready.add(name)
    return name in _ready


def wait() -> dict[str, int]:
    """Wait for this process's background compiles; their exit codes by key."""
    return {name: child.wait() for name, child in _children.items()}


def stop() -> None:
    """End the background compiles still running (at exit) and reap them all."""
    if os.getpid() != _owner:
        return
    for child in _children.values():
        if child.poll() is None:
            child.terminate()
        child.wait()


def note_ready(dtype: DTypeLike, form: Form) -> None:
    """Record that the kernel for ``dtype`` and ``form`` is compiled in this process."""
    _ready.add(key(dtype, form))
