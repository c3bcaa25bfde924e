"""summary(..., sample_weight=s): frequency weights, and the inputs summary accepts.

Row i counts s_i times: the references are statsmodels' GLM with
``freq_weights`` and OLS / Logit / MNLogit on the rows repeated s_i times.
Also: float32 X, a DataFrame (names from its columns) and string labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lingrad.inference import InferenceError
from lingrad.models import LinearRegression, LogisticRegression, SoftmaxRegression

RTOL = 1e-8


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def rel_cov(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = np.sqrt(np.diag(b))
    return float(np.max(np.abs(a - b) / np.outer(d, d)))


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -0.5, 0.2] + 0.3 + rng.normal(size=60) * (1 + np.abs(X[:, 0]))
    w = rng.integers(0, 5, size=60)  # some rows weigh 0
    return X, y, w


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas()
    X, y = data.exog.to_numpy(float), data.endog.to_numpy(float)
    w = np.random.default_rng(5).integers(1, 4, size=len(y))
    return X, y, w


def test_weighted_ols_matches_glm_freq_weights_and_repeated_rows(regression):
    X, y, w = regression
    model = LinearRegression().fit(X, y, sample_weight=w)
    s = model.summary(X, y, sample_weight=w)
    Xt = sm.add_constant(X)
    glm = sm.GLM(y, Xt, family=sm.families.Gaussian(), freq_weights=w)
    ref = glm.fit(use_t=True)
    assert rel(s.coef, ref.params) < RTOL and rel(s.se, ref.bse) < RTOL
    assert rel(s.p_value, ref.pvalues) < RTOL
    assert rel(s.ci_low, ref.conf_int()[:, 0]) < RTOL
    assert rel(s.ci_high, ref.conf_int()[:, 1]) < RTOL
    rep = sm.OLS(np.repeat(y, w), np.repeat(Xt, w, axis=0)).fit()
    for ours, theirs in [(s.sigma, np.sqrt(rep.scale)), (s.df_resid, rep.df_resid),
                         (s.r2, rep.rsquared), (s.r2_adj, rep.rsquared_adj),
                         (s.f_statistic, rep.fvalue), (s.log_likelihood, rep.llf),
                         (s.aic, rep.aic), (s.bic, rep.bic)]:  # fmt: skip
        assert rel(ours, theirs) < RTOL
    assert s.n_obs == w.sum() and not s.notes


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3"])
def test_weighted_ols_robust_covariances_are_those_of_the_repeated_rows(
    regression, cov_type
):
    X, y, w = regression
    model = LinearRegression().fit(X, y, sample_weight=w)
    s = model.summary(X, y, sample_weight=w, cov_type=cov_type)
    Xt = sm.add_constant(X)
    rep = sm.OLS(np.repeat(y, w), np.repeat(Xt, w, axis=0)).fit(cov_type=cov_type)
    assert rel_cov(s.cov, rep.cov_params()) < RTOL


def test_fractional_weights_are_frequencies_like_glm(regression):
    X, y, w = regression
    f = w * 0.7 + 0.1
    s = LinearRegression().fit(X, y, sample_weight=f).summary(X, y, sample_weight=f)
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Gaussian(), freq_weights=f)
    ref = glm.fit(use_t=True)
    assert rel(s.se, ref.bse) < RTOL and rel(s.p_value, ref.pvalues) < RTOL
    assert s.n_obs == pytest.approx(f.sum(), rel=1e-15)


def test_weighted_logit_matches_glm_binomial_freq_weights(spector):
    X, y, w = spector
    model = LogisticRegression(penalty="none", solver="newton", tol=1e-10)
    s = model.fit(X, y, sample_weight=w).summary(X, y, sample_weight=w)
    Xt = sm.add_constant(X)
    glm = sm.GLM(y, Xt, family=sm.families.Binomial(), freq_weights=w)
    ref = glm.fit(tol=1e-14)
    assert rel(s.coef, ref.params) < RTOL and rel(s.se, ref.bse) < RTOL
    assert rel(s.p_value, ref.pvalues) < RTOL
    assert rel(s.ci_low, ref.conf_int()[:, 0]) < RTOL
    assert rel(s.log_likelihood, ref.llf) < RTOL
    rep = sm.Logit(np.repeat(y, w), np.repeat(Xt, w, axis=0))
    rep0 = rep.fit(disp=0, tol=1e-14, cov_type="HC0")
    assert rel(s.aic, rep0.aic) < RTOL and rel(s.bic, rep0.bic) < RTOL
    hc0 = model.summary(X, y, sample_weight=w, cov_type="HC0")
    assert rel_cov(hc0.cov, rep0.cov_params()) < RTOL
    assert not s.notes


def test_weighted_softmax_matches_mnlogit_on_repeated_rows():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(150, 2))
    y = np.digitize(X[:, 0] - X[:, 1] + rng.normal(size=150), [-0.5, 0.5])
    w = rng.integers(1, 4, size=150)
    model = SoftmaxRegression(penalty="none", solver="newton", tol=1e-10)
    s = model.fit(X, y, sample_weight=w).summary(X, y, sample_weight=w)
    Xt = sm.add_constant(X)
    ref = sm.MNLogit(np.repeat(y, w), np.repeat(Xt, w, axis=0)).fit(
        disp=0, method="newton", tol=1e-14
    )
    assert rel(s.se, np.asarray(ref.bse).T) < RTOL
    assert rel(s.p_value, np.asarray(ref.pvalues).T) < RTOL
    assert rel(s.log_likelihood, ref.llf) < RTOL and s.n_obs == w.sum()


def test_weighted_ridge_sandwich_is_that_of_the_repeated_rows(regression):
    X, y, w = regression
    ridge = LinearRegression(penalty="l2", alpha=0.05)
    s = ridge.fit(X, y, sample_weight=w).summary(
        X, y, sample_weight=w, cov_type="sandwich"
    )
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    t = LinearRegression(penalty="l2", alpha=0.05).fit(Xr, yr)
    assert rel_cov(s.cov, t.summary(Xr, yr, cov_type="sandwich").cov) < 1e-8


def test_a_weighted_fit_summarised_without_its_weights_is_flagged(spector):
    X, y, w = spector
    model = LogisticRegression(penalty="none", solver="newton", tol=1e-10)
    model.fit(X, y, sample_weight=w)
    note = " ".join(model.summary(X, y).notes)
    assert "not at the optimum" in note and "sample_weight" in note


@pytest.mark.parametrize("cls", [LogisticRegression, SoftmaxRegression])
def test_class_weight_is_refused_with_the_reason(spector, cls):
    X, y, _ = spector
    model = cls(penalty="none", solver="newton", class_weight="balanced").fit(X, y)
    with pytest.raises(InferenceError, match="class_weight.*maximum-likelihood"):
        model.summary(X, y)


def test_bad_sample_weight_says_why(regression):
    X, y, w = regression
    model = LinearRegression().fit(X, y)
    with pytest.raises(InferenceError, match="one weight per row"):
        model.summary(X, y, sample_weight=w[:-1])
    with pytest.raises(InferenceError, match="non-negative"):
        model.summary(X, y, sample_weight=-w)


def test_float32_x_is_summarised_in_double(spector):
    X, y, _ = spector
    X32 = X.astype(np.float32)
    s = LogisticRegression(penalty="none", solver="newton").fit(X32, y).summary(X32, y)
    ref = sm.Logit(y, sm.add_constant(X32.astype(np.float64))).fit(disp=0, tol=1e-14)
    # the fit runs in float32: its gradient bottoms out near 1e-4 (32 rows of
    # values up to 30 summed with 7 digits), which moves the coefficients, and so
    # the standard errors, by about 1e-4 relative; the summary itself is double
    assert rel(s.se, ref.bse) < 1e-3 and rel(s.p_value, ref.pvalues) < 1e-3
    assert s.se.dtype == np.float64
    ols = LinearRegression().fit(X32, y).summary(X32, y)
    ref = sm.OLS(y, sm.add_constant(X32.astype(np.float64))).fit()
    assert rel(ols.se, ref.bse) < 1e-5 and rel(ols.sigma, np.sqrt(ref.scale)) < 1e-5


def test_a_dataframe_names_the_rows_and_must_keep_its_columns():
    data = sm.datasets.spector.load_pandas()
    X, y = data.exog, data.endog
    model = LogisticRegression(penalty="none", solver="newton", tol=1e-12).fit(X, y)
    s = model.summary(X, y)
    assert s.names == ["const", "GPA", "TUCE", "PSI"]
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-14)
    assert rel(s.se, ref.bse) < RTOL
    with pytest.raises(InferenceError, match="columns"):
        model.summary(X[["TUCE", "GPA", "PSI"]], y)


def test_string_labels_take_the_second_class_as_positive():
    data = sm.datasets.spector.load_pandas()
    X, y = data.exog.to_numpy(float), data.endog.to_numpy(float)
    labels = pd.Series(np.where(y > 0, "pass", "fail"))
    model = LogisticRegression(penalty="none", solver="newton", tol=1e-12)
    s = model.fit(X, labels).summary(X, labels)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-14)  # "pass" is 1
    assert rel(s.coef, ref.params) < RTOL and rel(s.se, ref.bse) < RTOL
    with pytest.raises(InferenceError, match="not fitted on"):
        model.summary(X, labels.replace("pass", "PASS"))
