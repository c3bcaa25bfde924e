"""The figures and words of a ``lingrad fit`` report, checked by what they hold:
regions for every class in the PCA plane (wine's barbera), no constant pixel on an
axis (digits), one curve per one-vs-rest class, the practitioner's figures, and a
comparison section that names its reference or says why there is none."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.metrics import confusion_matrix

from lingrad.cli import main
from lingrad.models.registry import model_spec
from lingrad.plot.boundary import class_colors
from lingrad.workflows.figures import draw_figures
from lingrad.workflows.memory import fit_in_memory
from lingrad.workflows.tables import load

NAMES = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory) -> Path:
    """sklearn's wine as a CSV a user would export: cultivar names as the target."""
    wine = load_wine()
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    rows = [",".join([*wine.feature_names, "cultivar"])]
    for x, t in zip(wine.data, wine.target, strict=True):
        rows.append(",".join([*(f"{v:.6g}" for v in x), NAMES[t]]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def fitted(data: str, model: str, target: str | None = None, **kw):
    table = load(data, target, None)
    params = {"random_state": 0, **kw.pop("params", {})}
    kw.setdefault("scale", False)
    return fit_in_memory(model_spec(model), table, params, seed=0, **kw)


def region_classes(ax, classes) -> set:
    (image,) = ax.get_images()
    rgb = np.asarray(image.get_array())[..., :3].reshape(-1, 3)
    hit = [np.all(rgb == c[:3], axis=1).any() for c in class_colors(len(classes))]
    return {c for c, seen in zip(classes, hit, strict=True) if seen}


def html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_wine_report_shows_barbera_and_one_curve_per_class(wine_csv, tmp_path):
    result = fitted(str(wine_csv), "logistic", "cultivar", scale=True, test_size=0.25)
    drawn = draw_figures(result, tmp_path)
    assert {p.name for p in drawn.paths} == {
        "training.png", "decision_boundary.png", "confusion_matrix.png",
        "reliability.png",
    }  # fmt: skip
    ax = drawn.figures["decision_boundary.png"].axes[0]
    predicted = set(result.model.predict(result.X_sample))
    assert "barbera" in predicted
    assert region_classes(ax, result.model.classes_) == predicted
    assert re.fullmatch(r"weight direction 1 \(\d+% of variance\)", ax.get_xlabel())
    # one-vs-rest L-BFGS: one curve per class, on iterations (not a staircase)
    ax = drawn.figures["training.png"].axes[0]
    est = result.model[-1]  # the Pipeline's lingrad estimator
    assert len(ax.get_lines()) == 3 and ax.get_xlabel() == "L-BFGS iteration"
    for line, curve in zip(ax.get_lines(), est.class_loss_curves_, strict=True):
        assert_allclose(line.get_ydata(), curve)
        assert line.get_ydata()[-1] < 0.2 * line.get_ydata()[0]
    assert max(len(c) - 1 for c in est.class_loss_curves_) == est.n_iter_
    # the confusion matrix counts the held-out rows
    ax = drawn.figures["confusion_matrix.png"].axes[0]
    C = confusion_matrix(
        result.y_test, result.model.predict(result.X_test), labels=est.classes_
    )
    assert_allclose(np.array([int(t.get_text()) for t in ax.texts]).reshape(3, 3), C)
    assert "held-out rows" in ax.get_title()


def test_report_names_its_reference_and_keeps_the_asked_slice(
    wine_csv, tmp_path, capsys
):
    out = tmp_path / "cut"
    code = main(["fit", "--data", str(wine_csv), "--target", "cultivar", "--model",
                 "logistic", "--scale", "--test-size", "0.25", "--boundary-features",
                 "alcohol,malic_acid", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    page = html_text(out / "report.html")
    assert "Comparison with scikit-learn's LogisticRegression" in page
    assert "same held-out rows" in page and "closed form / exact solver" not in page
    doc = json.loads((out / "metrics.json").read_text())
    n_train = doc["data"]["training rows"]  # 178 rows, about a quarter held out
    assert 120 <= n_train <= 150
    assert (
        "Penalties: lingrad l2, alpha = 0.0001; scikit-learn l2, C = 1 (its default), "
        f"i.e. alpha = 1/(2 C N) = {1 / (2 * n_train):.2g}." in page
    )
    assert "Decision regions in the slice --boundary-features" in page
    for name in ("confusion_matrix.png", "reliability.png", "training.png"):
        assert (out / name).is_file()
    result = fitted(str(wine_csv), "logistic", "cultivar", scale=True, test_size=None)
    ax = (
        draw_figures(result, tmp_path, boundary=(0, 1))
        .figures["decision_boundary.png"]
        .axes[0]
    )
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("alcohol", "malic_acid")
    note = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "other features held at their means: ash = " in note
    # a bad name: a usage error naming the columns, before any training
    code = main(["fit", "--data", str(wine_csv), "--target", "cultivar", "--model",
                 "logistic", "--boundary-features", "alcohol,colour",
                 "--out", str(tmp_path / "bad")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "'colour' is not a feature column" in err
    assert "malic_acid" in err and not (tmp_path / "bad").exists()
    # no reference: the report says why
    out = tmp_path / "moons"
    code = main(["fit", "--data", "synthetic:moons", "--model", "two-layer",
                 "--max-iter", "20", "--param", "tol=none",
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "No comparison: its loss is not convex" in html_text(out / "report.html")
    capsys.readouterr()


def test_digits_regions_show_every_predicted_class_and_no_constant_pixel_axis():
    from sklearn.datasets import load_digits
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lingrad.models import SoftmaxRegression
    from lingrad.plot import Plane, plot_decision_boundary

    digits = load_digits()
    X, y = digits.data[::3], digits.target[::3]
    names = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
    model = make_pipeline(StandardScaler(), SoftmaxRegression(max_iter=20, tol=None))
    model.fit(X, y)
    constant = {n for n, col in zip(names, X.T, strict=True) if np.ptp(col) == 0}
    assert "pixel_0_0" in constant
    # ten classes' weights span no plane that agrees: the rows along the score
    ax = plot_decision_boundary(model, X, y, feature_names=names, resolution=50).axes[0]
    assert "no plane shows this model faithfully" in " ".join(
        t.get_text() for t in ax.texts
    ).replace("\n", " ")
    plane = Plane.fit(X, names)  # the principal plane, asked for
    ax = plot_decision_boundary(model, X, y, plane=plane, resolution=50).axes[0]
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_ylabel().startswith("PC2 (")
    assert not any(name in ax.get_xlabel() + ax.get_ylabel() for name in constant)
    # every class predicted on the rows has a region (the mean's plane lost 0, 1, 5)
    assert region_classes(ax, model.classes_) == set(model.predict(X)) == set(range(10))
    note = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "off the plane at the average of the nearby training rows" in note
    assert "no region" not in note
    plain = Plane.fit(X, names, off_plane="mean")
    ax = plot_decision_boundary(model, X, y, plane=plain, resolution=50).axes[0]
    lost = set(model.predict(X)) - region_classes(ax, model.classes_)
    assert lost  # said on the figure, not hidden
    note = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "no region in this plane: " + ", ".join(map(str, sorted(lost))) in note


def test_regressor_residuals_and_perceptron_without_probabilities(tmp_path):
    result = fitted("sklearn:diabetes", "linear", test_size=0.25)
    drawn = draw_figures(result, tmp_path)
    ax = drawn.figures["residuals.png"].axes[0]
    train, held = [c for c in ax.collections if isinstance(c, PathCollection)]
    pred = result.model.predict(result.X_sample)
    residual = result.y_sample - pred
    assert_allclose(train.get_offsets(), np.column_stack([pred, residual]))
    assert len(held.get_offsets()) == len(result.X_test)
    result = fitted("synthetic:perceptron", "perceptron", test_size=None)
    drawn = draw_figures(result, tmp_path / "p")
    assert "reliability.png" not in drawn.figures  # a perceptron has no P
    fig = drawn.figures["decision_boundary.png"]
    assert len(fig.axes) == 1  # no "P(y = 1)" colour bar
    ax = drawn.figures["training.png"].axes[0]
    assert ax.get_ylabel() == "perceptron criterion J"


def test_a_comparison_without_penalties_on_either_side_says_nothing_of_them(
    tmp_path, capsys
):
    out = tmp_path / "lin"
    code = main(["fit", "--data", "sklearn:diabetes", "--model", "linear",
                 "--no-figures", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    page = html_text(out / "report.html")
    assert "Comparison with scikit-learn's LinearRegression" in page
    assert "Penalties" not in page
    out = tmp_path / "ridge"
    code = main(["fit", "--data", "sklearn:diabetes", "--model", "linear",
                 "--param", "penalty=l2", "--param", "alpha=0.1", "--no-figures",
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    page = html_text(out / "report.html")
    assert "Penalties: lingrad l2, alpha = 0.1; scikit-learn none." in page
