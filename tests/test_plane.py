"""The plane of the decision-region figures: PCA of the standardized data (checked
against scikit-learn), lifted off the plane by the nearby rows' average (checked
against a brute-force kernel sum), the identity for two features, a slice that says
what it holds; pure NumPy."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from lingrad.plot import nearby
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
    assert_allclose(plane.on_plane(np.zeros((1, 2)))[0], X.mean(axis=0))
    # far from every row the lift is the plane itself (off it: the mean)
    far = [[1e3, -1e3]]
    assert_allclose(plane.lift(far), plane.on_plane(far), rtol=1e-12)
    assert not np.allclose(plane.lift(U), plane.on_plane(U))  # near: the rows
    grid = plane.grid(X, resolution=9)
    assert grid.points.shape == (81, 5) and grid.U.shape == (9, 9)
    P = plane.project(X)
    assert grid.u[0] < P[:, 0].min() and grid.u[-1] > P[:, 0].max()
    assert_allclose(plane.project(grid.points)[:, 0], grid.U.ravel(), atol=1e-10)


def brute_force_lift(X, u, plane):
    """x(u) = mean + (u @ basis + Σ K_i r_i / (Σ K_i + e^-2)) * std, term by term,
    with scikit-learn's PCA for u_i and r_i and half Scott's rule for the bandwidth."""
    Z = StandardScaler().fit_transform(X)
    pca = PCA(n_components=2).fit(Z)
    signs = np.sign((pca.components_ * plane.basis).sum(axis=1))  # as the plane's
    U_rows = pca.transform(Z) * signs
    R_rows = Z - U_rows @ plane.basis  # off-plane parts (N, D)
    h = 0.5 * U_rows.std(axis=0) * len(X) ** (-1 / 6)
    num, den = np.zeros(X.shape[1]), np.exp(-2.0)
    for u_i, r_i in zip(U_rows, R_rows, strict=True):
        K = np.exp(-0.5 * (((u - u_i) / h) ** 2).sum())
        num, den = num + K * r_i, den + K
    return X.mean(axis=0) + (u @ plane.basis + num / den) * X.std(axis=0)


def test_the_lift_at_a_row_is_its_neighbourhood_average():
    X = load_wine().data
    plane = Plane.fit(X)
    U_rows = plane.project(X)
    for i in (0, 60, 130, 177):
        assert_allclose(
            plane.lift(U_rows[i])[0], brute_force_lift(X, U_rows[i], plane), rtol=1e-10
        )

    # at the rows' projections the lift is nearer the rows than the plane is
    def gap(A):
        return (((A - X) / X.std(axis=0)) ** 2).sum(axis=1).mean()

    assert gap(plane.lift(U_rows)) < 0.9 * gap(plane.on_plane(U_rows))
    assert_allclose(
        plane.nearby.h, 0.5 * U_rows.std(axis=0) * len(X) ** (-1 / 6), rtol=1e-12
    )


def test_mesh_sums_equal_the_pairwise_sums_across_chunks(rng, monkeypatch):
    X = rng.normal(size=(90, 6)) @ rng.normal(size=(6, 6))
    monkeypatch.setattr(nearby, "CELLS", 700)  # several chunks in both paths
    plane = Plane.fit(X)
    grid = plane.grid(X, resolution=23)
    UV = np.column_stack([grid.U.ravel(), grid.V.ravel()])
    assert_allclose(grid.points, plane.lift(UV), rtol=1e-12, atol=1e-12)
    assert_allclose(plane.project(grid.points), UV, atol=1e-10)


def test_data_in_a_plane_lift_to_the_plane_and_two_features_are_untouched(rng):
    X = rng.normal(size=(60, 2)) @ rng.normal(size=(2, 5)) + [1, 2, 3, 4, 5]
    plane = Plane.fit(X)  # residuals off the plane are 0: the lift is the plane
    grid = plane.grid(X, resolution=15)
    UV = np.column_stack([grid.U.ravel(), grid.V.ravel()])
    assert_allclose(grid.points, plane.on_plane(UV), atol=1e-12)
    assert_allclose(plane.lift(plane.project(X)), X, atol=1e-10)
    X2 = rng.normal(size=(40, 2))
    flat = Plane.fit(X2)
    grid = flat.grid(X2, resolution=11)
    assert flat.nearby is None
    assert np.array_equal(
        grid.points, np.column_stack([grid.U.ravel(), grid.V.ravel()])
    )
    assert np.array_equal(flat.lift(X2), X2)


def test_the_plain_plane_the_row_cap_and_a_bad_choice(rng, monkeypatch):
    X = rng.normal(size=(80, 4))
    plain = Plane.fit(X, off_plane="mean")
    assert plain.nearby is None
    assert_allclose(plain.lift([[0.0, 0.0]])[0], X.mean(axis=0))
    assert "every feature is at its mean" in plain.note()
    assert "average of the nearby training rows" in Plane.fit(X).note()
    monkeypatch.setattr(nearby, "MAX_ROWS", 50)
    a, b = Plane.fit(X), Plane.fit(X)
    assert a.nearby.N == 50 and np.array_equal(a.lift(X[:, :2]), b.lift(X[:, :2]))
    with pytest.raises(ValueError, match="'nearby' or 'mean'"):
        Plane.fit(X, off_plane="median")


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
    assert doc["off_plane"] == "nearby" and len(doc["bandwidth"]) == 2
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


def test_a_plane_containing_given_directions_completes_them_by_the_data(rng):
    X = rng.normal(size=(200, 5)) * [1, 10, 100, 0.1, 3] + [0, 5, -50, 1, 2]
    Z = StandardScaler().fit_transform(X)
    w = np.array([1.0, -2.0, 0.0, 0.5, 0.0])  # standardized units
    plane = Plane.containing(
        X, w[None], list("abcde"), labels=("along w ({0:.0%})", "rest ({1:.0%})"),
        note="the note",
    )  # fmt: skip
    assert plane.kind == "model" and plane.nearby is None
    assert_allclose(plane.basis @ plane.basis.T, np.eye(2), atol=1e-12)
    assert_allclose(plane.basis[0], w / np.linalg.norm(w), atol=1e-12)
    # the second axis: the leading principal axis of the data with w removed
    rest = Z - np.outer(Z @ plane.basis[0], plane.basis[0])
    lead = PCA(n_components=1).fit(rest).components_[0]
    assert_allclose(np.abs(plane.basis[1] @ lead), 1.0, atol=1e-8)
    shares = ((Z @ plane.basis.T) ** 2).sum(axis=0) / (Z**2).sum()
    assert_allclose(plane.explained, shares)
    assert plane.labels == (f"along w ({shares[0]:.0%})", f"rest ({shares[1]:.0%})")
    assert plane.note() == "the note"
    # every point keeps its score wᵀz when projected and put back on the plane
    z_of = (X - X.mean(axis=0)) / X.std(axis=0) @ w
    back = plane.on_plane(plane.project(X))
    assert_allclose((back - X.mean(axis=0)) / X.std(axis=0) @ w, z_of, atol=1e-9)
    # two directions: their span; a zero direction: the principal plane
    two = Plane.containing(X, [w, [0, 0, 1.0, 0, 0]], labels=("", ""), note="")
    for d in (w / np.linalg.norm(w), [0, 0, 1.0, 0, 0]):
        assert_allclose(np.linalg.norm(two.basis @ d), 1.0, atol=1e-12)
    flat = Plane.containing(X, np.zeros((1, 5)), labels=("", ""), note="")
    assert_allclose(np.abs(flat.basis), np.abs(Plane.fit(X).basis), atol=1e-10)
