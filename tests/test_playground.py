"""The playground without a browser: its engine, step panel, optimum, checks and CLI."""

import time

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from lingrad.cli import main
from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.playground import run as runs
from lingrad.playground.frames import MAX_STEP_POINTS, Cursor, frame
from lingrad.playground.session import Session
from lingrad.playground.settings import PRESETS, SettingsError, parse, preset
from lingrad.playground.stepper import Stepper
from lingrad.training.train import Trainer


@pytest.fixture
def session(tmp_path):
    made = []

    def make(name="linear-1d"):
        made.append(Session("s", tmp_path, name))
        return made[-1]

    yield make
    for s in made:
        s.close()


def wait_until(condition, what):
    end = time.monotonic() + 120  # a hang guard, not a speed requirement
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


# ---- the engine ----------------------------------------------------------------------


def test_stepper_runs_the_trainer_s_epochs_exactly(rng):
    """Steps taken n at a time (n uneven, epochs crossed) equal Trainer.fit."""
    X = rng.normal(size=(23, 2))
    y = (X @ np.array([[1.5], [-2.0]]) + 0.3)[:, 0] + 0.1 * rng.normal(size=23)
    Y = y[:, None]

    def trainer():
        chain = Chain([Affine(np.zeros((2, 1)), np.zeros(1))])
        return Trainer(chain, SquaredError(), lr=0.05, batch_size=4, random_state=7)

    reference = trainer()
    reference.fit(X, Y, max_iter=3, tol=None)
    stepped = trainer()
    stepper = Stepper(stepped, X, Y, None)
    for n in (1, 5, 2, 9, 1):  # 18 steps = 3 epochs of 6 batches (4+4+4+4+4+3)
        stepper.run(n)
    for key, p in reference.chain.params.items():
        assert_array_equal(stepped.chain.params[key], p)
    h, g = stepped.history, reference.history
    assert_array_equal(h.step_loss, g.step_loss)
    assert_array_equal(h.step_batch_size, g.step_batch_size)
    assert_allclose(h.epoch_loss, g.epoch_loss, rtol=1e-15)
    assert_array_equal(h.epoch_end_step, [6, 12, 18])
    assert stepped.t == 18 and stepped.epoch == 3
    assert stepper.last.t == 17 and len(stepper.last.rows) == 3  # the short batch


def test_history_is_bounded_and_frames_are_decimated(session, monkeypatch):
    monkeypatch.setattr(runs, "MAX_STEPS", 64)
    s = session("linear-1d")
    cursor = Cursor()
    frame(s, cursor)
    s.step(3)
    assert frame(s, cursor)["steps"]["t"] == [0, 1, 2]
    s.step(2)
    assert frame(s, cursor)["steps"]["t"] == [3, 4]  # only what is new
    s.step(995)
    doc = frame(s, cursor)
    h = s.run.trainer.history
    assert h.n_steps == 1000 and len(h.step_loss) <= 64
    assert h.n_epochs == 10  # every epoch's summary is kept
    assert len(doc["steps"]["t"]) <= MAX_STEP_POINTS
    assert doc["steps"]["t"][-1] == h.step_index[-1] > 900  # the last one kept
    assert doc["status"]["J"] == s.run.stepper.last.J  # the last step, kept or not
    assert doc["epochs"]["end"] == list(range(100, 1001, 100))


def test_a_reset_sends_the_new_run_from_its_first_step(session):
    """The connection's cursor goes back to its defaults: nothing of the old run's
    counts is kept."""
    s = session("linear-1d")
    cursor = Cursor()
    frame(s, cursor)
    s.step(5)
    assert frame(s, cursor)["steps"]["t"] == [0, 1, 2, 3, 4]
    s.reset()
    s.step(2)
    doc = frame(s, cursor)
    assert "reset" in doc and doc["steps"]["t"] == [0, 1]
    assert cursor.version == s.version and cursor.t == 1


def test_a_new_lr_goes_into_the_history(session):
    s = session("linear-1d")
    s.step(3)
    s.set_live({"lr": "0.05"})
    s.step(2)
    h = s.run.trainer.history
    assert_array_equal(h.step_lr, [0.01, 0.01, 0.01, 0.05, 0.05])
    assert s.events == [(3, "lr 0.01 -> 0.05")]
    assert "at step 3: lr 0.01 -> 0.05" in s.run.notes
    with pytest.raises(SettingsError) as e:
        s.set_live({"model": "softmax"})
    assert "Reset" in e.value.errors["model"]


def test_divergence_pauses_with_a_message_and_finite_parameters(session):
    s = session("linear-1d")
    s.set_live({"lr": "5"})
    s.step(200)
    assert "diverged" in s.message["run"] and "lower lr" in s.message["run"]
    assert not s.playing
    params = s.run.trainer.chain.params
    assert all(np.isfinite(p).all() for p in params.values())


def test_reset_starts_the_same_run_again(session):
    s = session("softmax")  # shuffled epochs, seeded
    s.step(7)
    first = {k: p.copy() for k, p in s.run.trainer.chain.params.items()}
    s.reset()
    assert s.run.trainer.t == 0
    s.step(7)
    for key, p in s.run.trainer.chain.params.items():
        assert_array_equal(p, first[key])


# ---- the step panel is lingrad explain -----------------------------------------------


@pytest.mark.parametrize(("name", "model"), [("linear-1d", "linear"),
                                             ("logistic-1d", "logistic")])  # fmt: skip
def test_step_panel_shows_lingrad_explain_s_blocks(session, capsys, name, model):
    from lingrad.playground.trace import split_blocks

    s = session(name)
    s.step(4)
    doc = frame(s, Cursor())
    data, lr = s.settings.data, f"{s.settings.lr:g}"  # the lecture's, as explain's
    argv = ["explain", "--model", model, "--data", data, "--lr", lr, "--step", "3"]
    assert main(argv) == 0
    explained = split_blocks(capsys.readouterr().out)
    assert [b["title"] for b in doc["step_panel"]["blocks"]] == [
        b["title"] for b in explained["blocks"]
    ]
    assert doc["step_panel"]["blocks"] == explained["blocks"]
    titles = [b["title"].split(" (")[0] for b in explained["blocks"]]
    assert titles == [
        "forward propagation", "loss", "jacobians", "backpropagation", "update",
    ]  # fmt: skip


def test_the_traced_batch_is_the_one_the_trainer_used(session):
    import copy

    s = session("gd-variants")  # shuffled minibatches of 8 from 100 rows
    for n in (5, 9, 3):  # 17 steps: the second epoch's 4th batch
        s.step(n)
    run, last = s.run, s.run.stepper.last
    assert last.t == 16 and len(last.rows) == 8
    assert len(set(last.rows.tolist())) == 8
    chain = copy.deepcopy(run.trainer.chain)
    for key, p in chain.params.items():
        p[...] = last.before[key]
    loss = run.est._make_loss()
    rows = last.rows
    loss.forward(chain.forward(run.X[rows]), run.Y[rows])
    chain.backward(loss.backward())
    for key, g in chain.grads.items():
        assert_allclose(last.grads[key], g, rtol=1e-12)
        after = last.before[key] - last.lr * g
        assert_allclose(run.trainer.chain.params[key], after, rtol=1e-12)


def test_minibatch_adam_update_block_says_what_the_trainer_did(session):
    s = session("gd-variants")
    s.configure({"optimizer": "adam"})
    s.step(2)
    panel = frame(s, Cursor())["step_panel"]
    update = panel["blocks"][-1]
    assert update["title"] == "update (lr = 0.05, optimizer adam)"
    assert "mean over the batch of 8 examples" in update["text"]
    w = s.run.trainer.chain.params["affine.W"][0, 0]
    assert f"{w:.6g}" in update["text"]


# ---- truth, optimum, exact solvers ---------------------------------------------------


def test_optimum_is_the_closed_form_and_newton_s(session):
    from sklearn.linear_model import LogisticRegression

    s = session("normal-equation")
    wait_until(lambda: s.run.optimum is not None, "the optimum")
    X, y = s.run.X, s.run.data.y
    A = np.column_stack([X, np.ones(len(X))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    opt = s.run.optimum.params
    assert_allclose(opt["affine.W"][:, 0], coef[:-1], rtol=1e-9)
    assert_allclose(opt["affine.b"], coef[-1:], rtol=1e-9)

    s = session("regularization")  # mean BCE + alpha ||w||^2
    wait_until(lambda: s.run.optimum is not None, "the optimum")
    X, y, alpha = s.run.X, s.run.data.y, s.settings.alpha
    sk = LogisticRegression(C=1 / (2 * alpha * len(X)), tol=1e-12, max_iter=10_000)
    sk.fit(X, y)
    assert_allclose(s.run.optimum.params["affine.W"][:, 0], sk.coef_[0], rtol=1e-6)
    assert_allclose(s.run.optimum.params["affine.b"], sk.intercept_, rtol=1e-6)


def test_separable_data_have_no_optimum_and_say_why(session):
    s = session("logistic-1d")
    wait_until(lambda: s.run.optimum is not None, "the optimum")
    assert s.run.optimum.params is None
    assert "separable" in s.run.optimum.how


def test_an_exact_solver_solves_in_the_background(session):
    s = session("linear-1d")
    s.configure({"solver": "normal"})
    assert not s.run.iterative and not s.run.fitted
    s.step(1)
    wait_until(lambda: s.run.fitted, "the normal equation")
    assert_allclose(s.run.est.coef_, [5.0], rtol=1e-12)
    assert_allclose(s.run.est.intercept_, -3.0, rtol=1e-12)
    doc = frame(s, Cursor())
    assert doc["params"]["values"] == [5.0, -3.0]


# ---- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"lr": "-1"}, "lr", "greater than 0"),
        ({"lr": "abc"}, "lr", "'abc' is not a number"),
        ({"lr": ""}, "lr", "empty"),
        ({"batch_size": "2.5"}, "batch_size", "not a whole number"),
        ({"gen.n": "lots"}, "gen.n", "'lots' is not a whole number"),
        ({"gen.n": "99999"}, "gen.n", "between 2 and 5000"),
        ({"solver": "newton"}, "solver", "trains with sgd, minibatch, batch, normal"),
        ({"model": "svm"}, "model", "unknown model 'svm'"),
    ],
)
def test_bad_settings_name_their_field(given, field, words):
    with pytest.raises(SettingsError) as e:
        parse(given, preset("linear-1d"))
    assert words in e.value.errors[field]


def test_bad_data_name_their_field(session):
    s = session("perceptron")
    with pytest.raises(SettingsError) as e:
        s.configure({"data": "synthetic:blobs"})  # 3 classes, a binary-only model
    assert "separates two classes; these data have 3" in e.value.errors["model"]
    assert s.settings.data == "synthetic:perceptron"  # the run is unchanged
    with pytest.raises(SettingsError) as e:
        s.upload_file("picture.png", b"\x89PNG\r\n\x1a\n" + bytes(32))
    assert "not a .csv file" in e.value.errors["upload"]
    with pytest.raises(SettingsError) as e:
        s.upload_file("binary.csv", bytes(range(256)))
    assert "not UTF-8 text" in e.value.errors["upload"]
    with pytest.raises(SettingsError) as e:
        s.upload_file("big.csv", b"a,b\n" + b"1,2\n" * (2 * 1024 * 1024))
    assert "up to 5 MiB" in e.value.errors["upload"]
    assert s.upload_file("houses.csv", b"size,price\n50,1\n80,2\n120,3\n") == [
        "size",
        "price",
    ]
    with pytest.raises(SettingsError) as e:
        s.configure({"data": "upload", "target": "rooms", "model": "linear"})
    assert "'rooms'" in e.value.errors["target"]
    s.configure({"data": "upload", "target": "price", "model": "linear"})
    assert s.run.data.source == "upload:houses.csv" and s.run.X.shape == (3, 1)


def test_every_preset_trains_and_draws(session):
    for name in PRESETS:
        s = session(name)
        s.step(3)
        doc = frame(s, Cursor())
        assert doc["status"]["t"] == 3, name
        assert doc["fit"]["kind"] in ("line", "parity", "curve", "regions"), name
        assert doc["step_panel"]["blocks"][-1]["title"].startswith("update"), name
        s.close()


def test_regions_past_two_features_are_in_the_pca_plane(session):
    s = session("logistic-nd")
    fit = frame(s, Cursor())["fit"]
    assert fit["kind"] == "regions"
    assert fit["xlabel"].startswith("PC1 (") and fit["xlabel"].endswith("of variance)")
    assert "principal components" in fit["note"]
    assert "average of the nearby training rows" in fit["note"]
    assert len(fit["cls"]) == fit["n"] ** 2
    # wine, standardized: every class the model predicts on the rows has a region
    s.configure({**vars(s.settings), "data": "sklearn:wine", "model": "softmax",
                 "scale": True, "lr": 0.1})  # fmt: skip
    s.step(400)  # per-sample steps: a little over two epochs
    fit = frame(s, Cursor())["fit"]
    run = s.run
    predicted = set(np.searchsorted(run.est.classes_, run.est.predict(run.X)).tolist())
    assert len(predicted) == 3 and set(fit["cls"]) == predicted


# ---- the command ---------------------------------------------------------------------


def test_cli_help_a_bad_preset_and_a_busy_port(capsys):
    import socket

    assert main(["playground", "--help"]) == 0
    assert "--no-browser" in capsys.readouterr().out
    assert main(["playground", "--preset", "nope", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'nope'" in err and "linear-1d" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["playground", "--port", str(port), "--no-browser"]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_the_lecture_map_links_every_preset():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "lectures.md").read_text(
        encoding="utf-8"
    )
    linked = re.findall(r"`lingrad playground --preset ([a-z0-9-]+)`", text)
    assert sorted(set(linked)) == sorted(PRESETS)


def test_a_standardized_run_exports_as_a_scaler_pipeline(session, tmp_path):
    """--scale's file: Pipeline(StandardScaler, model) predicting as the session."""
    import lingrad
    from lingrad.playground.export import export

    s = session("logistic-nd")
    s.configure({**vars(s.settings), "scale": True})
    s.step(20)
    folder, names = export(s, tmp_path / "exports")
    model = lingrad.load(folder / "model.lingrad")
    assert [name for name, _ in model.steps] == ["scale", "model"]
    import pandas as pd

    run = s.run
    X = np.asarray(run.data.X, dtype=np.float64)
    frame_X = pd.DataFrame(X, columns=list(run.data.feature_names))  # names saved
    assert_array_equal(model[0].transform(frame_X), (X - run.mean) / run.std)
    assert_array_equal(
        model.predict(frame_X), run.est.predict((X - run.mean) / run.std)
    )
    assert "report.html" in names


def _numbers(text):
    import re

    text = re.sub(r"\(\d+x\d+\)", "", text)
    found = re.findall(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", text)
    return np.array([float(v) for v in found])


def test_every_step_panel_line_shows_its_numbers(session):
    """No empty value line in any preset's panel; the update block of the
    networks (W, V: more than 12 numbers) shows before, lr, dJ_dp and after, and
    they are the trainer's."""
    for name in PRESETS:
        s = session(name)
        s.step(5)
        text = frame(s, Cursor())["step_panel"]["text"]
        lines = text.splitlines()
        assert all(ln.strip() or not ln for ln in lines), name
        assert not [ln for ln in lines if ln.rstrip().endswith(("=", ":="))], name
        if name not in ("two-layer", "residual"):
            s.close()
            continue
        last, params = s.run.stepper.last, s.run.trainer.chain.params
        update = text.split("\n# update")[1].splitlines()[1:]
        rules = [k for k, ln in enumerate(update) if ":=" in ln]
        assert len(rules) == len(params), name
        for k, key in zip(rules, params, strict=True):
            shown = " ".join(update[k + 1 : k + 3])  # = before - lr * grad / = after
            before, _, rest = shown.split("= ")[1].partition(" - ")
            lr, _, grad = rest.partition(" * ")
            after = shown.split("= ")[2]
            assert float(lr) == last.lr, (name, key)
            for printed, value in ((before, last.before[key]), (grad, last.grads[key]),
                                   (after, params[key])):  # fmt: skip
                assert_allclose(_numbers(printed), np.ravel(value), rtol=6e-4)
        s.close()
