"""The lectures as notebooks (docs/notebooks): each one runs without an error,
and each is stored without outputs (a notebook's outputs are made by running it)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "docs" / "notebooks").glob("*.ipynb"))
KERNEL = "lingrad-test"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A kernel spec for this interpreter (what a fresh venv has, nothing more),
    found through JUPYTER_PATH; the kernel sees this checkout's lingrad."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    doc = {"argv": argv, "display_name": "lingrad test", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(doc))
    src = str(Path(__file__).parents[1] / "src")
    env = {
        "JUPYTER_PATH": str(root),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p
        ),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield KERNEL
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_there_is_a_notebook_per_lecture_and_homework_problem() -> None:
    names = [p.stem for p in NOTEBOOKS]
    for topic in ("linear-1d", "normal-equation", "logistic-1d", "logistic-nd",
                  "logistic-mse", "bipolar", "perceptron", "softmax", "two-layer",
                  "residual", "regularization", "matrix-calculus"):  # fmt: skip
        assert any(topic in n for n in names), topic


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for cell in doc["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_an_error(
    path: Path, kernel: str, tmp_path: Path
) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # CellExecutionError names the cell and the traceback
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert shown, "the notebook showed nothing"
    html = "".join(o.get("data", {}).get("text/html", "") for o in shown)
    pngs = [o for o in shown if "image/png" in o.get("data", {})]
    if "matrix-calculus" not in path.stem:
        assert pngs or "data:image/png;base64," in html, "no figure shown inline"
