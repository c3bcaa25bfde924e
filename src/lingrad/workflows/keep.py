"""``--force`` that replaces only lingrad's files: the others are carried into the
new set as hard links, so they are never without a name in ``OUT``.

A staged folder published with ``keep_others`` holds ``.lingrad-manifest``: the
files lingrad wrote there (relative paths, one per line). The next ``--force``
replaces those and the files the new run writes; every other file (the user's,
also in sub-folders) is linked into the stage before the swap, so the published
set holds it unchanged, and a kill at any moment leaves it in place (the stage's
links are removed by the next run, the originals stay). Where a hard link is not
possible (another filesystem, a protected file) the file is copied.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from lingrad.errors import LingradError

MANIFEST = ".lingrad-manifest"


def write_manifest(stage: Path) -> None:
    """List every file in ``stage`` (lingrad's outputs) in its manifest."""
    names = sorted(
        str(p.relative_to(stage))
        for p in stage.rglob("*")
        if not p.is_dir() and p.name != MANIFEST
    )
    (stage / MANIFEST).write_text("".join(f"{n}\n" for n in names), encoding="utf-8")


def read_manifest(folder: Path) -> set[str]:
    """The files lingrad wrote in ``folder`` (none known: an empty set)."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return {line for line in text.splitlines() if line}


def carry_others(out: Path, stage: Path, skip: Callable[[str], bool]) -> None:
    """Link every file of ``out`` that lingrad did not write (not in its manifest,
    not written by this run) into ``stage`` at the same place.

    ``skip``: whether a top-level name is lingrad's machinery (lock, stages).
    Without a manifest (a folder of an older lingrad), a file named like one of
    this run's outputs is taken for lingrad's. :class:`LingradError` when a file
    known not to be lingrad's sits where the new run writes: nothing is
    replaced then.
    """
    known = (out / MANIFEST).is_file()
    ours = read_manifest(out)
    made: list[Path] = []
    for folder, dirs, files in os.walk(out):  # symlinks to folders: as files
        here = Path(folder)
        rel_folder = here.relative_to(out)
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links and not (here == out and skip(d))]
        for name in sorted(dirs):
            target = stage / rel_folder / name
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                _refuse(here / name)
            if not target.exists():
                target.mkdir()
                made.append(target)
                os.chmod(target, stat.S_IMODE(os.lstat(here / name).st_mode))
        for name in sorted([*files, *links]):
            rel = str(rel_folder / name)
            if (here == out and (skip(name) or name == MANIFEST)) or rel in ours:
                continue
            target = stage / rel
            if os.path.lexists(target):
                if known or target.is_dir():
                    _refuse(here / name)
                continue  # an older lingrad's output: the new file replaces it
            _link(here / name, target)
    for folder_made in reversed(made):  # held only lingrad's files: not kept
        source = out / folder_made.relative_to(stage)
        if not any(folder_made.iterdir()) and any(source.iterdir()):
            folder_made.rmdir()


def _refuse(path: Path) -> None:
    raise LingradError(
        f"--force would replace {path}, which lingrad did not write; move it away "
        "or choose another --out"
    )


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)
