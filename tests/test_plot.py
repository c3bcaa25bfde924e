"""The lecture figures, tested by what they hold: lines, their data, labels, scales."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from numpy.testing import assert_allclose
from PIL import Image
from scipy.special import expit
from sklearn.linear_model import LogisticRegression, Perceptron

from lingrad import plot as lp
from lingrad.plot.boundary import BOUNDARY_GID
from lingrad.plot.style import subsample_indices


def sgd_tracks(n: int = 30, lr: float = 0.05, seed: int = 1):
    """The lecture's loop on y = 5x - 3: w, b before each update; the final (w, b)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 5 * x - 3
    w, b = -1.0, 2.0
    w_track, b_track, J_track = [], [], []
    for x_i, y_i in zip(x, y, strict=True):
        w_track.append(w)
        b_track.append(b)
        pred = w * x_i + b
        J_track.append((y_i - pred) ** 2)
        dJ_dpred = -2 * (y_i - pred)
        w, b = w - lr * dJ_dpred * x_i, b - lr * dJ_dpred
    return x, y, np.array(w_track), np.array(b_track), np.array(J_track), (w, b)


def fake_history(w_track, b_track, J_track, final):
    S = len(J_track)
    return SimpleNamespace(
        step_loss=J_track,
        step_lr=np.full(S, 0.05),
        epoch_loss=np.array([J_track.mean()]),
        snapshot_step=np.arange(S),
        params={"affine.W": w_track[:, None, None], "affine.b": b_track[:, None]},
        final_params={
            "affine.W": np.array([[final[0]]]),
            "affine.b": np.array([final[1]]),
        },
        accumulated_accuracy=np.full(S, np.nan),
        epoch_accuracy=np.array([np.nan]),
    )


def labelled(ax) -> bool:
    return bool(ax.get_xlabel() and ax.get_ylabel() and ax.get_title())


def boundaries(ax) -> list[ContourSet]:
    return [c for c in ax.collections if c.get_gid() == BOUNDARY_GID]


# --- fit evolution ---


def test_fit_evolution_draws_one_line_per_snapshot_with_wx_plus_b():
    x, y, w_track, b_track, *_ = sgd_tracks(n=30)
    fig = lp.plot_fit_evolution(x, y, w_track, b_track, max_lines=10)
    ax = fig.axes[0]
    lines = ax.get_lines()
    idx = subsample_indices(30, 10)
    assert len(lines) == len(idx) == 10
    assert idx[0] == 0 and idx[-1] == 29
    for line, i in zip(lines, idx, strict=True):
        x_line = np.asarray(line.get_xdata())
        assert_allclose(x_line, [x.min(), x.max()])
        assert_allclose(line.get_ydata(), w_track[i] * x_line + b_track[i], rtol=1e-12)
    # colours run along the rainbow from first to last snapshot: different ends
    assert lines[0].get_color() != lines[-1].get_color()
    assert labelled(ax)
    assert fig.axes[1].get_ylabel() == "step"  # the colorbar


def test_fit_evolution_logistic_draws_sigmoids():
    rng = np.random.default_rng(0)
    x = rng.normal(0.6, 1.0, 40)
    y = (5 * x - 3 > 0).astype(float)
    w_track, b_track = np.linspace(0.5, 5, 12), np.linspace(0, -3, 12)
    fig = lp.plot_fit_evolution(
        x, y, w_track[:, None, None], b_track[:, None], kind="logistic"
    )
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 12
    for line, w, b in zip(ax.get_lines(), w_track, b_track, strict=True):
        x_line = np.asarray(line.get_xdata())
        assert x_line.min() < x.min() and x_line.max() > x.max()
        assert_allclose(line.get_ydata(), expit(w * x_line + b), rtol=1e-12)
    assert ax.get_ylim() == (-0.2, 1.2)


def test_fit_evolution_rejects_several_features():
    with pytest.raises(ValueError, match="one feature"):
        lp.plot_fit_evolution(np.zeros((5, 2)), np.zeros(5), np.zeros(3), np.zeros(3))


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 400), st.integers(1, 60))
def test_subsample_indices_are_distinct_even_and_keep_the_ends(M, n):
    idx = subsample_indices(M, n)
    assert len(idx) == min(M, n)
    assert len(np.unique(idx)) == len(idx)
    assert idx[-1] == M - 1 and (n == 1 or idx[0] == 0)


# --- loss, parameters, accuracy ---


def test_loss_switches_to_log_scale_only_when_it_spans_decades():
    decaying = 100.0 * 0.9 ** np.arange(100)  # spans ~4.6 decades
    assert lp.plot_loss(decaying).axes[0].get_yscale() == "log"
    flat = 1.0 + 0.5 * np.sin(np.arange(100))
    assert lp.plot_loss(flat).axes[0].get_yscale() == "linear"
    assert lp.plot_loss(flat, logy=True).axes[0].get_yscale() == "log"
    assert not lp.wants_log_scale([0.0, 1.0, 50.0])  # zeros are ignored: 1.7 decades
    assert lp.wants_log_scale([1e-3, 1.0])


def test_loss_draws_step_and_epoch_curves():
    S, E = 60, 3
    J = np.linspace(3.0, 1.0, S)
    fig = lp.plot_loss(J, J.reshape(E, -1).mean(axis=1))
    ax = fig.axes[0]
    step_line, epoch_line = ax.get_lines()
    assert_allclose(step_line.get_ydata(), J)
    assert_allclose(epoch_line.get_xdata(), [10, 30, 50])  # middles of the epochs
    assert_allclose(epoch_line.get_ydata(), J.reshape(E, -1).mean(axis=1))
    assert epoch_line.get_linewidth() > step_line.get_linewidth()
    assert ax.get_legend() is not None and labelled(ax)


def test_loss_moving_average_for_long_noisy_runs():
    J = np.abs(np.random.default_rng(0).normal(size=200)) + 0.1
    ax = lp.plot_loss(J).axes[0]
    assert len(ax.get_lines()) == 2
    ma = ax.get_lines()[1]
    assert "moving average (5 steps)" == ma.get_label()
    assert_allclose(ma.get_ydata()[0], J[:5].mean())
    assert len(lp.plot_loss(J, smooth=None).axes[0].get_lines()) == 1
    # a smooth descent (batch GD) is not averaged: the average would only lag it;
    # nor is one whose only rises are rounding at its floor
    smooth = 1.0 + 0.98 ** np.arange(200)
    assert len(lp.plot_loss(smooth).axes[0].get_lines()) == 1
    smooth[100:] = 1.0 + np.tile([0.0, 2e-16], 50)
    assert len(lp.plot_loss(smooth).axes[0].get_lines()) == 1


def test_loss_leaves_out_an_epoch_curve_that_repeats_the_steps():
    J = 1.0 + 0.9 ** np.arange(50)
    (line,) = lp.plot_loss(J, J).axes[0].get_lines()  # full batch: one step an epoch
    assert_allclose(line.get_xdata(), np.arange(50))
    assert_allclose(line.get_ydata(), J)
    assert line.get_alpha() == 1.0  # alone, the step curve is not faint
    (line,) = lp.plot_loss(J, [J.mean()]).axes[0].get_lines()  # one epoch: one point
    assert_allclose(line.get_ydata(), J)
    (line,) = lp.plot_loss(None, J[:3]).axes[0].get_lines()  # epochs alone: drawn
    assert_allclose(line.get_xdata(), [1, 2, 3])


def test_params_show_tracks_truth_dotted_and_optimum_dash_dot():
    steps = np.arange(0, 50, 5)
    W_track = np.column_stack([np.linspace(0, 2, 10), np.linspace(0, -1, 10)])
    b_track = np.linspace(1, 0.5, 10)
    fig = lp.plot_params(
        steps,
        W_track,
        b_track,
        true_W=[2.0, -1.0],
        true_b=0.5,
        optimum_W=[1.9, -0.9],
        optimum_b=0.45,
    )
    ax = fig.axes[0]
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    dashdot = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-."]
    assert [ln.get_label() for ln in solid] == ["w1", "w2", "b"]
    assert_allclose(solid[0].get_xdata(), steps)
    assert_allclose(solid[1].get_ydata(), W_track[:, 1])
    assert_allclose([ln.get_ydata()[0] for ln in dotted], [2.0, -1.0, 0.5])
    assert_allclose([ln.get_ydata()[0] for ln in dashdot], [1.9, -0.9, 0.45])
    for track, truth in zip(solid, dotted, strict=True):
        assert track.get_color() == truth.get_color()
    # the thick dotted truth lies over the thin dash-dot optimum where they agree
    assert min(map(Line2D.get_zorder, dotted)) > max(map(Line2D.get_zorder, dashdot))
    assert dotted[0].get_linewidth() > dashdot[0].get_linewidth()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "true value" in legend and "exact optimum" in legend
    assert labelled(ax)


def test_params_single_weight_uses_the_lecture_colours():
    fig = lp.plot_params(None, np.ones(5), np.zeros(5), true_W=5, true_b=-3)
    lines = fig.axes[0].get_lines()
    assert [ln.get_color() for ln in lines[:2]] == ["darkred", "darkred"]
    assert [ln.get_label() for ln in lines if ln.get_linestyle() == "-"] == ["w", "b"]


def test_accumulated_accuracy_and_two_row_figures():
    acc = np.cumsum(np.arange(20) % 3 != 0) / np.arange(1, 21)
    ax = lp.plot_accumulated_accuracy(acc).axes[0]
    assert_allclose(ax.get_lines()[0].get_ydata(), acc)
    assert ax.get_ylim() == (0.0, 1.05) and labelled(ax)
    x, y, w_track, b_track, J, _ = sgd_tracks()
    fig = lp.plot_loss_and_params(J, w_track, b_track, true_W=5, true_b=-3)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "loss J"
    assert fig.axes[1].get_ylabel() == "parameter value"
    assert len(lp.plot_loss_and_accuracy(J, acc[:1].repeat(len(J))).axes) == 2


# --- History conveniences -------------------------------------------------------------


def test_history_conveniences_read_snapshots_and_append_final():
    x, y, w_track, b_track, J, final = sgd_tracks(n=20)
    h = fake_history(w_track, b_track, J, final)
    steps, W, b = lp.param_tracks(h)
    assert_allclose(steps, np.arange(21))
    assert_allclose(W[-1].ravel(), final[0]) and W.shape == (21, 1, 1)
    fig = lp.plot_fit_from_history(x, y, h)
    assert len(fig.axes[0].get_lines()) == 21
    fig = lp.plot_history(h, true_W=5, true_b=-3, title="SGD")
    assert fig.axes[1].get_ylabel() == "parameter value"
    assert fig.axes[0].get_title() == "SGD"
    h.params = {}
    with pytest.raises(ValueError, match="snapshot_every"):
        lp.param_tracks(h)
    h.accumulated_accuracy = np.linspace(0.5, 0.9, 20)
    assert lp.plot_history(h).axes[1].get_ylabel() == "accumulated accuracy"


# --- sigmoid shapes ---


def test_sigmoid_shapes_mark_the_boundaries():
    fig = lp.plot_sigmoid_shapes(ws=(1, 3), bs=(-2, 1), w_for_shift=2.0)
    ax_w, ax_b = fig.axes
    assert [ln.get_label() for ln in ax_w.get_lines()][:2] == ["w = 1", "w = 3"]
    vertical = [ln for ln in ax_b.get_lines() if ln.get_linestyle() == "--"]
    assert_allclose([ln.get_xdata()[0] for ln in vertical], [1.0, -0.5])
    curve = ax_b.get_lines()[0]
    assert_allclose(curve.get_ydata(), expit(2.0 * np.asarray(curve.get_xdata()) - 2))
    assert labelled(ax_w) and labelled(ax_b)


# --- loss surface ---


def test_surface_helpers_match_the_direct_loss(rng):
    x = rng.normal(size=15)
    y = 2 * x + 1 + rng.normal(size=15)
    w, b = rng.normal(size=(2, 4, 3))
    direct = ((y[:, None, None] - (w * x[:, None, None] + b)) ** 2).mean(axis=0)
    assert_allclose(lp.mse_surface(x, y)(w, b), direct, rtol=1e-10)
    t = (x > 0).astype(float)
    p = expit(w * x[:, None, None] + b)
    bce = -(t[:, None, None] * np.log(p) + (1 - t[:, None, None]) * np.log(1 - p))
    assert_allclose(lp.bce_surface(x, t)(w, b), bce.mean(axis=0), rtol=1e-10)


def test_loss_surface_draws_paths_starts_and_optimum():
    x, y, w_track, b_track, *_ = sgd_tracks()
    paths = {
        "per-sample SGD": (w_track, b_track),
        "batch GD": (w_track[::3], b_track[::3]),
    }
    fig = lp.plot_loss_surface(
        lp.mse_surface(x, y),
        (-2, 7),
        (-5, 3),
        paths=paths,
        optimum=(5, -3),
        resolution=20,
    )
    ax3d, ax2d = (a for a in fig.axes if a.get_label() != "<colorbar>")
    assert ax3d.name == "3d" and ax3d.get_zlabel() == "loss J"
    labels = [t.get_text() for t in ax2d.get_legend().get_texts()]
    assert labels[:2] == ["per-sample SGD", "batch GD"]
    assert "optimum (w*, b*)" in labels and "start" in labels
    by_label = {ln.get_label(): ln for ln in ax2d.get_lines()}
    assert_allclose(by_label["per-sample SGD"].get_xdata(), w_track)
    assert_allclose(by_label["optimum (w*, b*)"].get_xydata(), [[5, -3]])
    assert by_label["optimum (w*, b*)"].get_marker() == "*"
    assert labelled(ax2d) and ax3d.get_title()
    with pytest.raises(ValueError, match="two panels"):
        lp.plot_loss_surface(lp.mse_surface(x, y), (0, 1), (0, 1), ax=ax2d)


def test_loss_surface_single_kinds_and_shape_check():
    J = lp.mse_surface([0.0, 1.0], [1.0, 2.0])
    assert (
        len(lp.plot_loss_surface(J, (0, 2), (0, 2), kind="contour", resolution=10).axes)
        == 2
    )
    assert (
        lp.plot_loss_surface(J, (0, 2), (0, 2), kind="3d", resolution=10).axes[0].name
        == "3d"
    )
    with pytest.raises(ValueError, match="shape"):
        lp.plot_loss_surface(lambda w, b: w.ravel(), (0, 1), (0, 1), resolution=5)


# --- decision boundary ---


def binary_data(D: int, n: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    y = (X @ np.linspace(1.5, -1.0, D) + 0.3 > 0).astype(int)
    return X, y


def test_decision_boundary_binary_is_the_half_probability_line_in_the_pca_plane():
    X, y = binary_data(D=3)
    clf = LogisticRegression().fit(X, y)
    plane = lp.Plane.fit(X)  # the principal plane, lifted to the nearby rows
    fig = lp.plot_decision_boundary(clf, X, y, plane=plane, resolution=40)
    ax = fig.axes[0]
    (boundary,) = boundaries(ax)
    assert_allclose(boundary.levels, [0.5])
    vertices = np.vstack([p.vertices for p in boundary.get_paths()])
    assert_allclose(clf.predict_proba(plane.lift(vertices))[:, 1], 0.5, atol=0.02)
    assert ax.get_xlabel() == f"PC1 ({plane.explained[0]:.0%} of variance)"
    assert ax.get_ylabel().startswith("PC2 (")
    texts = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "principal components" in texts
    assert "off the plane at the average of the nearby training rows" in texts
    own = clf.predict(plane.lift(plane.project(X))) == clf.predict(X)
    assert 0.5 < own.mean() < 1  # the note says how far the picture is the model
    stated = f"{np.floor(own.mean() * 1000) / 10:.1f}% of the rows lie in the region"
    assert stated in texts
    scatter = [c for c in ax.collections if isinstance(c, PathCollection)]
    points = np.vstack([c.get_offsets() for c in scatter])
    assert_allclose(np.sort(points, axis=0), np.sort(plane.project(X), axis=0))
    assert fig.axes[1].get_ylabel() == "P(y = 1)"  # the colorbar
    assert labelled(ax)


def test_decision_boundary_two_features_has_no_fixed_note_and_honours_fixed():
    X, y = binary_data(D=2)
    ax = lp.plot_decision_boundary(
        LogisticRegression().fit(X, y), X, y, resolution=30
    ).axes[0]
    assert not any("fixed" in t.get_text() for t in ax.texts)
    X4, y4 = binary_data(D=4)
    ax = lp.plot_decision_boundary(
        LogisticRegression().fit(X4, y4),
        X4,
        y4,
        fixed={2: 1.0},
        feature_idx=(1, 3),
        resolution=30,
    ).axes[0]
    note = " ".join(t.get_text() for t in ax.texts)
    assert "held at given values" in note and "x3 = 1" in note and "x1 = " in note
    assert ax.get_xlabel() == "x2" and ax.get_ylabel() == "x4"


def test_decision_boundary_string_labels_multiclass():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [3, 0], [0, 3]])
    X = np.vstack([c + 0.5 * rng.normal(size=(20, 2)) for c in centers])
    y = np.repeat(np.array(["setosa", "versicolor", "virginica"]), 20)
    fig = lp.plot_decision_boundary(LogisticRegression().fit(X, y), X, y, resolution=40)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["class setosa", "class versicolor", "class virginica"]
    assert len(boundaries(ax)) == 3  # one outline per class region
    assert any(isinstance(a, AxesImage) for a in ax.get_images())
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(s.get_offsets()) for s in scatters) == 60


def test_decision_boundary_without_predict_proba_and_from_a_function():
    X, y = binary_data(D=2)
    fig = lp.plot_decision_boundary(
        Perceptron(random_state=0).fit(X, y), X, y, resolution=30
    )
    (boundary,) = boundaries(fig.axes[0])
    assert_allclose(boundary.levels, [0.0])  # decision_function = 0
    y_str = np.where(y == 1, "yes", "no")
    fig = lp.plot_decision_boundary(
        lambda P: expit(P[:, 0] - P[:, 1]), X, y_str, resolution=30
    )
    (boundary,) = boundaries(fig.axes[0])
    vertices = np.vstack([p.vertices for p in boundary.get_paths()])
    assert_allclose(vertices[:, 0], vertices[:, 1], atol=0.05)  # x1 = x2
    assert fig.axes[1].get_ylabel() == "P(y = yes)"


def region_classes(ax, classes) -> set:
    """The classes whose colour fills some pixel of the regions image."""
    (image,) = ax.get_images()
    rgb = np.asarray(image.get_array())[..., :3].reshape(-1, 3)
    colors = lp.boundary.class_colors(len(classes))
    hit = [np.any(np.all(rgb == col[:3], axis=1)) for col in colors]
    return {c for c, seen in zip(classes, hit, strict=True) if seen}


def test_wine_in_the_pca_plane_shows_every_class_the_model_predicts():
    from sklearn.datasets import load_wine
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lingrad.models import LogisticRegression as LingradLogistic

    wine = load_wine()
    y = np.array(["barolo", "grignolino", "barbera"])[wine.target]
    model = make_pipeline(StandardScaler(), LingradLogistic()).fit(wine.data, y)
    predicted = set(model.predict(wine.data))
    assert "barbera" in predicted
    for plane in (None, lp.Plane.fit(wine.data)):  # its weights' plane; the PCs'
        ax = lp.plot_decision_boundary(
            model, wine.data, y, plane=plane, feature_names=wine.feature_names,
            resolution=60,
        ).axes[0]  # fmt: skip
        assert region_classes(ax, model.classes_) == predicted
    assert ax.get_xlabel().startswith("PC1 (") and "% of variance)" in ax.get_xlabel()
    # the old slice through the first two columns loses barbera, and says so
    ax = lp.plot_decision_boundary(
        model, wine.data, y, feature_names=wine.feature_names, feature_idx=(0, 1),
        resolution=60,
    ).axes[0]  # fmt: skip
    assert "barbera" not in region_classes(ax, model.classes_)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("alcohol", "malic_acid")
    note = " ".join(t.get_text() for t in ax.texts)
    assert "held at their means: ash = 2.37" in note
    assert "no region in this plane: barbera" in note


def test_decision_boundary_needs_two_features():
    with pytest.raises(ValueError, match="D >= 2"):
        lp.plot_decision_boundary(lambda P: P[:, 0], np.zeros((4, 1)), np.arange(4) % 2)


# --- regularization paths ---


def test_regularization_paths():
    alphas = np.logspace(-2, 1, 6)[::-1]  # unsorted input is sorted
    coefs = np.outer(1 / (1 + alphas), [3.0, -1.0, 0.5])
    fig = lp.plot_regularization_path(
        alphas, coefs, "l2", feature_names=["a", "b", "c"]
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    named = [ln for ln in ax.get_lines() if ln.get_label() in ("a", "b", "c")]
    assert len(named) == 3
    assert_allclose(named[0].get_xdata(), np.sort(alphas))
    assert_allclose(named[0].get_ydata(), 3.0 / (1 + np.sort(alphas)))
    assert "L2" in ax.get_title() and labelled(ax)
    fig = lp.plot_regularization_paths(alphas, np.maximum(coefs - 1, 0), coefs)
    assert [a.get_title()[:2] for a in fig.axes] == ["L1", "L2"]
    with pytest.raises(ValueError, match="positive"):
        lp.plot_regularization_path([0.0, 1.0], np.ones((2, 3)))


# --- saving, ax=, animations ---


def test_path_saves_a_png_and_ax_draws_into_the_given_axes(tmp_path):
    x, y, w_track, b_track, J, _ = sgd_tracks()
    out = tmp_path / "sub" / "loss.png"
    fig = lp.plot_loss(J, path=out)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (1000, 500)
    host = Figure()
    ax = host.add_subplot()
    assert lp.plot_fit_evolution(x, y, w_track, b_track, ax=ax) is host
    assert len(ax.get_lines()) == len(w_track)
    assert fig is not host


def test_animate_fit_writes_exactly_the_requested_frames(tmp_path):
    x, y, w_track, b_track, *_ = sgd_tracks(n=30)
    out = tmp_path / "fit.gif"
    assert lp.animate_fit(x, y, w_track, b_track, "linear", out, frames=6, fps=5) == 6
    with Image.open(out) as gif:
        assert gif.n_frames == 6
    # fewer snapshots than frames: snapshots repeat, frames stay distinct
    out = tmp_path / "few.gif"
    assert (
        lp.animate_fit(x, y, w_track[:3], b_track[:3], "logistic", out, frames=5) == 5
    )
    with Image.open(out) as gif:
        assert gif.n_frames == 5


def test_animate_decision_boundary_and_history_form(tmp_path):
    X, y = binary_data(D=3, n=40)
    snaps = [
        {"affine.W": np.array([[t], [-t], [0.0]]), "affine.b": np.array([0.1])}
        for t in np.linspace(0.1, 2.0, 8)
    ]
    out = tmp_path / "boundary.gif"
    n = lp.animate_decision_boundary(
        X, y, snaps, out, proba_fn=lp.affine_proba, frames=4, resolution=20
    )
    with Image.open(out) as gif:
        assert n == gif.n_frames == 4
    funcs = [lambda P, t=t: expit(t * P[:, 0]) for t in (0.5, 1.0)]  # callables form
    assert (
        lp.animate_decision_boundary(
            X, y, funcs, tmp_path / "f.gif", frames=3, resolution=15
        )
        == 3
    )
    xs, ys, w_track, b_track, J, final = sgd_tracks(n=10)
    h = fake_history(w_track, b_track, J, final)
    assert (
        lp.animate_fit_from_history(xs, ys, h, "linear", tmp_path / "h.gif", frames=3)
        == 3
    )


def test_affine_proba_sigmoid_and_softmax(rng):
    P = rng.normal(size=(5, 2))
    one = {"affine.W": rng.normal(size=(2, 1)), "affine.b": rng.normal(size=1)}
    assert_allclose(
        lp.affine_proba(one, P), expit(P @ one["affine.W"][:, 0] + one["affine.b"])
    )
    three = {"affine.W": rng.normal(size=(2, 3)), "affine.b": rng.normal(size=3)}
    assert_allclose(lp.affine_proba(three, P).sum(axis=1), 1.0)


def test_importing_the_plots_leaves_pyplot_alone():
    code = "import sys, lingrad.plot; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_class_names_that_say_class_are_not_prefixed_twice():
    rng = np.random.default_rng(1)
    centers = np.array([[0, 0], [3, 0], [0, 3]])
    X = np.vstack([c + 0.5 * rng.normal(size=(20, 2)) for c in centers])
    y = np.repeat(np.array(["class_0", "class_1", "Class C"]), 20)
    fig = lp.plot_decision_boundary(LogisticRegression().fit(X, y), X, y, resolution=30)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:3] == ["Class C", "class_0", "class_1"]  # sorted classes
    fig = lp.plot_decision_boundary(
        LogisticRegression().fit(X, np.repeat([0, 1, 2], 20)), X,
        np.repeat([0, 1, 2], 20), resolution=30,
    )  # fmt: skip
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:3] == ["class 0", "class 1", "class 2"]
