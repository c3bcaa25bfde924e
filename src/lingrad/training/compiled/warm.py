"""The kernels compiled in a background process, so a cold first fit need not wait.

numba compiles ``run_batches`` on its first call (seconds of CPU; once per loss
form and activation) and caches it on disk (``cache=True``). :func:`ready`
says whether a call would start at once: the kernel is compiled in this
process, or a background compile has filled the cache (it leaves a *marker*
beside numba's files, named after the kernels' sources, the formulas'
``STAMP``, numba, Python and the CPU). When it is not, :func:`start` runs
``python -m lingrad.training.compiled.precompile DTYPE`` (tiny compiled fits of
the default losses, at low priority) and ``engine="auto"`` runs the node path
meanwhile (``lingrad.training.compiled.handover``). A compile still running
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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    from collections.abc import Callable

    from numba.core.dispatcher import Dispatcher

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parents[2]  # the folder that holds the lingrad package
_SOURCES = ("_jit.py", "_loop.py", "_rows.py", "_update.py", "prefetch.py")
_children: dict[str, subprocess.Popen[bytes]] = {}  # dtype -> background compile
_ready: set[str] = set()  # dtypes whose kernel this process knows is compiled
_owner = os.getpid()  # a forked child does not own its parent's compiles


def kernel() -> Dispatcher[Callable[..., tuple[int, int]]]:
    """``run_batches`` (imports numba, and loads ``compiled_stamp`` from the cache)."""
    from lingrad.training.compiled._loop import run_batches

    return run_batches


def _disabled() -> bool:
    from numba import config

    return bool(getattr(config, "DISABLE_JIT", False))


def marker(dtype: str) -> Path | None:
    """The marker of a filled cache for ``dtype`` (None: the kernel is not cached)."""
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
    return Path(stats.cache_path) / f"lingrad-{dtype}-{digest.hexdigest()[:16]}.ready"


def _indexed(folder: Path) -> bool:
    """Whether numba's index of ``run_batches`` is in ``folder`` (not cleared)."""
    return any(folder.glob("*.run_batches-*.nbi"))


def ready(dtype: DTypeLike) -> bool:
    """Whether the kernel for ``dtype`` runs without compiling: compiled in this
    process, or its cache filled by a finished background compile."""
    name = np.dtype(dtype).name
    if name in _ready or _disabled():
        return True
    from numba import from_dtype

    numba_dtype = from_dtype(np.dtype(dtype))
    # numba types (data, params = (W, b), ...), their fields read by name
    signatures: list[Any] = kernel().signatures
    path = marker(name)
    cached = path is not None and path.exists() and _indexed(path.parent)
    if cached or any(sig[1].types[0].dtype == numba_dtype for sig in signatures):
        _ready.add(name)
        return True
    return False


def start(dtype: DTypeLike) -> bool:
    """Compile the kernel for ``dtype`` in a background process (once per process);
    False when none can run (a forked process, no Python executable)."""
    name = np.dtype(dtype).name
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


def finished(dtype: DTypeLike) -> bool:
    """Whether the background compile for ``dtype`` has filled the cache."""
    name = np.dtype(dtype).name
    child = _children.get(name)
    if name in _ready:
        return True
    if child is None or os.getpid() != _owner or child.poll() is None:
        return False
    if child.returncode == 0:
        _ready.add(name)
    return name in _ready


def wait() -> dict[str, int]:
    """Wait for this process's background compiles; their exit codes by dtype."""
    return {name: child.wait() for name, child in _children.items()}


def stop() -> None:
    """End the background compiles still running (at exit) and reap them all."""
    if os.getpid() != _owner:
        return
    for child in _children.values():
        if child.poll() is None:
            child.terminate()
        child.wait()


def note_ready(dtype: DTypeLike) -> None:
    """Record that the kernel for ``dtype`` is compiled in this process."""
    _ready.add(np.dtype(dtype).name)
