"""``lingrad explain``: one step written out as the lecture writes it, and right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import expit

from lingrad.cli import main
from lingrad.cli._common import MODELS
from lingrad.cli._walk import walk
from lingrad.cli.explain import LECTURE, fmt

BLOCKS = [
    "# forward propagation",
    "# loss",
    "# jacobians",
    "# backpropagation",
    "# update",
]


def explain(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def lines_with(out: str, start: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith(start)]


def test_default_is_the_lectures_logistic_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Lecture 4, Logistic Regression (1 Feature): its first iteration, by hand."""
    code, out, err = explain([], capsys)
    assert code == 0, err
    positions = [out.index(block) for block in BLOCKS]
    assert positions == sorted(positions)

    rs = np.random.RandomState(1)  # the lecture's np.random.seed(1) draws
    w, b = rs.uniform(-3, 3, 2)
    x_data = rs.normal(0.6, 1, (500,))
    x = x_data[0]
    y = float(x * 5 - 3 > 0.6)
    lr = 0.1
    pred = 1 / (1 + np.exp(-(x * w + b)))
    J = -(y * np.log(pred) + (1 - y) * np.log(1 - pred))
    dJ_dpred = (pred - y) / (pred * (1 - pred))
    dpred_dz = pred * (1 - pred)
    dJ_dz = dJ_dpred * dpred_dz
    dJ_dw, dJ_db = dJ_dz * x, dJ_dz

    expected = {
        "z = x @ W + b": x * w + b,
        "pred = sigmoid(z)": pred,
        "J = -[y log pred + (1 - y) log(1 - pred)]": J,
        "dJ_dpred = (pred - y) / (pred (1 - pred))": dJ_dpred,
        "dpred_dz = pred * (1 - pred)": dpred_dz,
        "dz_dW = x^T": x,
        "dJ_dz = dJ_dpred * dpred_dz": dJ_dz,
        "dJ_dW = dJ_dz * dz_dW": dJ_dw,
        "dJ_db = dJ_dz * dz_db": dJ_db,
    }
    for start, value in expected.items():
        (found,) = lines_with(out, start)
        assert found.endswith(f"= {fmt(value)}"), (found, value)
    assert f"= {fmt(w - lr * dJ_dw)}" in out.split("W := W - lr * dJ_dW")[1]
    assert f"= {fmt(b - lr * dJ_db)}" in out.split("b := b - lr * dJ_db")[1]
    assert "dz_db = 1" in out
    assert "fused, as trained: dJ_dz = pred - y" in out
    assert "the lecture's" in out and "lr = 0.1" in out


def test_linear_step_k_follows_the_lectures_loop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Step 3 starts from the parameters after three updates of the lecture's loop."""
    from lingrad.datasets import linear_1d

    d = linear_1d()
    w, b = float(d.init_W[0, 0]), float(d.init_b[0])
    x, y, lr = d.X[:, 0], d.y, 0.01
    for i in range(3):
        pred = x[i] * w + b
        dJ_dpred = -2 * (y[i] - pred)
        w, b = w - lr * dJ_dpred * x[i], b - lr * dJ_dpred
    code, out, err = explain(["--model", "linear", "--step", "3"], capsys)
    assert code == 0, err
    assert "example 3 of 100" in out
    (forward,) = lines_with(out, "pred = x @ W + b")
    assert forward.endswith(fmt(x[3] * w + b))
    (jac,) = lines_with(out, "dJ_dpred = -2 (y - pred)")
    assert jac.endswith(fmt(-2 * (y[3] - (x[3] * w + b))))


def test_step_k_matches_the_training_engine() -> None:
    """Before step K: the parameters of K per-sample steps of lingrad's Trainer."""
    from lingrad.datasets import multiclass_blobs
    from lingrad.losses import CrossEntropy, one_hot
    from lingrad.models import SoftmaxRegression
    from lingrad.train import Trainer

    d = multiclass_blobs()
    K, lr = 7, 0.1
    w = walk(
        MODELS["softmax"],
        SoftmaxRegression(penalty="none"),
        d.X,
        d.y,
        step=K,
        lr=lr,
        seed=0,
    )
    chain = SoftmaxRegression(penalty="none")._init_chain(2, 3, None, np.float64)
    trainer = Trainer(
        chain, CrossEntropy(from_logits=True), lr=lr, batch_size=1, shuffle=False
    )
    trainer.fit(d.X[:K], one_hot(d.y[:K], 3), max_iter=1, tol=None)
    for key, p in chain.params.items():
        np.testing.assert_allclose(w.before[key], p, rtol=1e-12, atol=1e-15)
    assert w.index == K


def _numeric_grads(w: Any, est: Any) -> dict[str, np.ndarray]:
    """dJ/dp by central differences at the parameters before the update."""
    from lingrad.gradcheck import numerical_grad
    from lingrad.penalties import penalized

    chain = est._init_chain(len(w.x), len(w.Y), np.random.RandomState(0), np.float64)
    for key, p in chain.params.items():
        p[...] = w.before[key]
    loss, penalty = est._make_loss(), est._penalty()
    x, Y = w.x[None, :], np.asarray(w.Y, dtype=np.float64)[None, :]

    def J() -> float:
        value = loss.forward(chain.forward(x), Y)
        if penalty is not None:
            value += sum(
                penalty.value(p) for k, p in chain.params.items() if penalized(k)
            )
        return float(value)

    return {k: numerical_grad(J, p) for k, p in chain.params.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_shows_the_true_gradient(name: str) -> None:
    """The gradient the update uses equals finite differences of J, for each model;
    the unfused chain the lecture writes out agrees with the fused training form."""
    from lingrad.datasets import SYNTHETIC

    spec = MODELS[name]
    d = SYNTHETIC[LECTURE[name][0].split(":")[1]]()
    extra = {"n_hidden": 3} if name in ("two-layer", "residual") else {}
    est = spec.cls()(penalty="l2", alpha=0.01, random_state=0, **extra)
    w = walk(spec, est, d.X, d.y, step=10, lr=0.1, seed=0)  # past the zero init
    numeric = _numeric_grads(w, est)
    for key, g in w.grads.items():
        np.testing.assert_allclose(g, numeric[key], rtol=1e-5, atol=1e-8)
    for key in w.before:
        np.testing.assert_allclose(w.after[key], w.before[key] - 0.1 * w.grads[key])
    if w.fused is not None:
        np.testing.assert_allclose(w.trace.steps[-1].dJ_din, w.fused_dJ_dz, atol=1e-12)
    # the traced (unfused) parameter gradients, plus the penalty, are the same ones
    traced = {f"{s.name}.{k}": g for s in w.trace.steps for k, g in s.grads.items()}
    for key, g in w.grads.items():
        np.testing.assert_allclose(
            traced[key] + w.penalty_grads.get(key, 0.0), g, rtol=1e-9, atol=1e-12
        )


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_explains_in_five_blocks(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = explain(["--model", name, "--step", "2"], capsys)
    assert code == 0, err
    positions = [out.index(block) for block in BLOCKS]
    assert positions == sorted(positions)
    assert ":=" in out and "J on this example" in out


def test_explain_a_file_with_scaling_and_a_penalty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)) * [1.0, 100.0, 0.01]
    y = (X[:, 0] + X[:, 1] / 100 > 0).astype(int)
    lines = ["f1,f2,f3,label"] + [
        f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y, strict=True)
    ]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    code, out, err = explain(
        [
            "--model",
            "logistic",
            "--data",
            str(tmp_path / "d.csv"),
            "--target",
            "label",
            "--scale",
            "--penalty",
            "l2",
            "--alpha",
            "0.1",
            "--lr",
            "0.5",
        ],
        capsys,
    )
    assert code == 0, err
    assert "(standardized)" in out and "lr = 0.5" in out
    assert "J = J0 + alpha ||W||^2" in out and "dJ_dW += 2 alpha W" in out
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    (x_line,) = lines_with(out, "x = ")
    assert x_line.startswith(f"x = {fmt(Xs[0])}")
    z = 0.0  # logistic regression starts at W = 0, b = 0
    (loss,) = lines_with(out, "J0 = ")
    assert loss.endswith(fmt(-np.log(1 - expit(z)) if y[0] == 0 else -np.log(expit(z))))


def test_explain_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = explain(["--model", "nope"], capsys)
    assert code == 2 and "unknown model 'nope'" in err
    (tmp_path / "one.csv").write_text("a,y\n1,0\n2,0\n")
    code, _, err = explain(
        ["--data", str(tmp_path / "one.csv"), "--target", "y"], capsys
    )
    assert code == 1 and "single class" in err and err.count("\n") == 1
