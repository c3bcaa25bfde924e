"""Huber and hinge where a user meets them: the playground's loss choice, the
command line's default solver, the words of explain and the report, and the
comparison that says when scikit-learn's reference minimises another loss."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lingrad.cli import main
from lingrad.models import LinearRegression, Perceptron
from lingrad.models.registry import MODELS, model_spec
from lingrad.playground.options import options
from lingrad.playground.settings import (
    SettingsError,
    losses,
    parse,
    preset,
    solvers,
)


def html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


# ---- the playground ------------------------------------------------------------------


def test_playground_losses_are_the_estimators_own():
    for name, spec in MODELS.items():
        assert losses(name) == tuple(getattr(spec.cls(), "_losses", ()))
    assert losses("linear") == ("squared_error", "huber")
    assert losses("perceptron") == ("perceptron", "hinge")
    models = options()["models"]
    offered = {m["value"]: [x["value"] for x in m["losses"]] for m in models}
    assert offered["linear"] == ["squared_error", "huber"]
    assert offered["perceptron"] == ["perceptron", "hinge"]
    assert offered["softmax"] == []


def test_playground_trains_huber_and_hinge():
    s = parse({"loss": "huber"}, preset("linear-1d"))
    assert s.estimator_params()["loss"] == "huber"
    s = parse({"loss": "hinge", "penalty": "l2"}, preset("perceptron"))
    assert s.estimator_params()["loss"] == "hinge"
    est = MODELS["perceptron"].cls()(**s.estimator_params())
    assert est.training_problem(np.eye(2), np.array([0, 1])).loss.name == "hinge"


def test_playground_loss_follows_the_model_and_refuses_another_s():
    s = parse({"model": "logistic"}, preset("linear-1d"))
    assert s.loss == "log"  # the model's default, not linear's squared error
    s = parse({"model": "softmax"}, s)
    assert s.loss == "" and "loss" not in s.estimator_params()
    with pytest.raises(SettingsError) as e:
        parse({"loss": "hinge"}, preset("linear-1d"))
    assert (
        "'linear' trains with squared_error, huber; not 'hinge'"
        in e.value.errors["loss"]
    )


def test_playground_huber_has_no_normal_equation():
    assert "normal" in solvers("linear") and "normal" not in solvers("linear", "huber")
    with pytest.raises(SettingsError) as e:
        parse({"loss": "huber", "solver": "normal"}, preset("linear-1d"))
    assert "with loss 'huber' trains with sgd" in e.value.errors["solver"]
    s = parse({"solver": "normal"}, preset("linear-1d"))
    assert parse({"loss": "huber"}, s).solver == "sgd"  # normal no longer applies


# ---- the estimator and the command line ----------------------------------------------


def test_huber_with_the_normal_equation_names_the_solvers_that_work():
    X, y = np.arange(8.0).reshape(-1, 1), np.arange(8.0)
    with pytest.raises(ValueError, match="Use one of the solvers 'lbfgs', 'sgd'"):
        LinearRegression(loss="huber", solver="normal").fit(X, y)


def test_cli_fits_huber_without_a_solver(tmp_path, capsys):
    from sklearn.datasets import load_diabetes

    out = tmp_path / "huber"
    code = main(["fit", "--data", "sklearn:diabetes", "--model", "linear",
                 "--param", "loss=huber", "--param", "epsilon=50", "--scale",
                 "--no-figures", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    doc = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert doc["hyperparams"]["solver"] == "lbfgs"
    # the same objective through the library: lbfgs on the standardized rows
    from lingrad import load

    model = load(out / "model.lingrad")
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    A = X.to_numpy()
    Z = (A - A.mean(axis=0)) / A.std(axis=0)
    ref = LinearRegression(loss="huber", epsilon=50.0, solver="lbfgs", tol=1e-10)
    assert_allclose(model.predict(X), ref.fit(Z, y).predict(Z), rtol=1e-3)
    page = html_text(out / "report.html")
    assert "linear regression (Huber loss)" in page
    assert "J = mean H(y - pred)" in page
    assert "Losses: lingrad minimises the huber loss, scikit-learn's " in page
    assert "LinearRegression the squared error" in page


def test_squared_error_fit_says_nothing_about_losses(tmp_path, capsys):
    out = tmp_path / "ols"
    code = main(["fit", "--data", "sklearn:diabetes", "--model", "linear",
                 "--no-figures", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    page = html_text(out / "report.html")
    assert "Losses:" not in page and "linear regression (squared error)" in page


# ---- the words -----------------------------------------------------------------------


def test_explain_header_names_the_loss():
    from lingrad.workflows.render import render
    from lingrad.workflows.walk import walk

    X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([5.0, -0.2])
    w = walk(model_spec("linear"), LinearRegression(loss="huber"), X, y, step=0,
             lr=0.1, seed=0)  # fmt: skip
    head = render(w, "toy", 2).splitlines()[0]
    assert head == "lingrad explain: linear — linear regression (Huber loss)"
    X, y = np.array([[1.0, 2.0], [-0.5, -1.0]]), np.array([1, 0])
    w = walk(model_spec("perceptron"), Perceptron(loss="hinge"), X, y, step=0,
             lr=0.1, seed=0)  # fmt: skip
    assert "hinge loss: a linear SVM" in render(w, "toy", 2).splitlines()[0]
    w = walk(model_spec("linear"), LinearRegression(), X, y.astype(float), step=0,
             lr=0.1, seed=0)  # fmt: skip
    assert render(w, "toy", 2).splitlines()[0].endswith("(squared error)")


def test_every_loss_choice_has_its_own_words():
    for name, spec in MODELS.items():
        default, *others = losses(name) or ("",)
        assert spec.for_loss(default) is spec
        for loss in others:
            other = spec.for_loss(loss)
            assert other.summary != spec.summary, (name, loss)
            assert other.equation.splitlines()[0] == spec.equation.splitlines()[0]
            assert other.equation.splitlines()[1] != spec.equation.splitlines()[1]
