"""The lectures' synthetic data sets (seeded) and the real ones that ship with sklearn.

The lecture generators reproduce the lecture code's draws exactly: the lectures call
``np.random.seed(1)`` and draw from the legacy global generator; here each generator
draws the same numbers, in the same order, from its own ``np.random.RandomState(seed)``
and leaves the global state alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from lingrad.errors import DataError

__all__ = [
    "SYNTHETIC",
    "Synthetic",
    "bipolar",
    "linear_1d",
    "linear_nd",
    "load",
    "logistic_1d",
    "logistic_nd",
    "multiclass_blobs",
    "names",
    "perceptron_data",
    "residual_data",
    "two_moons",
    "xor",
]

Dense = NDArray[np.float64]
Labels: TypeAlias = (
    NDArray[np.float64] | NDArray[np.int64]
)  # y: targets, or class labels


class Synthetic(NamedTuple):
    """A synthetic data set: ``X`` (N, D) float64, ``y`` (N,), and where known the
    true parameters ``true_W`` (D, 1), ``true_b`` (1,) and the lecture's initial
    parameters ``init_W`` (D, 1), ``init_b`` (1,) (``None`` where not drawn)."""

    X: Dense
    y: Labels
    true_W: Dense | None
    true_b: Dense | None
    init_W: Dense | None
    init_b: Dense | None
    name: str
    description: str


def _make(
    name: str,
    description: str,
    X: Dense,
    y: Labels,
    true_W: Dense | None = None,
    true_b: Dense | None = None,
    init_W: Dense | None = None,
    init_b: Dense | None = None,
) -> Synthetic:
    return Synthetic(X, y, true_W, true_b, init_W, init_b, name, description)


def linear_1d(
    n: int = 100, t_w: float = 5.0, t_b: float = -3.0, noise: float = 0.0, seed: int = 1
) -> Synthetic:
    """y = t_w * x + t_b (+ noise * randn), x ~ N(0, 1): lecture 4, one feature.

    Draws as the lecture does: first ``w, b = uniform(-3, 3, 2)`` (the initial
    parameters), then ``x = randn(n)``, then (if ``noise``) ``noise * randn(n)``.
    """
    rs = np.random.RandomState(seed)
    w, b = rs.uniform(-3, 3, 2)  # initial weight, bias
    x = rs.randn(n)  # (n,)
    y = t_w * x + t_b
    if noise:
        y = y + noise * rs.randn(n)
    text = f"y = {t_w:g} x + {t_b:g}, x ~ N(0, 1), noise {noise:g} (lecture 4)"
    return _make(
        "linear-1d", text, x.reshape(-1, 1), y,
        true_W=np.array([[float(t_w)]]), true_b=np.array([float(t_b)]),
        init_W=np.array([[w]]), init_b=np.array([b]),
    )  # fmt: skip


def linear_nd(
    n: int = 100, n_features: int = 3, noise: float = 0.0, seed: int = 1
) -> Synthetic:
    """y = X @ t_W + t_b (+ noise * randn), X ~ N(0, I): lecture 4, n features.

    Draw order of the lecture: ``t_W``, ``t_b``, ``W``, ``b`` all uniform(-3, 3),
    shapes (d, 1), (1,), (d, 1), (1,); then ``X = randn(n, d)``.
    """
    rs = np.random.RandomState(seed)
    d = n_features
    t_W = rs.uniform(-3, 3, (d, 1))
    t_b = rs.uniform(-3, 3, (1,))
    W = rs.uniform(-3, 3, (d, 1))
    b = rs.uniform(-3, 3, (1,))
    X = rs.randn(n, d)  # (n, d)
    y = (X @ t_W + t_b).ravel()  # (n,)
    if noise:
        y = y + noise * rs.randn(n)
    text = f"y = X @ t_W + t_b, {d} features, X ~ N(0, I), noise {noise:g} (lecture 4)"
    return _make("linear-nd", text, X, y, true_W=t_W, true_b=t_b, init_W=W, init_b=b)


def logistic_1d(
    n: int = 500, t_w: float = 5.0, t_b: float = -3.0, seed: int = 1
) -> Synthetic:
    """y = [t_w * x + t_b > -t_b / t_w], x ~ N(-t_b / t_w, 1): lecture 4, one feature.

    Draws ``w, b = uniform(-3, 3, 2)`` then ``x = normal(boundary, 1, n)`` with
    ``boundary = -t_b / t_w``. The label rule is the lecture's exactly, quirk
    included: it thresholds ``t_w * x + t_b`` at the boundary *value* (0.6 for the
    defaults), not at 0, so the labels switch at ``x = (boundary - t_b) / t_w``
    (0.72) rather than at the boundary itself (0.6). Labels are float64 0/1.
    """
    rs = np.random.RandomState(seed)
    w, b = rs.uniform(-3, 3, 2)  # initial weight, bias
    boundary = -t_b / t_w
    x = rs.normal(boundary, 1, (n,))
    y = (x * t_w + t_b > boundary).astype(np.float64)
    text = (
        f"y = [{t_w:g} x + {t_b:g} > {boundary:g}], x ~ N({boundary:g}, 1) (lecture 4)"
    )
    return _make(
        "logistic-1d", text, x.reshape(-1, 1), y,
        true_W=np.array([[float(t_w)]]), true_b=np.array([float(t_b)]),
        init_W=np.array([[w]]), init_b=np.array([b]),
    )  # fmt: skip


def logistic_nd(n: int = 1000, n_features: int = 3, seed: int = 1) -> Synthetic:
    """y = [sigmoid(X @ t_W + t_b) > 0.5], X ~ N(0, I): lecture 4, n features.

    Draw order: ``t_W``, ``t_b``, ``W``, ``b`` all uniform(-1, 1), then
    ``X = randn(n, d)``. Labels are int64 in {0, 1}.
    """
    rs = np.random.RandomState(seed)
    d = n_features
    t_W = rs.uniform(-1, 1, (d, 1))  # target weights
    t_b = rs.uniform(-1, 1, (1,))  # target bias
    W = rs.uniform(-1, 1, (d, 1))  # initial weights
    b = rs.uniform(-1, 1, (1,))  # initial bias
    X = rs.randn(n, d)
    y = (expit(X @ t_W + t_b) > 0.5).astype(np.int64).ravel()
    text = f"y = [sigmoid(X @ t_W + t_b) > 0.5], {d} features (lecture 4)"
    return _make("logistic-nd", text, X, y, true_W=t_W, true_b=t_b, init_W=W, init_b=b)


def perceptron_data(n: int = 100, seed: int = 0, margin: float = 0.2) -> Synthetic:
    """y = [X @ t_W + t_b > 0] in {0, 1}, 2-D, linearly separable with a margin.

    Points are drawn from N(0, I) and pushed ``margin`` away from the true line
    along its normal, so the perceptron converges in finitely many steps.
    """
    rs = np.random.RandomState(seed)
    t_W = rs.uniform(-1, 1, (2, 1))
    t_b = rs.uniform(-0.5, 0.5, (1,))
    X = rs.randn(n, 2)
    side = np.where((X @ t_W + t_b).ravel() > 0, 1.0, -1.0)
    X = X + (side * margin)[:, None] * (t_W.ravel() / np.linalg.norm(t_W))  # (n, 2)
    y = (side > 0).astype(np.int64)
    text = f"two linearly separable classes in 2-D, margin {margin:g}"
    return _make("perceptron", text, X, y, true_W=t_W, true_b=t_b)


def multiclass_blobs(
    n: int = 150, n_classes: int = 3, seed: int = 0, spread: float = 0.6
) -> Synthetic:
    """K Gaussian blobs in 2-D, centres evenly on a circle of radius 2; y in 0..K-1."""
    rs = np.random.RandomState(seed)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.column_stack([np.cos(angle), np.sin(angle)])  # (K, 2)
    y = rs.permutation(np.arange(n) % n_classes).astype(np.int64)
    X = centres[y] + spread * rs.randn(n, 2)
    text = f"{n_classes} Gaussian blobs in 2-D (std {spread:g}) on a circle of radius 2"
    return _make("blobs", text, X, y)


def xor(n: int = 200, noise: float = 0.15, seed: int = 0) -> Synthetic:
    """y = a XOR b for points near the corners (a, b) of the unit square, 2-D.

    Not linearly separable: a single linear unit fails, a two-layer net succeeds.
    """
    rs = np.random.RandomState(seed)
    corner = rs.randint(0, 2, (n, 2))  # (n, 2) in {0, 1}
    X = corner + noise * rs.randn(n, 2)
    y = (corner[:, 0] ^ corner[:, 1]).astype(np.int64)
    return _make("xor", f"XOR of the unit square's corners, noise {noise:g}", X, y)


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Synthetic:
    """Two interleaved half circles in 2-D (``sklearn.datasets.make_moons``)."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    text = f"two interleaved half moons, noise {noise:g}"
    return _make("moons", text, X.astype(np.float64), y.astype(np.int64))


def bipolar(n: int = 200, n_features: int = 2, seed: int = 0) -> Synthetic:
    """y = sign(X @ t_W) in {-1, +1}, no bias: homework Problem 3 (bipolar sigmoid).

    f(x; w) = (1 - exp(-w^T x)) / (1 + exp(-w^T x)) has no bias, so the true
    boundary passes through the origin (``true_b`` is 0). Points are pushed 0.1
    away from it, so the classes are separable. Labels are float64 -1.0 / +1.0.
    """
    rs = np.random.RandomState(seed)
    t_W = rs.uniform(-1, 1, (n_features, 1))
    X = rs.randn(n, n_features)
    y = np.where((X @ t_W).ravel() > 0, 1.0, -1.0)
    X = X + (0.1 * y)[:, None] * (t_W.ravel() / np.linalg.norm(t_W))
    text = f"y = sign(X @ t_W) in {{-1, +1}}, {n_features} features (Problem 3)"
    return _make("bipolar", text, X, y, true_W=t_W, true_b=np.zeros(1))


def residual_data(
    n: int = 200, n_features: int = 4, seed: int = 0, n_hidden: int = 3
) -> Synthetic:
    """y = [g(x) > median g] in {0, 1} for a random teacher of homework Problem 7.

    g(x) = sigmoid(w2 . h(x)), h(x) = x + sigmoid(W1 z(x)), z(x) = sigmoid(W0 x),
    with W0 (M, D), W1 (D, M), w2 (D,) ~ N(0, 1) and X ~ N(0, I). Thresholding at
    the median keeps the classes balanced. The teacher's weights are not returned.
    """
    rs = np.random.RandomState(seed)
    W0 = rs.randn(n_hidden, n_features)
    W1 = rs.randn(n_features, n_hidden)
    w2 = rs.randn(n_features)
    X = rs.randn(n, n_features)
    z = expit(X @ W0.T)  # (n, M)
    h = X + expit(z @ W1.T)  # (n, D)
    g = expit(h @ w2)  # (n,)
    y = (g > np.median(g)).astype(np.int64)
    text = f"labels of a random residual teacher net (Problem 7), {n_features} features"
    return _make("residual", text, X, y)


SYNTHETIC: dict[str, Callable[..., Synthetic]] = {
    "linear": linear_nd,
    "linear-1d": linear_1d,
    "linear-nd": linear_nd,
    "logistic": logistic_nd,
    "logistic-1d": logistic_1d,
    "logistic-nd": logistic_nd,
    "perceptron": perceptron_data,
    "blobs": multiclass_blobs,
    "xor": xor,
    "moons": two_moons,
    "bipolar": bipolar,
    "residual": residual_data,
}
_REGRESSION = {"linear", "linear-1d", "linear-nd"}

# name -> (sklearn loader, target name, task)
_SKLEARN: dict[str, tuple[str, str, str]] = {
    "breast_cancer": ("load_breast_cancer", "benign", "classification"),
    "diabetes": ("load_diabetes", "progression", "regression"),
    "digits": ("load_digits", "digit", "classification"),
    "wine": ("load_wine", "cultivar", "classification"),
    "iris": ("load_iris", "species", "classification"),
}


def names() -> list[str]:
    """Every name :func:`load` accepts."""
    return [f"sklearn:{k}" for k in _SKLEARN] + [f"synthetic:{k}" for k in SYNTHETIC]


def load(name: str, **kwargs: float) -> tuple[Dense, Labels, list[str], str, str]:
    """Load a built-in data set as ``(X, y, feature_names, target_name, task)``.

    Parameters
    ----------
    name : str
        ``"sklearn:<name>"`` (breast_cancer, diabetes, digits, wine, iris; shipped
        inside scikit-learn, no network) or ``"synthetic:<name>"`` (a key of
        :data:`SYNTHETIC`).
    **kwargs
        Passed to the synthetic generator (``n``, ``seed``, ...).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
    feature_names : list of str
    target_name : str
    task : {"regression", "classification"}
    """
    source, _, key = name.partition(":")
    if source == "sklearn" and key in _SKLEARN and not kwargs:
        import sklearn.datasets

        loader, target_name, task = _SKLEARN[key]
        bunch = getattr(sklearn.datasets, loader)()
        X = np.asarray(bunch.data, dtype=np.float64)
        features = [str(f) for f in bunch.feature_names]
        return X, np.asarray(bunch.target), features, target_name, task
    if source == "synthetic" and key in SYNTHETIC:
        data = SYNTHETIC[key](**kwargs)
        features = [f"x{j + 1}" for j in range(data.X.shape[1])]
        task = "regression" if key in _REGRESSION else "classification"
        return data.X, data.y, features, "y", task
    if source == "sklearn" and key in _SKLEARN:
        raise DataError(f"data set {name!r} takes no options (got {sorted(kwargs)})")
    raise DataError(
        f"unknown data set {name!r}; valid names: {', '.join(names())}"
        " (or give a CSV / Parquet file path)"
    )
