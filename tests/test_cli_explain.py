"""``lingrad explain``: one step written out as the lecture writes it, and right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import expit

from clirun import explain
from lingrad.cli import main
from lingrad.cli.explain import LECTURE, fmt
from lingrad.models.registry import MODELS
from lingrad.workflows.walk import walk

BLOCKS = [
    "# forward propagation",
    "# loss",
    "# jacobians",
    "# backpropagation",
    "# update",
]


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
        "pred (ŷ) = sigmoid(z)": pred,
        "J = -[y log pred + (1 - y) log(1 - pred)]": J,
        "dJ_dpred = (pred - y) / (pred (1 - pred))": dJ_dpred,
        "dpred_dz = pred * (1 - pred)": dpred_dz,
        "dz_dW = x^T": x,
        "dJ_dz = dJ_dpred * dpred_dz": dJ_dz,
        "dJ_dW = outer(x, dJ_dz) = x^T @ dJ_dz   (outer product)": dJ_dw,
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
    from lingrad.data.datasets import linear_1d

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
    (forward,) = lines_with(out, "pred (ŷ) = x @ W + b")
    assert forward.endswith(fmt(x[3] * w + b))
    (jac,) = lines_with(out, "dJ_dpred = -2 (y - pred)")
    assert jac.endswith(fmt(-2 * (y[3] - (x[3] * w + b))))


def test_step_k_matches_the_training_engine() -> None:
    """Before step K: the parameters of K per-sample steps of lingrad's Trainer."""
    from lingrad.core.losses import CrossEntropy, one_hot
    from lingrad.data.datasets import multiclass_blobs
    from lingrad.models import SoftmaxRegression
    from lingrad.training.train import Trainer

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
    from lingrad.core.gradcheck import numerical_grad
    from lingrad.core.penalties import penalized

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
    from lingrad.data.datasets import SYNTHETIC

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
def test_every_model_explains_an_example_that_moves_something(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = explain(["--model", name], capsys)
    assert code == 0, err
    positions = [out.index(block) for block in BLOCKS]
    assert positions == sorted(positions)
    assert ":=" in out and "J on this example" in out
    assert "every gradient is 0" not in out
    from lingrad.data.datasets import SYNTHETIC
    from lingrad.data.lectures import model_settings

    d = SYNTHETIC[LECTURE[name][0].split(":")[1]]()
    est = MODELS[name].cls()(random_state=0, penalty="none", **model_settings(name))
    init = (d.init_W, d.init_b) if d.init_W is not None else None
    lr = LECTURE[name][1]
    w = walk(MODELS[name], est, d.X, d.y, step=None, lr=lr, seed=0, init=init)
    assert any(np.any(g != 0) for g in w.grads.values())
    assert f"example {w.index} of {len(d.X)}" in out
    for K in range(w.step):  # the examples skipped move nothing
        before = walk(MODELS[name], est, d.X, d.y, step=K, lr=lr, seed=0, init=init)
        assert not any(np.any(g != 0) for g in before.grads.values())


def test_perceptron_skips_to_its_first_mistake_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = explain(["--model", "perceptron"], capsys)
    assert code == 0
    header = out.splitlines()[1]
    assert "the first example with a non-zero gradient" in header
    assert "pred (h_θ(x)) = [z >= 0] = 1" in out and "y = 0" in out
    code, out, _ = explain(["--model", "perceptron", "--step", "0"], capsys)
    assert "every gradient is 0: nothing moves on this example" in out


def test_two_layer_uses_the_notes_names_and_the_demos_width(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from lingrad.data.lectures import HIDDEN

    code, out, err = explain(["--model", "two-layer"], capsys)
    assert code == 0, err
    for start in (
        "zhat (ẑ) = x @ W + b",
        "z = sigmoid(zhat)",
        "qhat (q̂) = z @ V + c",
        "q = softmax(qhat)",
        "dq_dqhat = diag(q) - outer(q, q)",
        "dJ_dV = outer(z, dJ_dqhat) = z^T @ dJ_dqhat   (outer product)",
        "dJ_dW = outer(x, dJ_dzhat) = x^T @ dJ_dzhat   (outer product)",
    ):
        assert lines_with(out, start), start
    assert "notes § ANN" in out and "V = [v_sk]" in out
    (zhat,) = lines_with(out, "zhat (ẑ) = ")
    assert zhat.count(",") + 1 == HIDDEN["two-layer"] == 8


def test_seed_seeds_a_random_start_or_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    firsts = []
    for seed in ("3", "4"):
        code, out, err = explain(["--model", "two-layer", "--seed", seed], capsys)
        assert code == 0, err
        assert f"random start (--seed {seed})" in out
        firsts.append(lines_with(out, "zhat (ẑ) = ")[0])
    assert firsts[0] != firsts[1]
    code, _, err = explain(["--model", "perceptron", "--seed", "3"], capsys)
    assert code == 2 and "'--seed'" in err and "nothing is random" in err
    assert "every parameter 0" in err
    code, _, err = explain(["--seed", "3"], capsys)  # the lecture's logistic start
    assert code == 2 and "the lecture's initial values" in err


def test_step_is_bounded_with_a_clear_limit(capsys: pytest.CaptureFixture[str]) -> None:
    from lingrad.cli.explain import MAX_STEP

    code, out, err = explain(["--step", str(100_000_000)], capsys)
    assert code == 2 and not out
    assert f"100000000 is past the limit of {MAX_STEP}" in err
    assert "one example at a time" in err


# --------------------------------------------------------------------- gradcheck


def test_a_zero_gradient_is_not_informative_not_a_pass() -> None:
    from lingrad.core.gradcheck import GradcheckReport

    report = GradcheckReport("zeros")
    report.add("b", np.zeros(3), np.array([1e-11, 0.0, -2e-11]))
    report.add("W", np.ones(2), np.ones(2) + 1e-9)
    zero, ok = report.entries
    assert zero.status == "zero" and not zero.passed and np.isnan(zero.rel_err)
    assert ok.status == "ok" and report.passed  # nothing failed
    assert "zero both ways, not informative" in str(report)
    report.add("c", np.ones(2), -np.ones(2))
    assert report.entries[-1].status == "FAIL" and not report.passed


def test_gradcheck_counts_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["gradcheck", "--model", "perceptron"])
    out = capsys.readouterr().out
    statuses = [ln for ln in out.splitlines() if re.search(r"│ (ok|zero|FAIL)", ln)]
    assert code == 0 and len(statuses) == 6  # X, W, b; plain and + L2
    assert "6 gradients in 2 checks: 6 agree with finite differences" in out


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
