"""Output folders published all at once: a reader sees the old set of files or the
new one, never a mix, and a failed or interrupted command leaves nothing behind.

How (:func:`staged_output`):

1. A lock: ``.<name>.lingrad-lock`` beside ``OUT`` (``flock``, released by the
   kernel when the process dies, even by ``kill -9``); a second run on the same
   ``OUT`` fails at once, naming the first one's pid.
2. Leftovers of killed runs (``.<name>.lingrad-stage-*``, ``-old-*``) are removed
   under the lock (a set moved aside by an interrupted publish is moved back).
3. The files are written into ``.<name>.lingrad-stage-XXXXXXXX`` beside ``OUT``:
   the same folder, hence the same filesystem (a rename, never a copy).
4. Publish: a new ``OUT`` is one ``rename``; an existing one is swapped with the
   stage in one ``renameat2(RENAME_EXCHANGE)`` (Linux), then the old set is
   removed. Where the exchange is not available, two renames (``OUT`` aside, the
   stage in); a kill between them is repaired by the next run.

A non-empty ``OUT`` is refused unless ``force``: then it is replaced whole, or
with ``keep_others`` (``demo``) only the files lingrad wrote there are, as its
manifest lists them (:mod:`lingrad.workflows.keep`); the others are carried into the
new set as hard links before the swap, so none is ever without its name.

``OUT`` a symlink to a folder: that folder is replaced, the link stays. ``OUT``
itself a mount point, the current folder, or in a parent that cannot be written:
the stage goes inside ``OUT`` and the files are moved in one by one (not atomic).
Folders and files get the umask's modes (an existing ``OUT`` keeps its own).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lingrad.errors import LingradError
from lingrad.workflows import keep as _keep

try:
    import fcntl

    FLOCK = True
except ImportError:  # pragma: no cover - Windows: no lock (one run at a time)
    FLOCK = False

_TEMP = re.compile(r"\.lingrad-(stage|old)-[a-z0-9_]{8}$")


def publish_always() -> None:
    """The default :data:`before_publish`: nothing stops a publish."""


#: Called between a command's last write and the publish; raising abandons the
#: stage. The command line sets it to re-raise a Ctrl-C that a library swallowed.
before_publish: Callable[[], None] = publish_always


def umask_mode(mode: int = 0o777) -> int:
    """``mode`` less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


@contextmanager
def staged_output(
    out: Path, *, force: bool = False, keep_others: bool = False
) -> Iterator[Path]:
    """Yield a folder to write a command's files into; publish it as ``out`` when
    the block succeeds, remove it when the block fails.

    An existing ``out`` must be empty, unless ``force``: then it is replaced whole,
    or with ``keep_others`` only the files lingrad wrote there are (the others are
    carried into the new set, see :mod:`lingrad.workflows.keep`).
    Raises :class:`LingradError` when ``out`` cannot be used or another run holds it.
    """
    out = Path(out)
    if out.is_symlink():  # replace the folder it points to; the link stays
        out = Path(os.path.realpath(out))
    if out.exists() and not out.is_dir():
        raise LingradError(f"{out} is a file, not a folder; give a folder for --out")
    parent = out.absolute().parent
    blocker = next((p for p in [parent, *parent.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise LingradError(
            f"cannot create output folder {out}: {blocker} is a file; "
            "choose another folder"
        )
    existing = blocker  # the deepest folder that exists already: keep it
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cannot_write(out, e) from e
    in_place = _in_place(out, parent)
    home = out if in_place else parent
    prefix = "" if in_place else f".{out.name}"
    if not os.access(home, os.W_OK | os.X_OK) or (
        out.is_dir() and not os.access(out, os.W_OK | os.X_OK)
    ):
        _remove_created(parent, existing)
        raise LingradError(
            f"output folder {out} is not writable; choose another folder or fix its "
            "permissions"
        )
    try:
        lock = _Lock(home / f"{prefix}.lingrad-lock", out)
    except BaseException:
        _remove_created(parent, existing)
        raise
    stage = None
    try:
        _clean_leftovers(home, prefix, out, in_place)
        _check_replaceable(out, force, keep_others)
        stage = Path(tempfile.mkdtemp(prefix=f"{prefix}.lingrad-stage-", dir=home))
        os.chmod(stage, _mode_of(out))
        yield stage
        before_publish()
        if keep_others:
            _keep.write_manifest(stage)
            if out.is_dir():
                _keep.carry_others(out, stage, _ours)
        _sync_tree(stage)
        if in_place:
            _publish_in_place(stage, out)
        else:
            _publish_swap(stage, out)
        stage = None
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if not in_place:
            lock.release()
            _remove_created(parent, existing)
        raise
    finally:
        lock.release()


# ------------------------------------------------------------------ checks


def refuse_to_replace_input(out: Path, data: Path) -> None:
    """``--force`` replaces all of ``out``: not when it holds the input data, nor
    the current folder or one of its parents."""
    real = out.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise LingradError(
            f"--force would replace all of {out}, the current folder (or one of its "
            "parents); give --out a folder of its own"
        )
    if real in data.resolve().parents:
        raise LingradError(
            f"--force would replace all of {out}, which holds the data file {data}; "
            "give --out a folder of its own"
        )


def _cannot_write(out: Path, e: OSError) -> LingradError:
    return LingradError(
        f"cannot write to output folder {out} ({e.strerror or e}); choose "
        "another folder or fix its permissions"
    )


def _in_place(out: Path, parent: Path) -> bool:
    """Whether the stage must go inside ``out``: ``out`` cannot be renamed (a mount
    point, another filesystem than its parent, the current folder or one of its
    parents) or its parent cannot be written."""
    if not out.is_dir():
        return False
    cwd = Path.cwd().resolve()
    real = out.resolve()
    if real == cwd or real in cwd.parents or os.path.ismount(out):
        return True
    if os.stat(out).st_dev != os.stat(parent).st_dev:
        return True
    return not os.access(parent, os.W_OK | os.X_OK)


def _ours(name: str) -> bool:
    return name == ".lingrad-lock" or _TEMP.search(name) is not None


def _check_replaceable(out: Path, force: bool, keep_others: bool) -> None:
    if not out.is_dir():
        return
    hidden = {_keep.MANIFEST} if keep_others else set()
    names = sorted(
        p.name for p in out.iterdir() if not _ours(p.name) and p.name not in hidden
    )
    if not names or force:
        return
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    what = (
        "only the files lingrad wrote there; the others are kept"
        if keep_others
        else "all of it"
    )
    raise LingradError(
        f"output folder {out} is not empty ({shown}); add --force to replace it "
        f"({what}), or choose a new folder"
    )


def _mode_of(out: Path) -> int:
    """An existing folder's mode; else 0o777 less the umask."""
    try:
        return os.stat(out).st_mode & 0o7777
    except OSError:
        return umask_mode(0o777)


def _remove_created(folder: Path, existing: Path | None) -> None:
    """Remove the folders made for the output, up to (not including) ``existing``."""
    for p in [folder, *folder.parents]:
        if p == existing:
            return
        try:
            p.rmdir()
        except OSError:
            return


# ------------------------------------------------------------------ the lock


class _Lock:
    """An exclusive ``flock`` on ``path``; the file is removed on release."""

    def __init__(self, path: Path, out: Path) -> None:
        self.path, self.fd = path, -1
        for _ in range(10):
            fd = os.open(
                path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666
            )
            try:
                if FLOCK:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                pid = _read_pid(fd)
                os.close(fd)
                if e.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise _cannot_write(out, e) from e
                by = f" (pid {pid})" if pid else ""
                raise LingradError(
                    f"another lingrad run{by} is writing to {out}; wait for it to "
                    "finish or choose another --out"
                ) from None
            try:  # the file we locked is still the one at ``path``?
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self.fd = fd
                return
            os.close(fd)  # removed by its last holder meanwhile: take the new one
        raise LingradError(f"cannot lock {path}; try again")

    def release(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self.fd)
            self.fd = -1


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return os.pread(fd, 32, 0).decode().strip()
    return ""


# ------------------------------------------------------------------ publish


def _clean_leftovers(home: Path, prefix: str, out: Path, in_place: bool) -> None:
    """Remove the temp folders of killed runs (we hold the lock: none is live).

    An ``-old-`` set whose ``out`` is missing was moved aside by a publish that
    was killed before the new set came in: it is moved back first.
    """
    pattern = re.compile(re.escape(prefix) + _TEMP.pattern)
    found = sorted(p for p in home.iterdir() if pattern.fullmatch(p.name))
    for p in found:
        if not in_place and "-old-" in p.name and not out.exists():
            os.rename(p, out)
        elif p.is_symlink() or not p.is_dir():
            p.unlink(missing_ok=True)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _sync_tree(folder: Path) -> None:
    """fsync the files and the folder: the swap never exposes unwritten data."""
    for p in [*folder.rglob("*"), folder]:
        _sync_dir(p)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system or filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange):
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            return False
        raise OSError(err, os.strerror(err), str(b))
    return True


def _publish_swap(stage: Path, out: Path) -> None:
    try:
        if not out.exists():
            os.rename(stage, out)
        elif _exchange(stage, out):
            shutil.rmtree(stage, ignore_errors=True)  # now the old set
        else:
            prefix = f".{out.name}.lingrad-old-"
            old = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
            os.rename(out, old)  # replaces the empty folder just made
            os.rename(stage, out)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        raise LingradError(
            f"cannot move the results into {out} ({e.strerror or e}); "
            "choose another folder"
        ) from e
    _sync_dir(out.parent)


def _publish_in_place(stage: Path, out: Path) -> None:
    """Replace ``out``'s entries by the stage's, one rename each (not atomic)."""
    old = Path(tempfile.mkdtemp(prefix=".lingrad-old-", dir=out))
    try:
        for p in sorted(out.iterdir()):
            if not _ours(p.name):
                os.rename(p, old / p.name)
        for p in sorted(stage.iterdir()):
            os.rename(p, out / p.name)
    except OSError as e:
        raise LingradError(
            f"cannot move the results into {out} ({e.strerror or e}); "
            "choose another folder"
        ) from e
    shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    _sync_dir(out)


def _sync_dir(folder: Path) -> None:
    """fsync a folder (or file); where the system cannot, nothing."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
