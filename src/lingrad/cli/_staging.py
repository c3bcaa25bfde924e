"""Output folders written all at once: a failed command leaves no files behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lingrad.errors import LingradError


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Write a command's files into a hidden folder next to ``out``; move them into
    ``out`` only when the block succeeds. On failure nothing is left behind."""
    out = Path(out)
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
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as e:
        _remove_created(parent, existing)
        raise LingradError(
            f"cannot write to output folder {out} ({e.strerror or e}); choose "
            "another folder or fix its permissions"
        ) from e
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        shutil.rmtree(stage, ignore_errors=True)
        _remove_created(parent, existing)
        raise LingradError(
            f"output folder {out} is not writable; choose another folder or fix its "
            "permissions"
        )
    try:
        yield stage
        _publish(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_created(parent, existing)
        raise


def _publish(stage: Path, out: Path) -> None:
    """Move the staged files into ``out`` (a rename when ``out`` does not exist)."""
    try:
        if not out.exists():
            os.replace(stage, out)
            return
        for item in sorted(stage.iterdir()):
            target = out / item.name
            if target.is_dir() and not item.is_dir():
                raise LingradError(f"{target} is a folder; cannot replace it")
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
        stage.rmdir()
    except OSError as e:
        raise LingradError(
            f"cannot move the results into {out} ({e.strerror or e}); "
            "choose another folder"
        ) from e


def _remove_created(folder: Path, existing: Path | None) -> None:
    """Remove the folders made for the output, up to (not including) ``existing``."""
    for p in [folder, *folder.parents]:
        if p == existing:
            return
        try:
            p.rmdir()
        except OSError:
            return
