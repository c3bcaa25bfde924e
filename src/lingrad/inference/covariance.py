"""Covariances of the fitted coefficients: inverse Fisher information and sandwiches.

Least squares (Gaussian likelihood, σ² unknown): ``Cov β̂ = σ² (X̃ᵀX̃)⁻¹`` with
``σ² = ‖e‖² / (n - p)``; HC0-HC3: ``(X̃ᵀX̃)⁻¹ X̃ᵀ diag(ω) X̃ (X̃ᵀX̃)⁻¹`` with
``ω = e², e² n/(n-p), e²/(1-h), e²/(1-h)²`` (``h``: the leverages).
Logistic (Bernoulli): ``I = X̃ᵀ diag(p(1-p)) X̃``, ``Cov = I⁻¹``; HC0 the
sandwich ``I⁻¹ (Σ (y-p)² x̃x̃ᵀ) I⁻¹``, HC1 that times ``n/(n-p)``.
Softmax (multinomial, class 0 the reference, as statsmodels' MNLogit):
``I = Σ_i (diag(q_i) - q_i q_iᵀ) ⊗ x̃_i x̃_iᵀ`` over classes 1..K-1.
With an L2 penalty ``λ = 2 n alpha`` on the weights (``sandwich``):
``H = I + λ P``, ``Cov = H⁻¹ I H⁻¹`` (P: identity on the weights, 0 on b).
X̃ = [1 X] (intercept first). Frequency weights ``s`` count row i ``s_i`` times
(``n = Σ s``): ``X̃ᵀX̃ → X̃ᵀSX̃``, every sum over rows weighted, as statsmodels'
GLM ``freq_weights``. X̃ has full column rank here (``identify`` drops the
rest). docs/derivations.md derives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike
from scipy.special import expit, log_expit, log_softmax, softmax

from lingrad.core.nodes import Array
from lingrad.solvers.refine import MAX_REFINE_ELEMENTS, ScaledDesign

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "sandwich")


@dataclass
class Estimates:
    """What a model kind hands the summary: θ̂, its covariance and the fit's scalars."""

    coef: Array  # (P,) or (K-1, P)
    cov: Array  # (m, m), m = coef.size, equation-major
    dist: str  # "t" (least squares, nonrobust) or "z"
    n_obs: int | float  # Σ s: the rows the frequency weights stand for
    df_resid: float
    log_likelihood: float
    k_params: int  # counted by AIC / BIC
    scalars: dict[str, float] = field(default_factory=dict)
    not_identified: list[int] = field(default_factory=list)  # columns of X̃
    newton_step: float = 0.0  # max |I⁻¹ ∇ℓ| / se at θ̂: 0 at the MLE


def design(X: Array, fit_intercept: bool) -> Array:
    """X̃ = [1 X] (N, P), or X without an intercept."""
    return np.column_stack([np.ones(len(X)), X]) if fit_intercept else X


def _inverse(M: Array) -> Array:
    """Inverse of a symmetric PSD M, equilibrated (pinv if singular)."""
    d = np.sqrt(np.abs(np.diag(M)))
    d[d == 0] = 1.0
    Ms = M / d[:, None] / d[None, :]
    try:
        c = scipy.linalg.cho_factor(Ms, check_finite=False)
        inv = scipy.linalg.cho_solve(c, np.eye(len(M)), check_finite=False)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(Ms, hermitian=True)
    return np.asarray(inv / d[:, None] / d[None, :])


def _scaled(X: Array, s: Array | None, fit_intercept: bool) -> ScaledDesign:
    return ScaledDesign(X, np.zeros(len(X)), s, fit_intercept)


def _refined(X: Array) -> bool:
    return bool(0 < X.size <= MAX_REFINE_ELEMENTS and len(X) > X.shape[1])


def least_squares(
    X: Array, y: Array, coef: Array, fit_intercept: bool, cov_type: str, l2: float,
    s: Array | None = None,
) -> Estimates:  # fmt: skip
    """Gaussian linear model at θ̂ = coef (intercept first); s: frequency weights."""
    Xt = design(X, fit_intercept)
    P = Xt.shape[1]
    f = np.ones(len(X)) if s is None else s
    n = count(f)
    ext = np.longdouble
    e = np.asarray(y.astype(ext) - Xt.astype(ext) @ coef.astype(ext))
    ssr = float((f * e * e).sum())
    e = e.astype(np.float64)
    df = float(n - P)
    sigma2 = ssr / df if df > 0 else float("nan")
    full = _refined(X)
    if full:
        sd = _scaled(X, s, fit_intercept)
        V = sd.inverse_gram()  # (X̃ᵀSX̃)⁻¹, refined
    else:
        V = _inverse((Xt * f[:, None]).T @ Xt)
    if cov_type == "nonrobust":
        cov = sigma2 * V
    elif cov_type == "sandwich":  # ridge: σ² H⁻¹ X̃ᵀSX̃ H⁻¹, H = X̃ᵀSX̃ + l2 P
        G = (Xt * f[:, None]).T @ Xt
        Hinv = _inverse(G + l2 * _weights_mask(P, fit_intercept))
        cov = sigma2 * Hinv @ G @ Hinv
    else:
        M = sd.influence(s) if full else Xt @ V  # (N, P): rows (X̃ᵀSX̃)⁻¹ x̃_i
        h = _leverage(sd, f, fit_intercept) if full else (Xt * M).sum(axis=1)
        omega = f * e * e  # each row counted s_i times
        if cov_type == "HC1":
            omega = omega * n / df
        elif cov_type == "HC2":
            omega = omega / (1.0 - h)
        elif cov_type == "HC3":
            omega = omega / (1.0 - h) ** 2
        cov = (M * omega[:, None]).T @ M
    ybar = float(f @ y / f.sum()) if fit_intercept else 0.0
    tss = float(f @ (y - ybar) ** 2)
    r2 = 1.0 - ssr / tss if tss > 0 else float("nan")
    df_model = float(P - (1 if fit_intercept else 0))
    scalars = {
        "sigma": float(np.sqrt(sigma2)),
        "r2": r2,
        "r2_adj": 1.0 - (n - (1 if fit_intercept else 0)) / df * (1.0 - r2),
        "f_statistic": (tss - ssr) / df_model / sigma2 if df_model > 0 else np.nan,
        "df_model": df_model,
    }
    from scipy.stats import f as f_dist

    scalars["f_p_value"] = (
        float(f_dist.sf(scalars["f_statistic"], df_model, df))
        if df_model > 0 and df > 0
        else float("nan")
    )
    ll = -n / 2 * (np.log(2 * np.pi) + np.log(ssr / n) + 1)
    step = _step(V @ (Xt.T @ (f * e)), cov)
    return Estimates(
        coef, cov, "t" if cov_type == "nonrobust" else "z", n, df, float(ll),
        P, scalars, [], step,
    )  # fmt: skip


def count(s: Array) -> int | float:
    """``n = Σ s``: the number of observations the frequency weights stand for."""
    n = float(np.sum(s))
    return int(n) if n.is_integer() else n


def _leverage(sd: ScaledDesign, f: Array, fit_intercept: bool) -> Array:
    """``h_i = x̃_iᵀ (X̃ᵀSX̃)⁻¹ x̃_i = ‖Q₁[i]‖² / s_i (+ 1/Σs)``: one copy of row i."""
    h = (sd.Q1 * sd.Q1).sum(axis=1) / f
    if fit_intercept:
        h = h + float(1 / sd.sum_s)
    return np.asarray(h)


def _weights_mask(P: int, fit_intercept: bool) -> Array:
    mask = np.ones(P)
    if fit_intercept:
        mask[0] = 0.0
    return np.diag(mask)


def _step(delta: Array, cov: Array) -> float:
    """max |δ| / se: the Newton step from θ̂ in standard errors (0 at the optimum)."""
    se = np.sqrt(np.abs(np.diag(cov)))
    ok = se > 0
    return float(np.max(np.abs(np.ravel(delta)[ok]) / se[ok])) if ok.any() else 0.0


def logistic(
    X: Array, y01: Array, coef: Array, fit_intercept: bool, cov_type: str, l2: float,
    s: Array | None = None,
) -> Estimates:  # fmt: skip
    """Bernoulli model ``P(y=1) = σ(x̃ᵀθ)`` at θ̂ = coef; s: frequency weights."""
    Xt = design(X, fit_intercept)
    P = Xt.shape[1]
    f = np.ones(len(X)) if s is None else s
    n = count(f)
    z = Xt @ coef
    p = expit(z)
    w = f * p * (1.0 - p)
    if _refined(X) and np.all(w > 0):
        sd = _scaled(X, w, fit_intercept)
        Iinv, M = sd.inverse_gram(), sd.influence(w)
    else:
        Iinv = _inverse((Xt * w[:, None]).T @ Xt)
        M = Xt @ Iinv
    score = Xt.T @ (f * (y01 - p))
    if cov_type == "nonrobust":
        cov = Iinv
    elif cov_type == "sandwich":
        Hinv = _inverse((Xt * w[:, None]).T @ Xt + l2 * _weights_mask(P, fit_intercept))
        cov = Hinv @ ((Xt * w[:, None]).T @ Xt) @ Hinv
    else:
        cov = (M * (f * (y01 - p) ** 2)[:, None]).T @ M
        if cov_type == "HC1":
            cov = cov * n / (n - P)
    ll = float(f @ (y01 * log_expit(z) + (1 - y01) * log_expit(-z)))
    return Estimates(
        coef, cov, "z", n, float(n - P), ll, P, {}, [], _step(Iinv @ score, cov)
    )


def multinomial(
    X: Array, Y: Array, coef: Array, fit_intercept: bool, cov_type: str, l2: float,
    s: Array | None = None,
) -> Estimates:  # fmt: skip
    """Softmax over K classes, class 0 the reference: θ (K-1, P) = contrasts.

    ``Y`` (N, K) one-hot; ``coef`` (K-1, P) the identified contrasts
    ``[b_k - b_0, W_k - W_0]``; ``s`` frequency weights. With ``sandwich`` the
    penalised fit's H is singular along the common shift of every class's
    intercept; the contrasts do not move along it, so its pseudo-inverse gives
    their covariance.
    """
    Xt = design(X, fit_intercept)
    n_rows, P = Xt.shape
    f = np.ones(n_rows) if s is None else s
    n = count(f)
    K = Y.shape[1]
    z = np.column_stack([np.zeros(n_rows), Xt @ coef.T])  # (N, K)
    q = softmax(z, axis=1)[:, 1:]  # (N, K-1)
    m = (K - 1) * P
    info = np.zeros((m, m))
    for j in range(K - 1):
        for k in range(j, K - 1):
            wjk = f * q[:, j] * ((j == k) - q[:, k])  # (N,)
            block = (Xt * wjk[:, None]).T @ Xt
            info[j * P : (j + 1) * P, k * P : (k + 1) * P] = block
            info[k * P : (k + 1) * P, j * P : (j + 1) * P] = block.T
    Iinv = _inverse(info)
    resid = Y[:, 1:] - q  # (N, K-1)
    scores = np.concatenate([Xt * resid[:, [k]] for k in range(K - 1)], axis=1)
    if cov_type == "nonrobust":
        cov = Iinv
    elif cov_type == "sandwich":
        cov = _softmax_sandwich(Xt, softmax(z, axis=1), l2, fit_intercept, f)
    else:
        meat = scores.T @ (scores * f[:, None])
        cov = Iinv @ meat @ Iinv
        if cov_type == "HC1":
            cov = cov * n / (n - m)
    ll = float(f @ np.sum(Y * log_softmax(z, axis=1), axis=1))
    return Estimates(
        coef, cov, "z", n, float(n - m), ll, m, {}, [],
        _step(Iinv @ (f @ scores), cov),
    )  # fmt: skip


def _softmax_sandwich(
    Xt: Array, Q: Array, l2: float, fit_intercept: bool, f: Array
) -> Array:
    """Cov of the contrasts under ``H⁻¹ I H⁻¹`` in all K classes' parameters."""
    n, P = Xt.shape
    K = Q.shape[1]
    info = np.zeros((K * P, K * P))
    for j in range(K):
        for k in range(K):
            wjk = f * Q[:, j] * ((j == k) - Q[:, k])
            info[j * P : (j + 1) * P, k * P : (k + 1) * P] = (Xt * wjk[:, None]).T @ Xt
    H = info + l2 * np.kron(np.eye(K), _weights_mask(P, fit_intercept))
    Hinv = np.linalg.pinv(H, hermitian=True)
    full = Hinv @ info @ Hinv
    C = np.zeros(((K - 1) * P, K * P))  # contrast k - 0
    for k in range(1, K):
        C[(k - 1) * P : k * P, k * P : (k + 1) * P] = np.eye(P)
        C[(k - 1) * P : k * P, :P] = -np.eye(P)
    return np.asarray(C @ full @ C.T)


def contrasts(coef: Array, intercept: Array, fit_intercept: bool) -> Array:
    """Softmax's K columns as K-1 identified contrasts against class 0 (K-1, P)."""
    theta = np.column_stack([intercept, coef]) if fit_intercept else coef  # (K, P)
    return np.asarray(theta[1:] - theta[0])


def labels01(y: ArrayLike, classes: Array) -> Array:
    """0/1 of y against ``classes[1]`` (the positive class)."""
    return np.asarray(np.asarray(y) == classes[1], dtype=np.float64)
