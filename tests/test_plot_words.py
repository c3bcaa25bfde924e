"""Figures that say what they show: curves named by the way of training, counts on
whole-number axes, one curve per one-vs-rest class, truth lines that say when they
cannot be reached, and the practitioner's figures checked against scikit-learn."""

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from sklearn.metrics import confusion_matrix

from lingrad import plot as lp
from lingrad.plot.practitioner import reliability_bins
from lingrad.plot.rules import STEP_WORDS, step_kind


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text().replace("\n", " ") for t in legend.get_texts()]


def whole_number_ticks(ax) -> bool:
    ax.figure.canvas.draw()
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    return len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)


@pytest.mark.parametrize(
    ("solver", "batch_size", "kind"),
    [("sgd", None, "sample"), ("minibatch", 16, "minibatch"), ("batch", None, "batch"),
     ("lbfgs", None, "lbfgs"), ("newton", None, "newton"),
     (None, 1, "sample"), (None, 8, "minibatch"), (None, None, "batch")],
)  # fmt: skip
def test_each_way_of_training_has_its_own_words(solver, batch_size, kind):
    assert step_kind(solver, batch_size) == kind
    J = 1.0 + 0.8 ** np.arange(6)
    ax = lp.plot_loss(J, J, kind=kind).axes[0]
    words = STEP_WORDS[kind]
    assert ax.get_xlabel() == words.axis
    assert legend_texts(ax)[0] == words.curve
    assert "batch loss" not in " ".join(legend_texts(ax))
    assert whole_number_ticks(ax)


def test_exact_solvers_draw_one_curve_from_the_start_per_iteration():
    before = np.array([2.0, 1.0, 0.6, 0.5])  # J before iterations 1..4
    after = np.array([1.0, 0.6, 0.5, 0.49])  # J after each
    for kind, name in (("lbfgs", "L-BFGS iteration"), ("newton", "Newton iteration")):
        ax = lp.plot_loss(before, after, kind=kind).axes[0]
        (line,) = ax.get_lines()
        assert_allclose(line.get_xdata(), [0, 1, 2, 3, 4])
        assert_allclose(line.get_ydata(), [2.0, 1.0, 0.6, 0.5, 0.49])
        assert ax.get_xlabel() == name
        assert legend_texts(ax) == [f"J after each {name}"]
        assert whole_number_ticks(ax)


def test_one_vs_rest_draws_one_curve_per_class_not_a_staircase():
    curves = [np.r_[0.69, 0.3, 0.1], np.r_[0.69, 0.4, 0.2, 0.15], np.r_[0.69, 0.05]]
    ax = lp.plot_class_losses(curves, ["barolo", "grignolino", "barbera"]).axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, J in zip(lines, curves, strict=True):
        assert_allclose(line.get_xdata(), np.arange(len(J)))
        assert_allclose(line.get_ydata(), J)
    assert legend_texts(ax) == [
        "class barolo vs the rest", "class grignolino vs the rest",
        "class barbera vs the rest",
    ]  # fmt: skip
    assert ax.get_xlabel() == "L-BFGS iteration" and whole_number_ticks(ax)
    with pytest.raises(ValueError, match="3 curves for 2 classes"):
        lp.plot_class_losses(curves, ["a", "b"])


def test_thinned_records_are_drawn_at_their_global_steps():
    index = np.array([0, 10, 20, 30, 40, 49])
    J = np.linspace(2.0, 1.0, 6)
    h = SimpleNamespace(
        step_loss=J, step_index=index, epoch_loss=np.array([1.5]),
        accumulated_accuracy=np.linspace(0.5, 0.9, 6), params={}, final_params={},
        snapshot_step=np.array([], dtype=int),
    )  # fmt: skip
    fig = lp.plot_history(h, kind="sample")
    (line,) = fig.axes[0].get_lines()
    assert_allclose(line.get_xdata(), index)
    assert_allclose(fig.axes[1].get_lines()[0].get_xdata(), index)
    assert fig.axes[1].get_xlabel() == "step (one example each)"


def test_zeros_keep_a_linear_axis_and_the_loss_names_its_criterion():
    J = np.zeros(300)
    J[::7] = np.logspace(-3, 3, len(J[::7]))  # a perceptron: 0 when right
    ax = lp.plot_loss(J, kind="sample", ylabel="perceptron criterion J").axes[0]
    assert ax.get_yscale() == "linear"
    assert ax.get_ylabel() == "perceptron criterion J"


def test_truth_lines_say_when_they_cannot_be_reached():
    label = "generating value (unreachable: separable classes)"
    ax = lp.plot_params(None, np.linspace(0, 3, 9), np.linspace(0, -2, 9),
                        true_W=5.0, true_b=-3.0, true_label=label).axes[0]  # fmt: skip
    assert label in legend_texts(ax)
    assert "true value" not in legend_texts(ax)


def legend_covers_no_data(ax) -> bool:
    """No plotted data vertex lies inside the legend's box (display coordinates)."""
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    for other in fig.axes:  # a twin axes shares the box
        for line in other.get_lines():
            xy = line.get_transform().transform(line.get_xydata())
            if box.count_contains(xy):
                return False
    return True


def test_loss_legend_is_off_the_curves():
    J = np.abs(np.random.default_rng(0).normal(size=400)) + 0.1
    ax = lp.plot_loss(J, J.reshape(4, -1).mean(axis=1), kind="sample").axes[0]
    assert legend_covers_no_data(ax)


# --- the practitioner's figures -------------------------------------------------


def test_confusion_matrix_counts_match_scikit_learn(rng):
    classes = np.array(["barbera", "barolo", "grignolino"])
    y = rng.choice(classes, 60)
    pred = np.where(rng.random(60) < 0.7, y, rng.choice(classes, 60))
    fig = lp.plot_confusion_matrix(y, pred, classes)
    ax = fig.axes[0]
    C = confusion_matrix(y, pred, labels=classes)
    cells = np.array([int(t.get_text()) for t in ax.texts]).reshape(3, 3)
    assert_allclose(cells, C)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(classes)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert f"accuracy {np.mean(y == pred):.3f}" in ax.get_title()
    image = ax.get_images()[0].get_array()
    assert_allclose(image.sum(axis=1), 1.0)  # colour: share of the true class


def test_reliability_bins_and_diagram(rng):
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)  # calibrated by construction
    mean_p, freq, count = reliability_bins(p, y == 1, 5)
    for k in range(5):
        inside = (p >= k / 5) & (p < (k + 1) / 5)
        assert count[k] == inside.sum()
        assert_allclose(mean_p[k], p[inside].mean())
        assert_allclose(freq[k], y[inside].mean())
    fig = lp.plot_reliability(y, np.column_stack([1 - p, p]), [0, 1], n_bins=5)
    ax = fig.axes[0]
    model = [ln for ln in ax.get_lines() if ln.get_marker() == "o"][0]
    assert_allclose(model.get_xdata(), mean_p)
    assert_allclose(model.get_ydata(), freq)
    assert ax.get_ylabel() == "observed share of 1"
    assert "calibration error" in ax.get_title()
    three = rng.dirichlet(np.ones(3), 90)
    fig = lp.plot_reliability(rng.integers(0, 3, 90), three, [0, 1, 2])
    assert fig.axes[1].get_xlabel() == "confidence: the top predicted probability"


def test_residuals_against_the_prediction(rng):
    pred = rng.normal(size=80)
    y = pred + 0.1 * rng.normal(size=80)
    fig = lp.plot_residuals({"training rows": (y, pred)}, target="price")
    ax = fig.axes[0]
    (scatter,) = ax.collections
    assert_allclose(scatter.get_offsets(), np.column_stack([pred, y - pred]))
    assert ax.get_xlabel() == "predicted price (ŷ)"
    assert ax.get_ylabel() == "residual price − ŷ"
    zero = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert_allclose(zero[0].get_ydata(), [0, 0])
    assert isinstance(fig, Figure)


def test_affine_score_is_z():
    params = {"affine.W": np.array([[1.0], [-2.0]]), "affine.b": np.array([0.5])}
    P = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert_allclose(lp.affine_score(params, P), [[-0.5], [0.5]])
