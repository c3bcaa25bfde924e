"""The README's Python examples run and do what they say."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    assert "pip install . && lingrad demo" in text
    assert 'pip install -e ".[test]" && python -m pytest' in text


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(block, capsys):
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)
    if "model" in namespace and "loss" in namespace:  # the lecture's loop
        params = namespace["model"].params
        assert 3.5 < params["affine.W"][0, 0] < 5.0  # on its way to t_w = 5
        assert -3.5 < params["affine.b"][0] < -2.0  # and to t_b = -3
    if "clf" in namespace:
        assert namespace["clf"].score(namespace["X"], namespace["y"]) > 0.97
