"""``lingrad explain`` prints the step the estimator takes: every value line has
its numbers, and they are the step's (computed here on the node chain)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from scipy.special import expit

from clirun import explain
from lingrad.cli.explain import LECTURE
from lingrad.models.registry import MODELS

NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")


def _numbers(text: str) -> np.ndarray:
    """The numbers of a printed value (``[[1, 2], [3, 4]] (2x2)``: 1, 2, 3, 4)."""
    text = re.sub(r"\(\d+x\d+\)", "", text)
    return np.array([float(v) for v in NUMBER.findall(text)])


def _updates(out: str) -> list[tuple[str, np.ndarray, float, np.ndarray, np.ndarray]]:
    """Each ``P := P - lr * dJ_dP`` of the update block: (P, before, lr, dJ_dP,
    after), parsed from the ``= before - lr * dJ_dP`` and ``= after`` lines."""
    block = out.split("# update")[1].splitlines()[1:]
    found, k = [], 0
    while k < len(block) and ":=" in block[k]:
        name = block[k].split(":=")[0].strip()
        values = []
        k += 1
        while k < len(block) and block[k].lstrip().startswith("= "):
            values += [v.strip() for v in block[k].split("= ")[1:]]
            k += 1
        assert len(values) == 2, (name, values)  # before - lr * grad, after
        before, _, rest = values[0].partition(" - ")
        lr, _, grad = rest.partition(" * ")
        found.append(
            (name, _numbers(before), float(lr), _numbers(grad), _numbers(values[1]))
        )
    return found


def _independent_step(name: str, step: int) -> tuple[Any, dict[str, Any], Any]:
    """Step ``step`` of the lecture's loop, on the node chain directly: (chain
    before the step, dJ_dp, the example's row)."""
    from sklearn.utils import check_random_state

    from lingrad.data.datasets import SYNTHETIC
    from lingrad.data.lectures import model_settings
    from lingrad.workflows.walk import targets

    spec = MODELS[name]
    d = SYNTHETIC[LECTURE[name][0].split(":")[1]]()
    est = spec.cls()(random_state=0, penalty="none", **model_settings(name))
    X, y, lr = np.asarray(d.X, dtype=np.float64), d.y, LECTURE[name][1]
    loss = est._make_loss()
    classes = np.unique(y) if spec.is_classifier else None
    Y = targets(est, loss, y, classes)
    chain = est._init_chain(X.shape[1], Y.shape[1], check_random_state(0), np.float64)
    if d.init_W is not None and list(chain.params) == ["affine.W", "affine.b"]:
        chain.params["affine.W"][...] = d.init_W
        chain.params["affine.b"][...] = d.init_b
    for t in range(step + 1):
        i = t % len(X)
        loss.forward(chain.forward(X[i : i + 1]), Y[i : i + 1])
        chain.backward(loss.backward())
        grads = {k: g.copy() for k, g in chain.grads.items()}
        if t == step:
            return chain, grads, i
        for key, p in chain.params.items():
            p -= lr * grads[key]
    raise AssertionError("unreachable")


def _close(printed: np.ndarray, value: Any) -> None:
    """Printed to 4 significant digits (arrays) or 6 (scalars)."""
    np.testing.assert_allclose(
        np.ravel(printed), np.ravel(value), rtol=6e-4, atol=1e-12
    )


@pytest.mark.parametrize("name", list(MODELS))
def test_every_explain_line_shows_the_step_the_estimator_takes(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No empty value line; the update block's numbers are the step itself,
    computed here on the node chain."""
    step = 7
    code, out, err = explain(["--model", name, "--step", str(step)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert all(ln.strip() or not ln for ln in lines), "a whitespace-only line"
    for k, ln in enumerate(lines):
        if not ln:  # an empty line only separates the blocks
            assert lines[k + 1].startswith("# "), (k, lines[k + 1])
        assert not ln.rstrip().endswith(("=", ":=")), ln
    chain, grads, _ = _independent_step(name, step)
    lr = LECTURE[name][1]
    updates = _updates(out)
    assert len(updates) == len(chain.params)
    for (P, before, lr_shown, grad, after), (key, p) in zip(
        updates, chain.params.items(), strict=True
    ):
        assert lr_shown == lr, P
        _close(before, p)
        _close(grad, grads[key])
        _close(after, p - lr * grads[key])


def _value(out: str, start: str) -> np.ndarray:
    """The value printed on the line that starts with ``start`` (or below it)."""
    lines = out.splitlines()
    (k,) = [k for k, ln in enumerate(lines) if ln.startswith(start)]
    text = lines[k]
    if k + 1 < len(lines) and lines[k + 1].lstrip().startswith("= "):
        text = lines[k + 1]  # the value on its own line
    return _numbers(text.rsplit("= ", 1)[1])


def test_residual_explain_writes_out_homework_problem_7(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """z, h and the chain-rule products of dJ_dW0 and dJ_dW1, each equal to the
    homework's hand derivation: (a) dJ/dh = (g - y) g (1 - g) w2, (b) dJ/dW1 =
    outer(z, dJ/dh σ'), and dJ/dW0 = outer(x, (dJ/dh σ') W1ᵀ z (1 - z))."""
    step = 4
    code, out, err = explain(["--model", "residual", "--step", str(step)], capsys)
    assert code == 0, err
    chain, grads, i = _independent_step("residual", step)
    from lingrad.data.datasets import SYNTHETIC

    d = SYNTHETIC["residual"]()
    x, y = np.asarray(d.X[i], dtype=np.float64), float(d.y[i])
    W0 = chain.params["residual.affine0.W"]
    W1 = chain.params["residual.affine1.W"]
    w2 = chain.params["affine.W"][:, 0]
    z = expit(x @ W0)
    r = expit(z @ W1)
    h = x + r
    g = expit(h @ w2)
    dJ_dh = (g - y) * g * (1 - g) * w2  # (a)
    dJ_dhhat = dJ_dh * r * (1 - r)
    dJ_dW1 = np.outer(z, dJ_dhhat)  # (b)
    dJ_dW0 = np.outer(x, (dJ_dhhat @ W1.T) * z * (1 - z))
    expected = {
        "zhat = x @ W0": x @ W0,
        "z = sigmoid(zhat)": z,
        "hhat = z @ W1": z @ W1,
        "h = x + sigmoid(hhat)": h,
        "s = h @ w2": h @ w2,
        "dJ_dh = dJ_ds @ ds_dh": dJ_dh,
        "dJ_dhhat = dJ_dh * dh_dhhat": dJ_dhhat,
        "dJ_dW1 = outer(z, dJ_dhhat)": dJ_dW1,
        "dJ_dz = dJ_dhhat @ dhhat_dz": dJ_dhhat @ W1.T,
        "dJ_dzhat = dJ_dz * dz_dzhat": (dJ_dhhat @ W1.T) * z * (1 - z),
        "dJ_dW0 = outer(x, dJ_dzhat)": dJ_dW0,
        "dh_dhhat = (h - x) * (1 - (h - x))": r * (1 - r),
    }
    for start, value in expected.items():
        _close(_value(out, start), value)
    for key, hand in (("residual.affine0.W", dJ_dW0), ("residual.affine1.W", dJ_dW1)):
        np.testing.assert_allclose(grads[key], hand, rtol=1e-12)  # the step's
    backprop = out.split("# backpropagation")[1].split("# update")[0]
    names = [ln.split(" = ")[0] for ln in backprop.splitlines() if ln[:1].strip()]
    chain_rule = "dJ_ds dJ_dw2 dJ_dh dJ_dhhat dJ_dW1 dJ_dz dJ_dzhat dJ_dW0"
    assert names == chain_rule.split()  # link by link, from g back to W0
