"""Output files written atomically (temp file, fsync, ``os.replace``) and output
folders checked before anything is written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from lingrad.errors import LingradError

__all__ = [
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "ensure_writable_dir",
]


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create folder ``path`` if needed; raise :class:`LingradError` if it cannot be
    written (it is a file, or permissions forbid it)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise LingradError(f"{p} is a file, not a folder; give a folder for output")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LingradError(
            f"cannot create output folder {p} ({e.strerror}); choose another folder"
        ) from e
    if not os.access(p, os.W_OK | os.X_OK):
        raise LingradError(
            f"output folder {p} is not writable; choose another folder or fix its "
            "permissions"
        )
    return p


@contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing, atomically: a temp file in the same folder,
    fsync, ``os.replace``. On any error no partial file remains and an old file at
    ``path`` is left as it was."""
    p = Path(path)
    folder = ensure_writable_dir(p.parent)
    if p.is_dir():
        raise LingradError(f"{p} is a folder; give a file name to write")
    umask = os.umask(0)
    os.umask(umask)
    mode = p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise LingradError(f"cannot write {p} ({e.strerror or e})") from e
        raise
    with suppress(OSError):  # make the rename durable; not possible everywhere
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_open`)."""
    atomic_write_bytes(path, text.encode("utf-8"))
