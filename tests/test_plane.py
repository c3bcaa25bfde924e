"""The plane of the decision-region figures: PCA of the standardized data (checked
against scikit-learn), the identity for two features, a slice that says what it
holds; pure NumPy."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from lingrad.plot.plane import Plane


def test_pca_plane_is_scikit_learns_pca_of_the_standardized_data():
    X = load_wine().data  # columns on scales from 0.1 to 1000
    plane = Plane.fit(X)
    pca = PCA(n_components=2).fit(StandardScaler().fit_transform(X))
    assert plane.kind == "pca"
    assert_allclose(np.abs(plane.basis), np.abs(pca.components_), atol=1e-10)
    assert_allclose(plane.basis @ plane.basis.T, np.eye(2), atol=1e-12)
    assert_allclose(plane.explained, pca.explained_variance_ratio_, rtol=1e-10)
    share = pca.explained_variance_ratio_
    assert plane.labels == (
        f"PC1 ({share[0]:.0%} of variance)",
        f"PC2 ({share[1]:.0%} of variance)",
    )
    assert plane.labels[0] == "PC1 (36% of variance)"
    # each axis signed so that its largest loading is positive (reproducible)
    for row in plane.basis:
        assert row[np.argmax(np.abs(row))] > 0


def test_project_and_lift_are_inverse_on_the_plane(rng):
    X = rng.normal(size=(40, 5)) * [1, 10, 100, 0.1, 3] + [0, 5, -50, 1, 2]
    plane = Plane.fit(X)
    U = rng.normal(size=(7, 2))
    assert_allclose(plane.project(plane.lift(U)), U, atol=1e-10)
    assert_allclose(plane.project(X.mean(axis=0)[None]), 0.0, atol=1e-10)
    assert_allclose(plane.lift(np.zeros((1, 2)))[0], X.mean(axis=0))
    grid = plane.grid(X, resolution=9)
    assert grid.points.shape == (81, 5) and grid.U.shape == (9, 9)
    P = plane.project(X)
    assert grid.u[0] < P[:, 0].min() and grid.u[-1] > P[:, 0].max()
    assert_allclose(plane.project(grid.points)[:, 0], grid.U.ravel(), atol=1e-10)


def test_constant_columns_get_no_weight_and_never_an_axis():
    X = load_digits().data  # pixel_0_0 and others are constant
    plane = Plane.fit(X, [f"pixel_{i // 8}_{i % 8}" for i in range(64)])
    constant = X.std(axis=0) == 0
    assert constant[0] and constant.sum() >= 3
    assert np.isfinite(plane.basis).all() and np.isfinite(plane.explained).all()
    assert_allclose(plane.basis[:, constant], 0.0, atol=1e-12)
    assert all(label.startswith("PC") for label in plane.labels)
    assert "pixel" not in " ".join(plane.labels)


def test_two_features_are_the_plane_and_a_slice_says_what_it_holds(rng):
    X2 = rng.normal(size=(20, 2))
    plane = Plane.fit(X2, ["height", "width"])
    assert plane.kind == "features" and plane.labels == ("height", "width")
    assert_allclose(plane.project(X2), X2)
    assert plane.note() is None

    X = rng.normal(size=(30, 5)) + [0, 1, 2, 3, 4]
    cut = Plane.fit(X, list("abcde"), features=(3, 1))
    assert cut.kind == "slice" and cut.labels == ("d", "b")
    assert_allclose(cut.project(X), X[:, [3, 1]])
    lifted = cut.lift([[7.0, -7.0]])[0]
    assert_allclose(lifted[[3, 1]], [7.0, -7.0])
    assert_allclose(lifted[[0, 2, 4]], X.mean(axis=0)[[0, 2, 4]])
    note = cut.note()
    assert note.startswith("other features held at their means: a = ")
    assert f"e = {X[:, 4].mean():.3g}" in note
    given = Plane.slice(X, (0, 1), {2: 9.5})
    assert "given values" in given.note() and "x3 = 9.5" in given.note()
    assert_allclose(given.lift([[0.0, 0.0]])[0, 2], 9.5)
    with pytest.raises(ValueError, match="two different indices"):
        Plane.slice(X, (1, 1))
    with pytest.raises(ValueError, match="D >= 2"):
        Plane.fit(np.zeros((4, 1)))


def test_to_dict_is_plain_json_and_loadings_name_the_features():
    import json

    plane = Plane.fit(load_wine().data, load_wine().feature_names)
    doc = json.loads(json.dumps(plane.to_dict()))
    assert doc["kind"] == "pca" and len(doc["basis"]) == 2 and doc["note"]
    top = plane.loadings(0, top=2)
    assert len(top) == 2 and all(name in load_wine().feature_names for name, _ in top)


def test_the_plane_imports_no_matplotlib():
    code = (
        "import sys, lingrad.plot.plane, lingrad.plot.rules; "
        "print(any(m.startswith('matplotlib') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
