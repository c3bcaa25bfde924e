"""The compiled kernels' disk cache follows the formula modules' source."""

from __future__ import annotations

from pathlib import Path

from lingrad.training.compiled import _stamp


def _package_copy(tmp_path: Path) -> Path:
    root = tmp_path / "lingrad"
    for name in _stamp.FORMULAS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((_stamp.PACKAGE / name).read_bytes())
    return root


def test_an_edited_formula_changes_the_hash(tmp_path: Path) -> None:
    root = _package_copy(tmp_path)
    before = _stamp.formulas_hash(root)
    assert before == _stamp.formulas_hash(_stamp.PACKAGE)
    losses = root / "core" / "losses.py"
    losses.write_text(losses.read_text().replace("0.5", "0.25", 1))
    assert _stamp.formulas_hash(root) != before


def test_a_changed_formula_source_removes_the_cached_kernels(tmp_path: Path) -> None:
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    kernels = [cache / "_loop.run_batches-1.py311.nbi", cache / "_loop.x.1.nbc"]
    for f in kernels:
        f.write_bytes(b"compiled")
    assert _stamp.check_cache(cache, "hash-a")  # no stamp yet: cleared
    for f in kernels:
        f.write_bytes(b"compiled")
    assert not _stamp.check_cache(cache, "hash-a")  # unchanged: kept
    assert all(f.exists() for f in kernels)
    assert _stamp.check_cache(cache, "hash-b")  # a formula changed: removed
    assert not any(f.exists() for f in kernels)
    assert (cache / _stamp.STAMP).read_text() == "hash-b"
