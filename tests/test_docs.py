"""docs/architecture.md names real code: every ``lingrad.x.y`` it quotes resolves,
every package of src/lingrad has a row in its table, and the picture's package
arrows agree with what the modules import."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SRC = ROOT / "src" / "lingrad"


def resolve(dotted: str) -> object:
    """The object a dotted ``lingrad.module.Name.attr`` path names."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _table() -> dict[str, str]:
    """package -> its "may import" cell, from the layout table."""
    rows = re.findall(r"^\| `lingrad\.(\w+)` \|.*\| ([^|]+) \|$", _text(), re.M)
    return {name: cell for name, cell in rows}


def _text() -> str:
    return ARCHITECTURE.read_text(encoding="utf-8")


def _imports(package: str) -> set[str]:
    """The other lingrad packages that the modules of ``package`` import."""
    found = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "lingrad" and len(parts) > 1 and parts[1] != package:
                    if (SRC / parts[1]).is_dir():
                        found.add(parts[1])
    return found


def test_architecture_names_real_code():
    names = set(re.findall(r"`(lingrad(?:\.\w+)+)`", _text()))
    assert len(names) > 50
    for dotted in sorted(names):
        assert resolve(dotted) is not None, dotted


def test_architecture_table_has_every_package():
    packages = {
        p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()
    }  # fmt: skip
    assert set(_table()) == packages


def test_architecture_says_what_each_package_imports():
    """Each package imports only what its row's "may import" cell names (a cell
    that says "everything below it" is checked by the picture's rows instead)."""
    for package, cell in _table().items():
        if "everything below" in cell:
            continue
        allowed = set(re.findall(r"\b([a-z]+)\b(?:\.\w+)?", cell))
        extra = _imports(package) - allowed
        assert not extra, f"{package} imports {sorted(extra)}; the table says {cell}"
