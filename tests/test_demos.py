# ruff: noqa: NPY002  (the lectures' listings draw from NumPy's legacy global RNG)
"""Every lecture demo runs end to end (quick sizes), writes its files, and draws what
the lecture draws; the numbers it reports agree with the closed forms."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.text import Text
from numpy.testing import assert_allclose
from PIL import Image

from lingrad import plot
from lingrad.data import datasets
from lingrad.data.lectures import HIDDEN
from lingrad.demos import DEFAULT, DEMOS, run
from lingrad.errors import LingradError

REQUIRED = [
    "linear-1d", "linear-nd", "gd-variants", "logistic-1d", "logistic-nd",
    "sigmoid-shapes", "logistic-mse-vs-bce", "regularization", "bipolar-sigmoid",
    "perceptron", "multiclass-perceptron", "softmax", "two-layer", "residual",
    "normal-equation",
]  # fmt: skip
SEEDS = (
    "lecture4-linear-logistic-regression.md",
    "lecture7-linear-regression-tensors.md",
    "notes-perceptron-softmax-ann.md",
    "homework-matrix-calculus-and-gradients.md",
    "textbook-linear-models-outline.md",
)
FRAMES = 5  # quick runs ask for five GIF frames


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Each demo run once (quick), on demand."""
    root = tmp_path_factory.mktemp("demos")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = run(name, root / name, quick=True)
        return cache[name]

    return get


def doc(result) -> dict:
    with open(result.out_dir / "metrics.json", encoding="utf-8") as f:
        return json.load(f, parse_constant=pytest.fail)  # no NaN / Infinity


def lines_of(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 0]


# ---- the registry -------------------------------------------------------------
def test_registry_holds_every_lecture_experiment():
    assert list(DEMOS)[0] == DEFAULT == "linear-1d"
    assert set(REQUIRED) <= set(DEMOS)
    for name, demo in DEMOS.items():
        assert demo.name == name
        assert demo.summary and "\n" not in demo.summary and len(demo.summary) < 80
        assert any(seed in demo.lecture for seed in SEEDS), demo.lecture
        assert callable(demo.func)


def test_unknown_demo_lists_the_valid_names(tmp_path):
    with pytest.raises(LingradError) as err:
        run("linear-2d", tmp_path)
    message = str(err.value)
    assert "linear-2d" in message
    assert all(name in message for name in DEMOS)
    assert not any(tmp_path.iterdir())  # nothing written


def test_default_folder_and_progress(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    said = []
    result = run("sigmoid-shapes", quick=True, progress=said.append)
    out = tmp_path / "lingrad-out" / "sigmoid-shapes"
    assert result.out_dir.resolve() == out.resolve()
    assert (out / "report.html").is_file() and (out / "metrics.json").is_file()
    assert said[0] == "sigmoid-shapes: training"
    assert any("report.html" in text for text in said)


def test_every_warning_names_its_demo(tmp_path, monkeypatch, capsys):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from lingrad import demos
    from lingrad.cli import main

    def noisy(ctx):
        for _ in range(2):  # said once, however often it happens
            message = "Newton did not converge in 200 iterations"
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return demos.DEMOS["sigmoid-shapes"].func(ctx)

    demo = demos.Demo("noisy", "warns", "lecture4-linear-logistic-regression.md", noisy)
    monkeypatch.setitem(demos.DEMOS, "noisy", demo)
    with pytest.warns(ConvergenceWarning, match="^demo noisy: Newton did not") as got:
        run("noisy", tmp_path / "a", quick=True)
    assert len(got) == 1
    assert main(["demo", "noisy", "--quick", "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "lingrad: warning: demo noisy: Newton did not converge" in err


# ---- every demo: files, metrics.json, images, report ------------------------------
@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_writes_all_its_files(results, name):
    result = results(name)
    assert result.name == name
    assert result.report == result.out_dir / "report.html"
    names = {p.name for p in result.files}
    assert {"metrics.json", "report.html"} <= names
    pngs = [p for p in result.files if p.suffix == ".png"]
    gifs = [p for p in result.files if p.suffix == ".gif"]
    assert pngs, "every demo draws at least one figure"
    for path in result.files:
        assert path.is_file() and path.stat().st_size > 0, path
    for path in pngs:
        with Image.open(path) as im:
            assert im.format == "PNG" and min(im.size) > 200
            assert np.asarray(im.convert("L")).std() > 5  # not a blank canvas
    for path in gifs:
        with Image.open(path) as im:
            assert im.format == "GIF" and im.n_frames == FRAMES
        assert result.frames[path.name] == FRAMES
    assert set(result.figures) == {p.name for p in pngs}

    d = doc(result)
    assert d["demo"] == name and d["quick"] is True
    assert d["metrics"] and d["comparison"]
    assert set(d["files"]) == names
    assert (
        result.metrics == d["metrics"]
        or json.loads(json.dumps(result.metrics)) == (d["metrics"])
    )

    page = result.report.read_text(encoding="utf-8")
    assert page.count("<img ") == len(pngs) + len(gifs)
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert page.count('src="data:image/gif;base64,') == len(gifs)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for section in ("Model", "Data", "Hyperparameters", "Final metrics", "Comparison"):
        assert f"<h2>{section}" in page
    assert d["compared with"] and f"<h2>Comparison with {d['compared with']}" in (
        page.replace("&#x27;", "'")
    )


# ---- the lectures' listings, replayed literally -------------------------------------
# Lecture 4's four training listings, copied from the seed (drawing lines left out),
# repaired only where the OCR garbled them ("n_{data}" -> n_data, "np_random_" ->
# np.random., "dJ db" -> dJ_db, "np[log" -> np.log, "W_{\bullet}T" -> W.T) and where
# they cannot run as printed (np.int, removed from NumPy: int; dpred_b: dpred_db).
# They draw from the global generator, which a fixture restores.


@pytest.fixture
def global_seed():
    state = np.random.get_state()
    yield
    np.random.set_state(state)


# fmt: off
def listing_linear_1d(factor=2):
    """Linear Regression (1 Feature); ``factor`` is the listing's 2 of ``2*lr``."""
    np.random.seed(1)
    # set params
    n_data = 100
    lr = 0.01
    t_w, t_b = 5, -3
    w, b = np.random.uniform(-3, 3, 2)  # initial weight, bias
    # generate dataset
    x_data = np.random.randn(n_data,)
    y_data = t_w * x_data + t_b
    # train model and visualize updated model
    J_track = list()
    w_track, b_track = list(), list()
    for data_idx, (x, y) in enumerate(zip(x_data, y_data)):  # noqa: B007, B905
        w_track.append(w)
        b_track.append(b)
        # loss calculation
        pred = x*w + b
        J = (y - pred)**2
        J_track.append(J)
        # jacobians
        dJ_dpred = -2*(y - pred)
        dpred_dw = x
        dpred_db = 1
        # backpropagation
        dJ_dw = dJ_dpred * dpred_dw
        dJ_db = dJ_dpred * dpred_db
        w = w - factor*lr*dJ_dw
        b = b - factor*lr*dJ_db
    return (w, b), J_track, (w_track, b_track)


def listing_linear_nd():
    np.random.seed(1)
    # set params
    n_data, n_feature = 100, 3
    lr = 0.1
    t_W = np.random.uniform(-3, 3, (n_feature, 1))
    t_b = np.random.uniform(-3, 3, (1, ))
    W = np.random.uniform(-3, 3, (n_feature, 1))
    b = np.random.uniform(-3, 3, (1, ))
    # generate dataset
    x_data = np.random.randn(n_data, n_feature)
    y_data = x_data @ t_W + t_b
    J_track = list()
    W_track, b_track = list(), list()
    for data_idx, (X, y) in enumerate(zip(x_data, y_data)):  # noqa: B007, B905
        W_track.append(W)
        b_track.append(b)
        # forward propagation
        pred = X @ W + b
        J = (y - pred)**2
        J_track.append(J)
        # jacobians
        dJ_dpred = -2*(y - pred)
        dpred_dW = X.reshape(1, -1)
        dpred_db = 1  # printed: dpred_b = 1
        # backpropagation
        dJ_dW = dJ_dpred * dpred_dW
        dJ_db = dJ_dpred * dpred_db
        # paramter update
        W = W - lr*dJ_dW.T
        b = b - lr*dJ_db
    W_track = np.hstack(W_track)
    b_track = np.concatenate(b_track)
    return (W, b), J_track, (W_track, b_track)


def listing_logistic_1d():
    np.random.seed(1)
    # set params
    n_data = 500
    lr = 0.1
    t_w, t_b = 5, -3
    w, b = np.random.uniform(-3, 3, 2)  # initial weight, bias
    # generate dataset
    t_decision_boundary = -t_b/t_w
    x_data = np.random.normal(t_decision_boundary, 1,
                              (n_data, ))
    y_data = x_data * t_w + t_b
    y_data = (y_data > t_decision_boundary).astype(np.float32)
    # train model and visualize updated model
    J_track = list()
    w_track, b_track = list(), list()
    for data_idx, (x, y) in enumerate(zip(x_data, y_data)):  # noqa: B007, B905
        w_track.append(w)
        b_track.append(b)
        # loss calculation
        pred = x*w + b
        pred = 1/(1 + np.exp(-pred))
        J = -(y*np.log(pred) + (1-y)*np.log(1-pred))
        J_track.append(J)
        # jacobians
        dJ_dpred = (pred - y)/(pred*(1-pred))
        dpred_dz = pred*(1-pred)
        dz_dw = x
        dz_db = 1
        # backpropagation
        dJ_dz = dJ_dpred * dpred_dz
        dJ_dw = dJ_dz * dz_dw
        dJ_db = dJ_dz * dz_db
        # train model
        w = w - lr*dJ_dw
        b = b - lr*dJ_db
    return (w, b), J_track, (w_track, b_track)


def listing_logistic_nd():
    np.random.seed(1)
    # set params
    n_data, n_feature = 1000, 3
    lr = 0.03
    t_W = np.random.uniform(-1, 1, (n_feature, 1))  # target weights
    t_b = np.random.uniform(-1, 1, (1, ))  # target bias
    W = np.random.uniform(-1, 1, (n_feature, 1))  # initial weights
    b = np.random.uniform(-1, 1, (1, ))  # initial biass
    # generate dataset
    x_data = np.random.randn(n_data, n_feature)
    y_data = x_data @ t_W + t_b
    y_data = 1/(1 + np.exp(-y_data))
    y_data = (y_data > 0.5).astype(int)  # printed: np.int
    J_track, acc_track = list(), list()
    n_correct = 0
    for data_idx, (X, y) in enumerate(zip(x_data, y_data)):  # noqa: B905
        # train model
        pred = X @ W + b
        pred = 1/(1 + np.exp(-pred))
        J = -(y*np.log(pred) + (1-y)*np.log(1-pred))
        J_track.append(J)
        pred_ = (pred > 0.5).astype(int)  # printed: np.int
        if pred_ == y:
            n_correct += 1
        acc_track.append(n_correct/(data_idx + 1))
        # jacobians
        dJ_dpred = (pred - y)/(pred*(1-pred))
        dpred_dz = pred*(1-pred)
        dz_dW = X.reshape(1, -1)
        dz_db = 1
        # backpropagation
        dJ_dz = dJ_dpred * dpred_dz
        dJ_dW = dJ_dz * dz_dW
        dJ_db = dJ_dz * dz_db
        # train model
        W = W - lr*dJ_dW.T
        b = b - lr*dJ_db
    return (W, b), J_track, acc_track


# fmt: on


LISTINGS = {
    "linear-1d": listing_linear_1d,
    "linear-nd": listing_linear_nd,
    "logistic-1d": listing_logistic_1d,
    "logistic-nd": listing_logistic_nd,
}


@pytest.mark.parametrize("name", list(LISTINGS))
def test_demo_is_the_listing_replayed_literally(results, global_seed, name):
    """lingrad's run of a listing demo ends where the listing's own loop ends."""
    result = results(name)
    params, J_track, third = LISTINGS[name]()
    replay = np.concatenate([np.ravel(p) for p in params])
    learned = np.ravel(list(doc(result)["parameters"].values()))
    assert_allclose(learned, replay, rtol=1e-12, atol=1e-12)
    # the figure's per-step loss is the listing's J_track
    loss_png = "loss_accuracy.png" if name == "logistic-nd" else "loss_params.png"
    ax = result.figures[loss_png].axes[0]
    assert_allclose(lines_of(ax)[0].get_ydata(), np.ravel(J_track), rtol=1e-10)
    if name == "logistic-nd":  # and its accumulated accuracy is the listing's
        acc = lines_of(result.figures["loss_accuracy.png"].axes[1])[0].get_ydata()
        assert_allclose(acc, third, rtol=0, atol=1e-15)


# ---- what each demo draws and reports -----------------------------------------------
def test_linear_1d_is_the_lecture_loop(results):
    result = results("linear-1d")
    d = doc(result)
    fig = result.figures["fit.png"]
    ax = fig.axes[0]
    assert len(lines_of(ax)) == 101  # the line before each of 100 steps, and after
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points.get_offsets()) == 100
    w, b = d["parameters"]["w"], d["parameters"]["b"]
    last = lines_of(ax)[-1]
    x0, x1 = last.get_xdata()
    assert_allclose(last.get_ydata(), [w * x0 + b, w * x1 + b], rtol=1e-12)
    rows = d["comparison"]
    assert rows["w"]["SGD"] == rows["w"]["lecture's NumPy loop"]  # bit for bit
    assert rows["b"]["SGD"] == rows["b"]["lecture's NumPy loop"]
    assert_allclose([rows["w"]["closed form"], rows["b"]["closed form"]], [5, -3])
    # the listing's 2·lr·dJ_dw brings one pass close to the truth, as its figure
    assert 4.5 < w < 5 and -3 < b < -2.5
    assert "2·lr·dJ_dw" in d["hyperparams"]["update"]

    ax_loss, ax_params = result.figures["loss_params.png"].axes[:2]
    assert len(lines_of(ax_loss)[0].get_xdata()) == 100  # J before each step
    levels = {round(line.get_ydata()[0], 9) for line in ax_params.get_lines()}
    assert {5.0, -3.0} <= levels  # the dotted truth lines
    w_line = next(ln for ln in ax_params.get_lines() if ln.get_label() == "w")
    assert w_line.get_ydata()[-1] == pytest.approx(w)


def test_linear_1d_corrected_runs_the_derivations_update(tmp_path):
    d = doc(run("linear-1d", tmp_path, quick=True, corrected=True))
    w, b = d["parameters"]["w"], d["parameters"]["b"]
    replay, _, _ = listing_linear_1d(factor=1)  # w := w − lr·dJ_dw
    assert_allclose([w, b], replay, rtol=1e-12, atol=1e-12)
    assert 3.7 < w < 3.9  # one pass at lr = 0.01 stops short of w = 5
    listing = d["comparison"]["w"]["lecture's NumPy loop"]  # still as printed
    assert listing > 4.5 and "corrected" in d["hyperparams"]["update"]


def test_linear_nd_reaches_the_truth(results):
    d = doc(results("linear-nd"))
    assert d["metrics"]["max |w − truth|"] < 1e-3
    for row in d["comparison"].values():
        assert row["SGD"] == row["lecture's NumPy loop"]
        assert row["closed form"] == pytest.approx(row["truth"], abs=1e-9)


def test_gd_variants_paths_on_the_surface(results):
    result = results("gd-variants")
    d = doc(result)
    ax_contour = result.figures["loss_surface.png"].axes[1]
    labels = [line.get_label() for line in ax_contour.get_lines()]
    for variant in (
        "per-sample SGD (m = 1)",
        "minibatch (m = 10)",
        "full batch (m = N)",
    ):
        assert variant in labels
        assert d["comparison"][variant]["updates"] == 100
    star = next(ln for ln in ax_contour.get_lines() if ln.get_label().startswith("opt"))
    opt = d["comparison"]["normal equation"]
    assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], [opt["w"], opt["b"]])
    rows = d["comparison"]
    assert rows["full batch (m = N)"]["distance to optimum"] < 0.01
    assert (
        rows["full batch (m = N)"]["distance to optimum"]
        < rows["per-sample SGD (m = 1)"]["distance to optimum"]
    )
    # each run keeps its colour in both figures
    curves = {ln.get_label(): ln.get_color() for ln in lines_of(
        result.figures["loss_curves.png"].axes[0])}  # fmt: skip
    paths = {ln.get_label(): ln.get_color() for ln in ax_contour.get_lines()}
    for variant in d["comparison"]:
        if variant != "normal equation":
            assert to_hex(paths[variant]) == to_hex(curves[variant])


def test_normal_equation_is_the_gaussian_mle(results):
    result = results("normal-equation")
    d = doc(result)
    assert d["metrics"]["max |GD − normal equation|"] < 1e-8
    assert d["metrics"]["max |scikit-learn − normal equation|"] < 1e-10
    fig = result.figures["likelihood.png"]
    ax, twin = fig.axes[:2]
    log_p = next(ln for ln in ax.get_lines() if "likelihood" in ln.get_label())
    peak = log_p.get_xdata()[np.argmax(log_p.get_ydata())]
    step = np.diff(log_p.get_xdata())[0]
    assert abs(peak - d["comparison"]["w1"]["normal equation"]) <= step
    # the legend covers neither curve (not the peak, not the valley of the error)
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    for line in lines_of(ax) + lines_of(twin):
        if len(line.get_xdata()) > 2:
            points = line.get_transform().transform(line.get_xydata())
            assert not any(box.contains(*p) for p in points), line.get_label()
    # batch descent is smooth: the loss panel is the per-step curve alone, bold
    (J,) = lines_of(result.figures["loss_params.png"].axes[0])
    assert J.get_alpha() == 1.0 and np.all(np.diff(J.get_ydata()) < 1e-12)


def test_logistic_1d_draws_every_step(results):
    result = results("logistic-1d")
    d = doc(result)
    assert len(lines_of(result.figures["fit.png"].axes[0])) == 501
    assert d["metrics"]["accuracy"] > 0.95
    rows = d["comparison"]
    assert rows["w"]["|difference|"] < 1e-12 and rows["b"]["|difference|"] < 1e-12
    assert d["metrics"]["decision boundary −b/w"] == pytest.approx(0.72, abs=0.05)


def test_logistic_nd_accumulated_accuracy(results):
    result = results("logistic-nd")
    d = doc(result)
    ax_acc = result.figures["loss_accuracy.png"].axes[1]
    acc = lines_of(ax_acc)[0].get_ydata()
    assert len(acc) == 1000
    assert acc[-1] == pytest.approx(d["metrics"]["accumulated accuracy"])
    assert d["metrics"]["cos(learned θ, true θ)"] > 0.99
    for row in d["comparison"].values():
        assert row["|lingrad − lecture|"] < 1e-12


def test_sigmoid_shapes(results):
    result = results("sigmoid-shapes")
    ax_w, ax_b = result.figures["sigmoid_shapes.png"].axes[:2]
    assert len([ln for ln in ax_w.get_lines() if len(ln.get_xdata()) > 2]) == 4
    assert len([ln for ln in ax_b.get_lines() if len(ln.get_xdata()) > 2]) == 3
    for row in doc(result)["comparison"].values():
        lingrad, formula = list(row.values())
        assert lingrad == pytest.approx(formula, abs=1e-9)


def test_mse_vs_bce(results):
    result = results("logistic-mse-vs-bce")
    d = doc(result)
    panels = [
        ax for ax in result.figures["surfaces.png"].axes if "SGD" in ax.get_title()
    ]
    assert [ax.get_title().split(":")[0] for ax in panels] == [
        "cross-entropy",
        "squared error",
    ]
    colors = {}  # one colour per run, the same in both figures
    for ax, loss in zip(panels, ("cross-entropy", "squared error"), strict=True):
        for where in ("lecture's start", "confidently wrong start"):
            label = f"{loss}, {where}"
            (path,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
            colors[path.get_label()] = path.get_color()
    assert len(set(colors.values())) == 4
    for ax in result.figures["training.png"].axes[:2]:
        for line in lines_of(ax):
            assert line.get_color() == colors[line.get_label()]
    ax = result.figures["gradients.png"].axes[0]
    bce, mse = lines_of(ax)[:2]
    assert bce.get_ydata()[0] == pytest.approx(1.0, abs=1e-3)  # |ŷ − y| at z = −8
    assert mse.get_ydata().max() < 0.16  # (ŷ − y)ŷ(1 − ŷ) never exceeds 4/27
    wrong = d["comparison"]
    bce_J = wrong["cross-entropy, confidently wrong start"]["BCE on the data"]
    mse_J = wrong["squared error, confidently wrong start"]["BCE on the data"]
    assert bce_J < mse_J  # cross-entropy recovers faster from a wrong start


def test_regularization(results):
    result = results("regularization")
    d = doc(result)
    m = d["metrics"]
    assert m["L1: weights exactly 0 at the largest α"] == 6
    assert m["L1: weights exactly 0 at the smallest α"] == 0
    assert m["L2: weights exactly 0 at any α"] == 0
    assert m["Problem 2: ‖w‖ with the L2 penalty"] < m["Problem 2: ‖w‖ without it"]
    comparison = d["comparison"]
    assert comparison["L1 path: max |GD − scikit-learn Lasso|"]["value"] < 1e-6
    assert comparison["L2 path: max |GD − closed-form ridge|"]["value"] < 1e-2
    for i in (1, 2, 3):
        row = comparison[f"Problem 2 w{i}"]
        assert row["|GD − Newton|"] < 1e-3
        assert row["Newton (exact)"] == pytest.approx(row["scikit-learn"], abs=1e-6)
    ax_l1, ax_l2 = result.figures["regularization_paths.png"].axes[:2]
    assert len([ln for ln in ax_l1.get_lines() if ln.get_label().startswith("w")]) == 6
    assert ax_l1.get_xscale() == "log"


def test_regularization_demo_tells_a_student_of_no_unconverged_solver(tmp_path, capsys):
    """Issue 17: 'Newton did not converge in 200 iterations (tol=1e-12)' was printed
    (and failed the suite under warnings-as-errors on an AVX-512 machine)."""
    from lingrad.cli import main

    assert main(["demo", "regularization", "--quick", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "converge" not in err and "warning" not in err, err


def test_bipolar_sigmoid(results):
    d = doc(results("bipolar-sigmoid"))
    assert d["metrics"]["accuracy (sign f = y)"] == 1.0
    assert d["metrics"]["gradient check: relative error"] < 1e-6
    for row in d["comparison"].values():
        assert row["|difference|"] < 1e-10


def test_perceptron(results):
    result = results("perceptron")
    d = doc(result)
    assert d["metrics"]["accuracy"] == 1.0
    mistakes = d["comparison"]["mistakes"]
    assert mistakes["lingrad"] <= mistakes["Novikoff bound (R/γ)²"]
    assert sum(d["metrics"]["mistakes per epoch"]) == mistakes["lingrad"]
    assert d["metrics"]["mistakes per epoch"][-1] == 0  # converged
    ax = result.figures["mistakes.png"].axes[0]
    (line,) = lines_of(ax)
    assert list(line.get_ydata()) == d["metrics"]["mistakes per epoch"]
    fig = ax.figure
    fig.canvas.draw()
    for ticks in (ax.get_yticks(), ax.get_xticks()):  # counts, epochs: whole numbers
        assert np.array_equal(ticks, np.round(ticks))
    # the boundary animation colours the sides of z = 0: no "P(y = 1)" colour bar
    from lingrad.plot.animate import boundary_animation

    data = datasets.perceptron_data(n=100, seed=0)
    snaps = [{"affine.W": np.array([[1.0], [2.0]]), "affine.b": np.array([0.5])}]
    fig, draw = boundary_animation(
        data.X, data.y, snaps, score_fn=plot.affine_score, frames=1, resolution=20
    )
    draw(0)
    assert len(fig.axes) == 1 and fig.axes[0].get_images()
    assert "P(y" not in " ".join(t.get_text() for t in fig.findobj(Text))


def test_multiclass_and_softmax(results):
    assert doc(results("multiclass-perceptron"))["metrics"]["accuracy"] >= 0.95
    d = doc(results("softmax"))
    assert d["metrics"]["max |P(GD) − P(Newton)|"] < 1e-3
    assert d["metrics"]["max |P(GD) − P(scikit-learn)|"] < 1e-3
    assert d["comparison"]["max |∂J/∂Θ| unfused − fused"]["gradient descent"] < 1e-12


def test_two_layer_beats_a_line(results):
    result = results("two-layer")
    d = doc(result)
    assert d["metrics"]["accuracy"] >= d["metrics"]["accuracy of a linear model"] + 0.05
    assert d["hyperparams"]["hidden units"] == HIDDEN["two-layer"]  # explain's too
    for value in d["comparison"]["max |backprop − notes' formula|"].values():
        assert value < 1e-12
    fig = result.figures["linear_vs_two_layer.png"]
    panels = [ax for ax in fig.axes if "accuracy" in ax.get_title()]
    for ax, key in zip(panels, ("accuracy of a linear model", "accuracy"), strict=True):
        assert f"accuracy {d['metrics'][key]:.3f}" in ax.get_title()
        assert [c for c in ax.collections if c.get_gid() == "decision-boundary"]


def test_residual_derivatives(results):
    result = results("residual")
    d = doc(result)
    m = d["metrics"]
    assert m["max |(a) formula − backprop|"] < 1e-12
    assert m["max |(b) formula − backprop|"] < 1e-12
    assert m["max |(b) formula − finite differences|"] < 1e-6
    assert m["accuracy"] > 0.9
    panels = result.figures["derivatives.png"].axes
    for ax, n in zip(panels, (200 * 4, 3 * 4), strict=True):  # ∂L/∂h, ∂L/∂W₁
        (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        formula, backprop = np.asarray(points.get_offsets()).T
        assert len(formula) == n and np.ptp(formula) > 0
        assert_allclose(backprop, formula, atol=1e-12)  # on the diagonal


def test_metrics_are_plain_json(results):
    d = doc(results("linear-1d"))

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert value is None or isinstance(value, (bool, int, float, str))
            if isinstance(value, float):
                assert math.isfinite(value)

    walk(d)
    assert Path(d["files"][0]).name == d["files"][0]  # names, not paths


# ---- the lecture map -----------------------------------------------------------------
LECTURES_MD = Path(__file__).resolve().parents[1] / "docs" / "lectures.md"


def resolve(dotted: str):
    """The object a dotted ``lingrad.module.Name.attr`` path names."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_lecture_map_names_real_code_and_every_demo():
    text = LECTURES_MD.read_text(encoding="utf-8")
    names = set(re.findall(r"`(lingrad(?:\.\w+)+)`", text))
    assert len(names) > 40
    for dotted in sorted(names):
        assert resolve(dotted) is not None, dotted
    for seed in SEEDS:
        assert f"(`{seed}`)" in text, seed
    for name, demo in DEMOS.items():
        assert f"`lingrad demo {name}`" in text, name
        assert f"`{demo.func.__module__}.{demo.func.__name__}`" in text, name
