"""The lectures' generators reproduce the lecture code's draws; loaders and registry."""
# ruff: noqa: NPY002  (these tests replay the lectures' legacy global-RNG code on purpose)

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression

from lingrad.data import datasets
from lingrad.errors import DataError, LingradError


@pytest.fixture
def legacy() -> Iterator[None]:
    """Let a test use the global legacy RNG as the lectures do, then restore it."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def test_linear_1d_matches_lecture_draws(legacy: None) -> None:
    np.random.seed(1)
    w, b = np.random.uniform(-3, 3, 2)  # initial weight, bias
    x_data = np.random.randn(100)
    y_data = 5 * x_data + -3
    data = datasets.linear_1d()
    assert_array_equal(data.X, x_data.reshape(-1, 1))
    assert_array_equal(data.y, y_data)
    assert_array_equal(data.init_W, [[w]])
    assert_array_equal(data.init_b, [b])
    assert_array_equal(data.true_W, [[5.0]])
    assert_array_equal(data.true_b, [-3.0])
    assert data.X.dtype == np.float64


def test_linear_1d_noise_is_the_lectures_commented_line(legacy: None) -> None:
    np.random.seed(1)
    np.random.uniform(-3, 3, 2)
    x_data = np.random.randn(50)
    y_data = 2 * x_data + 1 + np.random.randn(50)
    data = datasets.linear_1d(n=50, t_w=2, t_b=1, noise=1.0)
    assert_array_equal(data.y, y_data)


def test_linear_nd_matches_lecture_draws(legacy: None) -> None:
    np.random.seed(1)
    t_W = np.random.uniform(-3, 3, (3, 1))
    t_b = np.random.uniform(-3, 3, (1,))
    W = np.random.uniform(-3, 3, (3, 1))
    b = np.random.uniform(-3, 3, (1,))
    x_data = np.random.randn(100, 3)
    y_data = x_data @ t_W + t_b
    data = datasets.linear_nd()
    for got, want in [(data.true_W, t_W), (data.true_b, t_b), (data.init_W, W)]:
        assert_array_equal(got, want)
    assert_array_equal(data.init_b, b)
    assert_array_equal(data.X, x_data)
    assert_array_equal(data.y, y_data.ravel())


def test_logistic_1d_matches_lecture_draws_and_quirk(legacy: None) -> None:
    np.random.seed(1)
    w, b = np.random.uniform(-3, 3, 2)
    t_w, t_b = 5, -3
    boundary = -t_b / t_w
    x_data = np.random.normal(boundary, 1, (500,))
    y_data = (x_data * t_w + t_b > boundary).astype(np.float32)
    data = datasets.logistic_1d()
    assert_array_equal(data.X.ravel(), x_data)
    assert_array_equal(data.y, y_data)
    assert_array_equal(data.init_W, [[w]])
    assert_array_equal(data.init_b, [b])
    # the lecture's rule switches at x = (boundary - t_b) / t_w = 0.72, not at 0.6
    switch = (boundary - t_b) / t_w
    assert_array_equal(data.y, (data.X.ravel() > switch).astype(float))
    assert np.any((data.X.ravel() > boundary) & (data.X.ravel() < switch))


def test_logistic_nd_matches_lecture_draws(legacy: None) -> None:
    np.random.seed(1)
    t_W = np.random.uniform(-1, 1, (3, 1))
    t_b = np.random.uniform(-1, 1, (1,))
    W = np.random.uniform(-1, 1, (3, 1))
    b = np.random.uniform(-1, 1, (1,))
    x_data = np.random.randn(1000, 3)
    y_data = 1 / (1 + np.exp(-(x_data @ t_W + t_b)))
    y_data = (y_data > 0.5).astype(int)
    data = datasets.logistic_nd()
    assert_array_equal(data.X, x_data)
    assert_array_equal(data.y, y_data.ravel())
    assert_array_equal(data.init_W, W)
    assert_array_equal(data.init_b, b)
    assert_array_equal(data.true_W, t_W)
    assert_array_equal(data.true_b, t_b)
    assert set(np.unique(data.y)) == {0, 1}


def test_generators_leave_the_global_rng_alone(legacy: None) -> None:
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for make in datasets.SYNTHETIC.values():
        make()
    assert_array_equal(np.random.get_state()[1], before)


def test_registry_names() -> None:
    assert set(datasets.SYNTHETIC) == {
        "linear", "linear-1d", "linear-nd", "logistic", "logistic-1d",
        "logistic-nd", "perceptron", "blobs", "xor", "moons", "bipolar", "residual",
    }  # fmt: skip


@settings(deadline=None, max_examples=10)
@given(n=st.integers(4, 40), seed=st.integers(0, 2**31 - 1))
def test_every_generator_is_seeded_and_well_shaped(n: int, seed: int) -> None:
    for name, make in datasets.SYNTHETIC.items():
        a, b = make(n=n, seed=seed), make(n=n, seed=seed)
        assert a.X.shape[0] == n and a.X.ndim == 2 and a.X.dtype == np.float64, name
        assert a.y.shape == (n,), name
        assert np.isfinite(a.X).all(), name
        assert_array_equal(a.X, b.X)
        assert_array_equal(a.y, b.y)
        if a.true_W is not None:
            assert a.true_W.shape == (a.X.shape[1], 1), name


def test_perceptron_data_is_separable_with_margin() -> None:
    data = datasets.perceptron_data(n=200, seed=3, margin=0.2)
    z = (data.X @ data.true_W + data.true_b).ravel()
    assert_array_equal(data.y, (z > 0).astype(int))
    assert np.abs(z).min() >= 0.2 * np.linalg.norm(data.true_W) - 1e-12
    assert 0 < data.y.mean() < 1


def test_blobs_classes_and_balance() -> None:
    data = datasets.multiclass_blobs(n=120, n_classes=4, seed=0)
    assert_array_equal(np.bincount(data.y), [30, 30, 30, 30])
    assert data.X.shape == (120, 2)


def test_xor_is_not_linearly_separable() -> None:
    data = datasets.xor(n=400, noise=0.1, seed=0)
    accuracy = LogisticRegression().fit(data.X, data.y).score(data.X, data.y)
    assert accuracy < 0.75
    corner = np.round(data.X).astype(int)  # noise 0.1 keeps points near corners
    assert_array_equal(data.y, corner[:, 0] ^ corner[:, 1])


def test_moons_is_sklearns() -> None:
    X, y = make_moons(n_samples=60, noise=0.2, random_state=4)
    data = datasets.two_moons(n=60, noise=0.2, seed=4)
    assert_array_equal(data.X, X)
    assert_array_equal(data.y, y)


def test_bipolar_labels_and_truth() -> None:
    data = datasets.bipolar(n=100, n_features=3, seed=2)
    assert set(np.unique(data.y)) == {-1.0, 1.0}
    z = (data.X @ data.true_W).ravel()
    assert_array_equal(data.y, np.sign(z))
    assert_array_equal(data.true_b, [0.0])


def test_residual_data_binary_balanced() -> None:
    data = datasets.residual_data(n=100, n_features=5, seed=1)
    assert set(np.unique(data.y)) == {0, 1}
    assert data.y.sum() == 50
    assert data.X.shape == (100, 5)


@pytest.mark.parametrize(
    ("name", "shape", "task"),
    [
        ("sklearn:breast_cancer", (569, 30), "classification"),
        ("sklearn:diabetes", (442, 10), "regression"),
        ("sklearn:digits", (1797, 64), "classification"),
        ("sklearn:wine", (178, 13), "classification"),
        ("sklearn:iris", (150, 4), "classification"),
    ],
)
def test_load_sklearn(name: str, shape: tuple[int, int], task: str) -> None:
    X, y, features, target, got_task = datasets.load(name)
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],)
    assert len(features) == shape[1] and all(isinstance(f, str) for f in features)
    assert target and got_task == task


@pytest.mark.parametrize("key", sorted(datasets.SYNTHETIC))
def test_load_synthetic(key: str) -> None:
    X, y, features, target, task = datasets.load(f"synthetic:{key}")
    expected = datasets.SYNTHETIC[key]()
    assert_array_equal(X, expected.X)
    assert_array_equal(y, expected.y)
    assert features == [f"x{j + 1}" for j in range(X.shape[1])]
    assert target == "y"
    assert task == ("regression" if key.startswith("linear") else "classification")


def test_load_synthetic_passes_options() -> None:
    X, *_ = datasets.load("synthetic:linear-nd", n=7, n_features=2)
    assert X.shape == (7, 2)


@pytest.mark.parametrize("name", ["sklearn:boston", "synthetic:nope", "iris", ""])
def test_load_unknown_lists_valid_names(name: str) -> None:
    with pytest.raises(DataError, match="valid names: sklearn:breast_cancer") as info:
        datasets.load(name)
    assert "synthetic:moons" in str(info.value)
    assert isinstance(info.value, LingradError)
    assert "\n" not in str(info.value)
