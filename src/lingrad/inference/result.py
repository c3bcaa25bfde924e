"""The Summary: coefficients, standard errors, tests and intervals of a fitted model.

``se = √diag(Cov)``, ``statistic = coef / se`` (t with ``df_resid`` degrees of
freedom for least squares' nonrobust covariance, else z), ``p_value = 2 P(T >
|statistic|)``, ``ci = coef ± q_{(1+level)/2} se``; ``aic = -2ℓ + 2k``,
``bic = -2ℓ + k log n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
from scipy import stats

from lingrad.core.nodes import Array
from lingrad.inference.covariance import Estimates


class Row(TypedDict):
    """One coefficient of a :class:`Summary` (``Summary.rows()``)."""

    equation: str | None
    name: str
    coef: float
    se: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass
class Summary:
    """Inference for a fitted linear, logistic or softmax model (intercept first).

    Arrays are (P,) for one equation, (K-1, P) for softmax (one row per class
    against the first class, ``equations``); ``cov`` is (m, m) over the
    coefficients in that order. ``str()`` is a table, ``to_dict()`` plain JSON.
    """

    model: str
    names: list[str]
    coef: Array
    se: Array
    statistic: Array
    p_value: Array
    ci_low: Array
    ci_high: Array
    cov: Array
    level: float
    cov_type: str
    dist: str
    n_obs: int | float
    df_resid: float
    log_likelihood: float
    aic: float
    bic: float
    equations: list[str] | None = None
    sigma: float | None = None
    r2: float | None = None
    r2_adj: float | None = None
    f_statistic: float | None = None
    f_p_value: float | None = None
    not_identified: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        from lingrad.inference.format import text

        return text(self)

    def _repr_html_(self) -> str:
        from lingrad.inference.format import html

        return html(self)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON types: lists of floats (NaN as None), strings, numbers."""
        from lingrad.inference.format import as_dict

        return as_dict(self)

    def rows(self) -> list[Row]:
        """One dict per coefficient: equation, name, coef, se, ..., ci_high."""
        out = []
        eqs: list[str | None] = [None]
        if self.equations:
            eqs = list(self.equations)
        for e, eq in enumerate(eqs):
            for j, name in enumerate(self.names):
                at = (e, j) if self.equations else (j,)
                c, se, t, p, lo, hi = (
                    float(a[at]) for a in (self.coef, self.se, self.statistic,
                                           self.p_value, self.ci_low, self.ci_high)
                )  # fmt: skip
                out.append(Row(equation=eq, name=name, coef=c, se=se, statistic=t,
                               p_value=p, ci_low=lo, ci_high=hi))  # fmt: skip
        return out


def build(
    est: Estimates,
    model: str,
    names: list[str],
    level: float,
    cov_type: str,
    equations: list[str] | None = None,
) -> Summary:
    """Tests and intervals from θ̂ and its covariance."""
    shape = est.coef.shape
    se = np.sqrt(np.maximum(np.diag(est.cov), 0.0)).reshape(shape)
    dead = np.zeros(shape[-1], bool)
    dead[est.not_identified] = True
    se = np.where(np.broadcast_to(dead, shape), np.nan, se)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = est.coef / se
    ref = stats.t(est.df_resid) if est.dist == "t" else stats.norm()  # scipy's
    p_value = 2 * ref.sf(np.abs(statistic))
    q = float(ref.ppf(0.5 + level / 2))
    notes = []
    if est.not_identified:
        gone = ", ".join(names[j] for j in est.not_identified)
        notes.append(
            f"not identified: {gone} (linear combinations of the other columns), "
            "shown as NaN. The other rows are the model without them (the same "
            "fitted values, in the kept columns): their estimates, se and "
            "tests hold only with those columns dropped, and any one of the "
            "dependent columns could have been dropped instead."
        )
    if est.newton_step > 1e-3:
        notes.append(
            f"the fit is not at the optimum: one Newton step moves a coefficient by "
            f"{est.newton_step:.2g} standard errors; refit with a smaller tol "
            "(or solver='newton' / 'normal'), or pass summary the sample_weight "
            "the model was fitted with."
        )
    if cov_type == "sandwich":
        notes.append(
            "L2-penalised fit: sandwich covariance H⁻¹ I H⁻¹ (H = I + λP) around the "
            "penalised estimate, which is biased towards 0; intervals are approximate."
        )
    k = est.k_params
    out = Summary(
        model=model, names=names, coef=est.coef, se=se, statistic=statistic,
        p_value=p_value, ci_low=est.coef - q * se, ci_high=est.coef + q * se,
        cov=est.cov, level=level, cov_type=cov_type, dist=est.dist,
        n_obs=est.n_obs, df_resid=est.df_resid,
        log_likelihood=est.log_likelihood,
        aic=-2 * est.log_likelihood + 2 * k,
        bic=-2 * est.log_likelihood + k * np.log(est.n_obs),
        equations=equations,
        not_identified=[names[j] for j in est.not_identified], notes=notes,
    )  # fmt: skip
    for key in ("sigma", "r2", "r2_adj", "f_statistic", "f_p_value"):
        if key in est.scalars:
            setattr(out, key, float(est.scalars[key]))
    return out
