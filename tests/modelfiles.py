"""Model files taken apart and put back together by the model-file tests: a
tampered file, and the one-line refusal it must get."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lingrad.errors import ModelFileError
from lingrad.persist.modelfile import Limits, load

Doc = dict[str, Any]  # a model.json document


def parts(path: Path) -> tuple[Doc, dict[str, bytes]]:
    """(model.json decoded, the other members' bytes by name)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return json.loads(members.pop("model.json")), members


def write(path: Path, doc: Doc | bytes, members: dict[str, bytes]) -> Path:
    """A model file: ``doc`` (or model.json's raw bytes) and ``members``."""
    text = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("model.json", text)
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def refused(path: Path, *words: str, limits: Limits | None = None) -> str:
    """The message ``load`` refuses ``path`` with: one line, naming the file and
    holding each of ``words``."""
    with pytest.raises(ModelFileError) as info:
        load(path, limits=limits)
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    for w in words:
        assert w in message, message
    return message
