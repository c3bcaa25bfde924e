"""The README's Python examples run and do what they say."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


def _run(block: str) -> dict:
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)
    return namespace


def test_readme_has_the_two_setup_commands():
    assert "pip install . && lingrad demo" in TEXT
    assert 'pip install -e ".[test]" && python -m pytest' in TEXT
    assert len(BLOCKS) == 2  # the lecture loop and the estimator example


def test_readme_lecture_loop_heads_for_the_truth(capsys):
    params = _run(BLOCKS[0])["model"].params
    assert 3.5 < params["affine.W"][0, 0] < 5.0  # on its way to t_w = 5
    assert -3.5 < params["affine.b"][0] < -2.0  # and to t_b = -3


def test_readme_estimator_example_fits(capsys):
    ns = _run(BLOCKS[1])
    assert ns["clf"].score(ns["X"], ns["y"]) > 0.97
    assert len(ns["clf"][-1].history_.epoch_loss) >= 3
