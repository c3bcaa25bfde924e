"""bench/_textgen.py keeps its promises (shape, ~nnz a row, separable, seeded).

Also the CSR → Vowpal Wabbit text conversion of bench/_vwfile.py, read back.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from sklearn.naive_bayes import MultinomialNB

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


textgen = _load("_textgen")
vwfile = _load("_vwfile")


def test_shape_nnz_and_unit_rows() -> None:
    p = textgen.text_problem(3000, 500, seed=1)
    assert p.X.shape == (3000, 2**20) and p.X_test.shape == (500, 2**20)
    assert p.y.shape == (3000,) and set(np.unique(p.y)) == {0, 1}
    assert p.X.format == "csr" and p.X.dtype == np.float64
    assert p.X.indices.dtype == np.int32 and p.X.has_canonical_format
    per_row = np.diff(p.X.indptr)
    assert abs(per_row.mean() - 50) < 2.5  # about 50 nonzeros a row
    assert per_row.min() >= 1
    norms = np.sqrt(np.asarray(p.X.multiply(p.X).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)


@pytest.mark.parametrize("n_classes, floor", [(2, 0.8), (5, 0.6)])
def test_classes_are_separable_above_chance(n_classes: int, floor: float) -> None:
    """Multinomial naive Bayes on 4,000 rows beats chance (1 / K) by far, held out."""
    p = textgen.text_problem(4000, 1000, seed=2, n_classes=n_classes)
    accuracy = MultinomialNB(alpha=0.1).fit(p.X, p.y).score(p.X_test, p.y_test)
    assert accuracy > floor
    assert sorted(np.unique(p.y_test)) == list(range(n_classes))


def test_seeded_reproducible() -> None:
    a = textgen.text_problem(500, 100, seed=3)
    b = textgen.text_problem(500, 100, seed=3)
    for x, z in [(a.X, b.X), (a.X_test, b.X_test)]:
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(x, part), getattr(z, part))
    np.testing.assert_array_equal(a.y, b.y)
    c = textgen.text_problem(500, 100, seed=4)
    assert c.X.nnz != a.X.nnz or not np.array_equal(c.X.indices, a.X.indices)


def test_csv_lines_are_words_and_labels() -> None:
    world = textgen.make_world(n_classes=5, seed=5)
    text = b"".join(textgen.csv_chunks(world, 300, seed=5, chunk=128)).decode()
    lines = text.splitlines()
    assert lines[0] == "text,label" and len(lines) == 301
    words, labels = zip(*(line.rsplit(",", 1) for line in lines[1:]), strict=True)
    assert set(labels) <= {str(k) for k in range(5)}
    tokens = [w for line in words for w in line.split(" ")]
    assert all(len(w) >= 2 and w.isalpha() and w.islower() for w in tokens)
    assert 45 < len(tokens) / 300 < 80  # words a row, duplicates included


def test_vw_text_reads_back_as_the_csr() -> None:
    p = textgen.text_problem(300, 10, seed=6)
    lines = b"".join(vwfile.vw_chunks(p.X, p.y)).decode().splitlines()
    assert len(lines) == 300
    for i, line in enumerate(lines):
        label, features = line.split(" |")
        assert label == ("1" if p.y[i] == 1 else "-1")
        pairs = [f.split(":") for f in features.split()]
        row = p.X[i]
        assert [int(j) for j, _ in pairs] == row.indices.tolist()
        np.testing.assert_allclose([float(v) for _, v in pairs], row.data, atol=6e-9)
