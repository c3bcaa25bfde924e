"""The closed form's two routes, its chunked statistics, and what it refuses."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge
from sklearn.preprocessing import OneHotEncoder

from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.core.penalties import L2
from lingrad.models.linear import LinearRegression
from lingrad.models.logistic import LogisticRegression
from lingrad.solvers import SolverError, lbfgs, normal_equation
from lingrad.solvers.gram import GramStats
from lingrad.solvers.rows import ArrayRows, Chunk
from lingrad.solvers.tsqr import r_from_chunk, r_merge, solve_r


def data(rng, N=50, D=4, K=2):
    X = rng.normal(size=(N, D))
    Y = X @ rng.normal(size=(D, K)) + 3.0 + 0.1 * rng.normal(size=(N, K))
    return X, Y, rng.uniform(0.2, 3.0, size=N)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_chunked_statistics_equal_one_pass(rng, fit_intercept):
    """Chan's merge of per-chunk centred sums is the one-pass Gram, any chunking."""
    X, Y, s = data(rng)
    whole = GramStats.from_chunk(Chunk(X, Y, s), fit_intercept)
    for chunk_rows in (1, 7, 49):
        rows = ArrayRows(X, Y, s, chunk_rows=chunk_rows)
        merged = rows.reduce(GramStats.from_chunk, fit_intercept, None,
                             combine=GramStats.merge)  # fmt: skip
        assert merged.n == 50 and merged.sw == pytest.approx(s.sum())
        assert_allclose(merged.mean, whole.mean, rtol=1e-13, atol=1e-15)
        assert_allclose(merged.M, whole.M, rtol=1e-12, atol=1e-12)
    V = np.hstack([X, Y])
    mean = np.average(V, axis=0, weights=s) if fit_intercept else np.zeros(6)
    assert_allclose(whole.M, (V - mean).T @ (s[:, None] * (V - mean)), rtol=1e-12)


def test_an_empty_chunk_changes_nothing(rng):
    X, Y, s = data(rng)
    empty = GramStats.from_chunk(Chunk(X[:0], Y[:0], s[:0]))
    full = GramStats.from_chunk(Chunk(X, Y, s))
    for merged in (GramStats.merge(empty, full), GramStats.merge(full, empty)):
        assert_allclose(merged.M, full.M) and merged.n == full.n
    R = r_from_chunk(Chunk(X, Y, s), full.mean)
    assert r_merge(r_from_chunk(Chunk(X[:0], Y[:0]), full.mean), R) is R


def test_cholesky_and_qr_routes_agree(rng):
    """Two routes, one answer: Cholesky of the Gram and the SVD of QR's R."""
    X, Y, s = data(rng)
    stats = GramStats.from_chunk(Chunk(X, Y, s))
    for l2 in (0.0, 5.0):
        W_chol, info = stats.solve(l2)
        assert "Cholesky" in info["method"] and info["rank"] == 4
        W_qr, _ = solve_r(r_from_chunk(Chunk(X, Y, s), stats.mean), 4, 50, l2)
        assert_allclose(W_chol, W_qr, rtol=1e-12)


@pytest.mark.parametrize("chunk_rows", [None, 1, 6])
def test_any_chunking_gives_sklearns_coefficients(rng, chunk_rows):
    X, Y, s = data(rng)
    W, b, info = normal_equation(X, Y, s, chunk_rows=chunk_rows)
    ref = SkLinearRegression().fit(X, Y, sample_weight=s)
    assert_allclose(W, ref.coef_.T, rtol=1e-11)
    assert_allclose(b, ref.intercept_, rtol=1e-11)
    W, b, _ = normal_equation(X, Y, s, l2=4.0, chunk_rows=chunk_rows)
    ref = Ridge(alpha=4.0, solver="cholesky").fit(X, Y, sample_weight=s)
    assert_allclose(W, ref.coef_.T, rtol=1e-11)


def exact_slope(x, y):
    """Least-squares slope and intercept of y on one x, in exact rationals."""
    X, Y = [Fraction(v) for v in x], [Fraction(v) for v in y]
    n, mx, my = len(X), sum(X) / len(X), sum(Y) / len(Y)
    w = sum((a - mx) * (c - my) for a, c in zip(X, Y, strict=True)) / sum(
        (a - mx) ** 2 for a in X
    )
    return float(w), float(my - w * mx) if n else 0.0


@pytest.mark.parametrize("chunk_rows", [None, 1, 7])
def test_a_large_mean_costs_no_digits(rng, chunk_rows):
    """x = 1e8 + N(0, 1): an uncentred Σ x² would cancel 16 digits away."""
    x = 1e8 + rng.normal(size=60)
    y = 2.0 * (x - 1e8) + 0.1 * rng.normal(size=60)
    w, b, _ = normal_equation(x[:, None], y, chunk_rows=chunk_rows)
    w_exact, b_exact = exact_slope(x, y)
    assert w[0] == pytest.approx(w_exact, rel=1e-8)
    assert b == pytest.approx(b_exact, rel=1e-8)


def test_one_hot_with_intercept_is_rank_deficient_silently_as_sklearn(rng):
    """The commonest exact collinearity: min-norm solution, rank says so, silent."""
    colour = rng.choice(["red", "green", "blue"], size=40)
    x = rng.normal(size=(40, 2))
    y = x @ [1.0, -2.0] + (colour == "red") * 3.0 + 0.1 * rng.normal(size=40)
    X = np.hstack(
        [x, OneHotEncoder(sparse_output=False).fit_transform(colour[:, None])]
    )
    model = LinearRegression().fit(X, y)  # filterwarnings=error: silence is tested
    ref = SkLinearRegression().fit(X, y)
    assert model.solver_info_["rank"] == 4 and "QR" in model.solver_info_["method"]
    assert_allclose(model.predict(X), ref.predict(X), rtol=1e-10)
    assert model.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-12)
    assert_allclose(model.coef_, ref.coef_, atol=1e-10)  # both the minimum norm
    ridge = LinearRegression(penalty="l2", alpha=0.5 / 40).fit(X, y)
    assert "Cholesky" in ridge.solver_info_["method"]
    assert_allclose(ridge.coef_, Ridge(alpha=0.5).fit(X, y).coef_, rtol=1e-10)


def test_a_huge_cell_is_refused_naming_column_and_row(rng):
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["age", "income", "height"])
    X.loc[17, "income"] = 1e200
    with pytest.raises(
        SolverError, match=r"feature 'income'.*1e\+200 in row 17 \(0-based\)"
    ):
        LinearRegression().fit(X, rng.normal(size=30))


def test_a_row_of_1e308_is_refused_not_saved(rng):
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    X[4] = 1e308
    with pytest.raises(SolverError, match="feature 0 .*overflow float64.*row 4"):
        LinearRegression().fit(X, y)
    y[4] = 1e308
    with pytest.raises(SolverError, match="overflow"):
        LinearRegression().fit(rng.normal(size=(30, 3)), y)


def test_lbfgs_that_cannot_step_is_an_error_not_a_zero_model(rng):
    """1e308 in a feature: L-BFGS-B stops ABNORMAL after 0 iterations."""
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    X[0, 1] = 1e308
    with pytest.raises(SolverError, match="without decreasing J|non-finite"):
        LogisticRegression().fit(X, y)
    with pytest.raises(SolverError):
        LogisticRegression(solver="newton").fit(X, y)
    # alpha=inf is refused by the estimators' parameter check; the solver itself
    # still refuses the non-finite J it would give (inf · 0 at the start)
    chain = Chain([Affine(np.zeros((3, 1)), np.zeros(1))])
    with pytest.raises(SolverError, match="non-finite"):
        lbfgs(chain, SquaredError(), X, y[:, None].astype(float), L2(np.inf))
