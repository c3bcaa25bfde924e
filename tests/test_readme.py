"""The README's Python examples run and do what they say."""

import re
import shlex
import shutil
from pathlib import Path

import pytest

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
    assert len(BLOCKS) == 4  # the lecture loop, the estimator, the summary, the widget


def test_readme_lecture_loop_heads_for_the_truth(capsys):
    params = _run(BLOCKS[0])["model"].params
    assert 3.5 < params["affine.W"][0, 0] < 5.0  # on its way to t_w = 5
    assert -3.5 < params["affine.b"][0] < -2.0  # and to t_b = -3


def test_readme_estimator_example_fits(capsys):
    ns = _run(BLOCKS[1])
    assert ns["clf"].score(ns["X"], ns["y"]) > 0.97
    assert len(ns["clf"][-1].history_.epoch_loss) >= 3


def test_readme_summary_is_statsmodels_ols(capsys):
    import numpy as np
    import statsmodels.api as sm

    ns = _run(BLOCKS[2])
    s = ns["model"].summary(ns["X"], ns["y"])
    ref = sm.OLS(ns["y"], sm.add_constant(ns["X"])).fit()
    np.testing.assert_allclose(s.se, ref.bse, rtol=1e-8)
    assert "std err" in capsys.readouterr().out


def test_readme_notebook_widget_trains_your_arrays():
    import numpy as np

    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    namespace = {"X": X, "y": np.array([0, 0, 1, 1])}
    exec(compile(BLOCKS[3], str(README), "exec"), namespace)
    pg = namespace["pg"]
    try:
        pg.step(4)
        assert pg.t == 4 and pg.estimator_.coef_[0, 0] > 0  # x > 0 is class 1
    finally:
        pg.close()


def test_readme_three_commands_on_the_messy_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit -> predict -> evaluate, as written, on examples/houses.csv."""
    from lingrad.cli import main

    block = re.search(r"## From a CSV.*?```bash\n(.*?)```", TEXT, re.S)
    assert block is not None
    commands = [shlex.split(line) for line in block.group(1).splitlines()]
    assert [c[:2] for c in commands] == [
        ["lingrad", "fit"], ["lingrad", "predict"], ["lingrad", "evaluate"]
    ]  # fmt: skip
    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    outputs = []
    for argv in commands:
        assert main(argv[1:]) == 0, capsys.readouterr().err
        outputs.append(capsys.readouterr().out)
    assert (tmp_path / "run1" / "report.html").is_file()
    preds = (tmp_path / "preds.csv").read_text().splitlines()
    assert preds[0] == "id,prediction" and len(preds) == 13
    assert preds[1].startswith("H0241,")
    assert "the test split of fit" in outputs[2] and "R²" in outputs[2]
    r2 = float(re.search(r"R²\s*│\s*([\d.]+)", outputs[2]).group(1))  # type: ignore[union-attr]
    assert r2 > 0.85


def test_readme_text_classification_in_three_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit --text -> predict -> evaluate, as written, on examples/reviews.csv."""
    from lingrad.cli import main

    block = re.search(r"## Text classification.*?```bash\n(.*?)```", TEXT, re.S)
    assert block is not None
    commands = [shlex.split(line) for line in block.group(1).splitlines()]
    assert [c[:2] for c in commands] == [
        ["lingrad", "fit"], ["lingrad", "predict"], ["lingrad", "evaluate"]
    ]  # fmt: skip
    assert "--text" in commands[0]
    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    outputs = []
    for argv in commands:
        assert main(argv[1:]) == 0, capsys.readouterr().err
        outputs.append(capsys.readouterr().out)
    assert (tmp_path / "reviews" / "weights.png").is_file()
    preds = (tmp_path / "review_preds.csv").read_text().splitlines()
    assert preds[0] == "id,prediction,proba_neg,proba_pos" and len(preds) == 9
    assert preds[1].startswith("N000,pos,")  # "a brilliant and moving film"
    assert preds[2].startswith("N001,neg,")  # "tedious plot, flat acting"
    assert "the test split of fit" in outputs[2]
    accuracy = re.search(r"ACCURACY\s*│\s*([\d.]+)", outputs[2], re.I)
    assert accuracy is not None and float(accuracy.group(1)) > 0.9
