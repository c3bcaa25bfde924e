"""summary on a rank-deficient design: the model without the non-identified columns.

The reference is statsmodels (OLS, Logit, MNLogit) fitted on X̃ with the
reported columns dropped; lingrad is fitted on the full X at a tight tol, so
its fitted values are the reduced model's and only the parametrisation differs.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import make_classification

from lingrad.models import LinearRegression, LogisticRegression, SoftmaxRegression

RTOL = 1e-6


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def kept(s) -> list[int]:
    return [j for j, n in enumerate(s.names) if n not in s.not_identified]


@pytest.fixture(scope="module")
def redundant():
    """2 informative + 2 redundant columns: x3, x4 are combinations of x1, x2."""
    X, y = make_classification(200, 4, random_state=0)
    return X, y


def assert_dropped(s, dead_names):
    dead = [s.names.index(n) for n in dead_names]
    for key in ("coef", "se", "statistic", "p_value", "ci_low", "ci_high"):
        assert np.isnan(np.asarray(getattr(s, key))[..., dead]).all(), key
    note = next(n for n in s.notes if n.startswith("not identified"))
    assert "without" in note and "could have been dropped" in note


def test_rank_deficient_logit_reports_the_model_without_the_dropped_columns(
    redundant,
):
    X, y = redundant
    model = LogisticRegression(solver="newton", penalty="none", tol=1e-12)
    s = model.fit(X, y).summary(X, y)
    assert len(s.not_identified) == 2 and "const" not in s.not_identified
    keep = kept(s)
    Xt = sm.add_constant(X)[:, keep]
    ref = sm.Logit(y, Xt).fit(disp=0, tol=1e-14)
    assert rel(s.coef[keep], ref.params) < RTOL
    assert rel(s.se[keep], ref.bse) < RTOL
    assert rel(s.p_value[keep], ref.pvalues) < RTOL
    ci = ref.conf_int()
    assert rel(s.ci_low[keep], ci[:, 0]) < RTOL
    assert rel(s.ci_high[keep], ci[:, 1]) < RTOL
    assert rel(s.log_likelihood, ref.llf) < RTOL and rel(s.aic, ref.aic) < RTOL
    assert s.df_resid == ref.df_resid
    assert_dropped(s, s.not_identified)
    doc = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert doc["se"][keep[-1]] is not None and doc["not_identified"] == s.not_identified


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_a_shift_along_the_null_space_changes_nothing(redundant, solver):
    """θ̂ + v with X̃ v = 0 is the same fit: same table, not flagged as off-optimum."""
    X, y = redundant
    model = LogisticRegression(solver=solver, penalty="none", tol=1e-8).fit(X, y)
    s = model.summary(X, y)
    v = np.linalg.svd(sm.add_constant(X))[2][-2:].sum(axis=0)  # X̃ v ≈ 0
    v *= 5 * np.max(np.abs(model.coef_)) / np.max(np.abs(v))
    shifted = copy.deepcopy(model)
    shifted.intercept_ = model.intercept_ + v[0]
    shifted.coef_ = model.coef_ + v[1:]
    t = shifted.summary(X, y)
    keep = kept(s)
    assert t.not_identified == s.not_identified
    assert np.all(s.se[keep] < 10)  # not a pseudo-inverse's 1e7
    for key in ("coef", "se", "p_value", "ci_low"):
        assert rel(getattr(t, key)[keep], getattr(s, key)[keep]) < 1e-8, key
    assert not any("not at the optimum" in n for n in s.notes + t.notes)


def test_rank_deficient_ols_reports_the_model_without_the_dropped_columns():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    X = np.column_stack([X, X[:, 0] + 2 * X[:, 1], 3 * X[:, 2]])
    y = X[:, 0] - X[:, 2] + rng.normal(size=50)
    s = LinearRegression().fit(X, y).summary(X, y)
    assert len(s.not_identified) == 2
    keep = kept(s)
    ref = sm.OLS(y, sm.add_constant(X)[:, keep]).fit()
    for key, theirs in [("coef", ref.params), ("se", ref.bse),
                        ("p_value", ref.pvalues), ("ci_low", ref.conf_int()[:, 0]),
                        ("ci_high", ref.conf_int()[:, 1])]:  # fmt: skip
        assert rel(getattr(s, key)[keep], theirs) < RTOL, key
    for ours, theirs in [(s.sigma, np.sqrt(ref.scale)), (s.df_resid, ref.df_resid),
                         (s.r2_adj, ref.rsquared_adj), (s.f_statistic, ref.fvalue),
                         (s.log_likelihood, ref.llf), (s.bic, ref.bic)]:  # fmt: skip
        assert rel(ours, theirs) < RTOL
    assert_dropped(s, s.not_identified)
    assert not any("not at the optimum" in n for n in s.notes)
    hc3 = LinearRegression().fit(X, y).summary(X, y, cov_type="HC3")
    ref3 = sm.OLS(y, sm.add_constant(X)[:, keep]).fit(cov_type="HC3")
    assert rel(hc3.se[keep], ref3.bse) < RTOL


def test_a_constant_column_beside_the_intercept_is_the_one_dropped():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=40), np.full(40, 3.0)])
    y = 2 * X[:, 0] + rng.normal(size=40)
    s = LinearRegression().fit(X, y).summary(X, y)
    assert s.not_identified == ["x2"]
    ref = sm.OLS(y, sm.add_constant(X[:, :1])).fit()
    assert rel(s.se[:2], ref.bse) < RTOL and rel(s.r2, ref.rsquared) < RTOL


def test_rank_deficient_softmax_reports_the_model_without_the_dropped_columns(
    redundant,
):
    X, _ = redundant
    rng = np.random.default_rng(3)
    y = np.digitize(X[:, 0] - X[:, 1] + rng.normal(size=len(X)), [-0.5, 0.5])
    model = SoftmaxRegression(solver="newton", penalty="none", tol=1e-12)
    s = model.fit(X, y).summary(X, y)
    assert len(s.not_identified) == 2
    keep = kept(s)
    ref = sm.MNLogit(y, sm.add_constant(X)[:, keep]).fit(
        disp=0, method="newton", tol=1e-14
    )
    assert rel(s.coef[:, keep], np.asarray(ref.params).T) < RTOL
    assert rel(s.se[:, keep], np.asarray(ref.bse).T) < RTOL
    assert rel(s.p_value[:, keep], np.asarray(ref.pvalues).T) < RTOL
    ci = np.asarray(ref.conf_int()).reshape(2, len(keep), 2)
    assert rel(s.ci_low[:, keep], ci[..., 0]) < RTOL
    assert rel(s.log_likelihood, ref.llf) < RTOL and rel(s.aic, ref.aic) < RTOL
    assert_dropped(s, s.not_identified)
