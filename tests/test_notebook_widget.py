"""``lingrad.Playground``: the playground as a notebook widget, on the learner's
own data, its step panel the same as ``lingrad explain`` for the same step."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import lingrad
from lingrad.cli import main
from lingrad.errors import LingradError
from lingrad.notebook import ExplainedStep, explain


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(-1, 0.8, (25, 2)), rng.normal(1, 0.8, (25, 2))])
    return X, np.tile([0, 1], 25)  # classes alternate: every step moves


@pytest.fixture
def pg():
    widgets = []

    def make(*args, **kwargs):
        w = lingrad.Playground(*args, **kwargs)
        w.sent = []
        w.send = lambda msg, buffers=None: w.sent.append(msg)  # what the view gets
        w.driver.emit = w._emit
        widgets.append(w)
        return w

    yield make
    for w in widgets:
        w.close()


def cli_explain(tmp_path, capsys, X, y, step: int, lr: float) -> ExplainedStep:
    path = tmp_path / "d.csv"
    table = np.column_stack([X, y])
    np.savetxt(path, table, delimiter=",", header="a,b,label", comments="")
    argv = ["explain", "-m", "logistic", "-d", str(path), "-t", "label"]
    assert main([*argv, "-k", str(step), "--lr", str(lr)]) == 0
    return ExplainedStep(capsys.readouterr().out)


def last_frame(w) -> dict:
    frames = [json.loads(m["frame"]) for m in w.sent if m["type"] == "frame"]
    assert frames, "no frame reached the view"
    return frames[-1]


def test_step_panel_is_lingrad_explain_for_the_same_step(pg, tmp_path, capsys) -> None:
    X, y = data()
    w = pg("logistic", (X, y), lr=0.1)
    w.step()
    f = last_frame(w)
    assert f["status"]["t"] == 1
    cli = cli_explain(tmp_path, capsys, X, y, step=0, lr=0.1)
    assert f["step_panel"]["blocks"] == cli.blocks
    w.step(10)  # steps 1..10: the panel shows step 10
    f = last_frame(w)
    assert f["status"]["t"] == 11
    cli = cli_explain(tmp_path, capsys, X, y, step=10, lr=0.1)
    assert f["step_panel"]["blocks"] == cli.blocks


def test_estimator_after_steps_has_explains_updated_parameters(pg) -> None:
    X, y = data()
    w = pg("logistic", (X, y), lr=0.1)
    w.step(8)  # steps 0..7; explain's step 7 ends in the same parameters
    after = explain("logistic", (X, y), step=7, lr=0.1).walk.after
    est = w.estimator_
    np.testing.assert_allclose(est.coef_.ravel(), after["affine.W"].ravel(), rtol=1e-12)
    np.testing.assert_allclose(est.intercept_, after["affine.b"], rtol=1e-12)
    assert est.predict(X).shape == (50,)
    w.step()
    assert not np.array_equal(w.estimator_.coef_, est.coef_)  # a copy, not the live one


def test_dataframe_and_an_unfitted_estimator(pg) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"size": rng.normal(size=30), "rooms": rng.normal(size=30)})
    df["price"] = 3 * df["size"] - df["rooms"] + 1
    w = pg(lingrad.LinearRegression(lr=0.05, solver="minibatch", batch_size=4),
           df, target="price")  # fmt: skip
    w.step(3)
    f = last_frame(w)
    assert f["status"]["t"] == 3 and f["status"]["batch"] == 4
    assert f["status"]["lr"] == pytest.approx(0.05)
    assert w.estimator_.n_features_in_ == 2


def test_lr_and_batch_change_live_schedule_and_optimizer_restart(pg) -> None:
    X, y = data()
    w = pg("logistic", (X, y), lr=0.1, solver="minibatch", batch_size=5)
    w.step(4)
    w.set(lr=0.5, batch_size=10)
    w.step()
    status = last_frame(w)["status"]
    assert status["t"] == 5 and status["lr"] == pytest.approx(0.5)
    assert status["batch"] == 10
    assert [e["text"] for e in status["events"]] == [
        "lr 0.1 -> 0.5",
        "batch size 5 -> 10",
    ]
    w.set(schedule="invscaling", optimizer="adam")
    f = last_frame(w)
    assert f["status"]["t"] == 0 and f["reset"]["settings"]["optimizer"] == "adam"
    w.step()
    assert "optimizer adam" in last_frame(w)["step_panel"]["text"]


def test_view_commands_play_pause_reset_and_errors(pg) -> None:
    X, y = data()
    w = pg("logistic", (X, y), lr=0.1)
    w._on_msg(w, {"type": "hello"}, [])
    assert "reset" in last_frame(w)  # a new view gets the run from its start
    w._on_msg(w, {"type": "play"}, [])
    for _ in range(400):  # the worker steps in the background
        if w.t > 0:
            break
        time.sleep(0.05)
    w._on_msg(w, {"type": "pause"}, [])
    t = w.t
    assert t > 0 and not w.driver.session.playing
    w._on_msg(w, {"type": "reset"}, [])
    assert w.t == 0
    w._on_msg(w, {"type": "set", "values": {"lr": "-1"}}, [])
    assert w.sent[-1]["type"] == "errors" and "lr" in w.sent[-1]["errors"]
    with pytest.raises(LingradError, match="lr: must be greater than 0"):
        w.set(lr=-1)


def test_wrong_model_or_data_is_one_clear_error() -> None:
    X, y = data()
    with pytest.raises(LingradError, match="unknown model 'logit'"):
        lingrad.Playground("logit", (X, y))
    with pytest.raises(LingradError, match="X must be"):
        lingrad.Playground("logistic", (X, y[:10]))
    with pytest.raises(LingradError, match="separates two classes"):
        lingrad.Playground("perceptron", (X, np.arange(50) % 3))


def test_the_view_is_the_playground_pages_panels() -> None:
    from importlib.resources import files

    esm = lingrad.Playground._esm.default_value
    for page in ("chart.js", "panels.js"):
        text = (files("lingrad.playground") / "static" / page).read_text("utf-8")
        assert text in esm
    assert "export default { render }" in esm
