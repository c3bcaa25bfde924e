"""Rich display in a notebook: History, fitted estimators, explain's step, demos,
lecture figures; and ``import lingrad`` imports none of the notebook's libraries."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import lingrad
from lingrad.cli import main
from lingrad.notebook import ExplainedStep, explain

PNG = b"\x89PNG\r\n\x1a\n"


def images(html: str, mime: str = "image/png") -> list[bytes]:
    found = re.findall(rf'src="data:{mime};base64,([^"]+)"', html)
    return [base64.b64decode(b) for b in found]


def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.6, (30, 2)), rng.normal(1, 0.6, (30, 2))])
    return X, np.repeat([0, 1], 30)


def test_import_lingrad_loads_no_ipython_anywidget_or_matplotlib() -> None:
    code = (
        "import sys, lingrad\n"
        "lingrad.History, lingrad.LogisticRegression, lingrad.summary\n"
        "bad = [m for m in ('IPython', 'anywidget', 'matplotlib', 'ipywidgets') "
        "if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_history_shows_its_loss_and_accuracy_curves_inline() -> None:
    X, y = blobs()
    est = lingrad.LogisticRegression(solver="sgd", max_iter=3, tol=None).fit(X, y)
    h = est.history_
    html = h._repr_html_()
    (png,) = images(html)
    assert png.startswith(PNG)
    assert f'<td>steps</td><td class="num">{h.n_steps}</td>' in html
    assert "History(steps=" in repr(h)  # the terminal keeps its text


def test_empty_history_says_so_without_a_figure() -> None:
    html = lingrad.History()._repr_html_()
    assert "no steps recorded yet" in html and not images(html)


def test_fitted_estimator_shows_the_lecture_chain_solver_and_convergence() -> None:
    X, y = blobs()
    est = lingrad.LogisticRegression(solver="sgd", lr=0.1, max_iter=50, tol=1e-3)
    est.fit(X, y)
    bundle = est._repr_mimebundle_()
    html = bundle["text/html"]
    assert bundle["text/plain"] == repr(est)
    # x -> z (Affine) -> pred = sigmoid(z) (the fused loss drawn unfused) -> J
    nodes = re.findall(r'<div class="lingrad-node">([^<]*)<small>([^<]*)', html)
    assert [n[0] for n in nodes] == ["x", "z", "pred (ŷ)", "J"]
    assert nodes[1][1] == "Affine: W 2×1, b 1" and nodes[3][1] == "binary_cross_entropy"
    assert "<td>solver</td><td>sgd</td>" in html
    assert f"stopped after {est.n_iter_} of max_iter=50" in html
    assert len(images(html)) == 1


def test_estimator_that_hit_max_iter_says_it_did_not_converge() -> None:
    X, y = blobs()
    est = lingrad.LogisticRegression(solver="sgd", lr=1e-4, max_iter=2, tol=1e-12)
    with pytest.warns(Warning):  # ConvergenceWarning
        est.fit(X, y)
    assert "no: reached max_iter=2" in est._repr_html_()


def test_unfitted_estimator_keeps_scikit_learns_display() -> None:
    est = lingrad.LinearRegression()
    assert "lingrad-card" not in est._repr_html_()
    assert "sk-" in est._repr_mimebundle_()["text/html"]


def test_explained_step_is_lingrad_explains_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "--model", "softmax", "--step", "2"]) == 0
    cli = capsys.readouterr().out
    step = explain("softmax", step=2)
    assert isinstance(step, ExplainedStep)
    assert step.text.strip() == cli.strip()
    assert [b["title"] for b in step.blocks] == [
        "forward propagation", "loss", "jacobians", "backpropagation",
        "update (lr = 0.1)",
    ]  # fmt: skip


def test_explained_step_html_puts_each_formula_beside_its_number() -> None:
    step = explain("logistic")
    html = step._repr_html_()
    assert html.count('class="lingrad-block"') == 5
    row = re.search(r"<code>dpred_dz</code></td><td class=\"f\"><code>([^<]*)</code>"
                    r"</td><td class=\"num\"><code>([^<]*)</code>", html)  # fmt: skip
    assert row is not None
    w = step.walk
    pred = np.asarray(w.trace.steps[-1].output).item()
    assert row.group(1) == "pred * (1 - pred)"
    assert float(row.group(2)) == pytest.approx(pred * (1 - pred), rel=1e-5)


def test_explain_on_your_own_arrays_matches_the_cli_on_the_same_csv(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = blobs()
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,label",
               comments="")  # fmt: skip
    main(["explain", "-m", "logistic", "-d", str(path), "-t", "label", "-k", "5"])
    cli = ExplainedStep(capsys.readouterr().out)
    step = explain("logistic", (X, y), step=5)
    assert step.blocks == cli.blocks


def test_demo_result_shows_its_figures_inline() -> None:
    from lingrad.demos import run

    with tempfile.TemporaryDirectory() as out:
        result = run("sigmoid-shapes", out, quick=True)
        html = result._repr_html_()
    pngs = images(html)
    assert len(pngs) == len(result.figures) >= 1
    assert all(p.startswith(PNG) for p in pngs)


def test_a_lecture_figure_shows_as_png_without_pyplot() -> None:
    from lingrad.plot import plot_loss

    fig = plot_loss(np.linspace(1, 0.1, 20))
    assert fig._repr_png_().startswith(PNG)
