"""NIST StRD linear regression: correct digits (LRE) of four solvers, set by set.

For each set of ``tests/data/nist`` (data and certified values as NIST
publishes them): the minimum log relative error ``-log10(|est - cert| /
|cert|)`` over the coefficients (``-log10 |est|`` where the certified value
is 0; capped at 15) of scikit-learn's ``LinearRegression``, statsmodels'
``OLS``, NumPy's ``lstsq`` and lingrad's ``LinearRegression`` (normal), and
for statsmodels and lingrad also over the certified standard deviations, the
residual standard deviation and R² (``sd/σ/R²``).

Run: ``python bench/bench_nist.py``.
"""

from __future__ import annotations

import platform
import warnings
from pathlib import Path

import numpy as np
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.linear_model import LinearRegression as SkLinearRegression

from lingrad.models.linear import LinearRegression

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "nist"
SETS = ["Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley",
        "Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5"]  # fmt: skip


def read(name: str) -> dict:
    """Model, certified values (coef, sd), residual sd, R², X and y as doubles."""
    doc: dict = {"certified": [], "rows": []}
    for line in (DATA / f"{name}.dat").read_text().splitlines():
        if line.startswith("#"):
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            if key == "certified":
                doc["certified"].append([float(v) for v in value.split()[1:]])
            else:
                doc[key] = value.split()
        else:
            doc["rows"].append([float(v) for v in line.split()])
    rows = np.array(doc["rows"])
    model = doc["model"]
    if model[0] == "polynomial":
        doc["X"] = rows[:, [1]] ** np.arange(1, int(model[1]) + 1)
    else:
        doc["X"] = rows[:, 1:]
    doc["y"], doc["intercept"] = rows[:, 0], "nointercept" not in model
    return doc


def lre(estimate, certified) -> float:
    est = np.atleast_1d(np.asarray(estimate, dtype=np.float64))
    cert = np.atleast_1d(np.asarray(certified, dtype=np.float64))
    scale = np.where(cert != 0, np.abs(cert), 1.0)
    err = np.abs(est - cert) / scale
    return float(np.min(-np.log10(np.maximum(err, 1e-15))))


def digits(doc: dict) -> dict[str, str]:
    """LRE of each solver: coefficients, and ``coef / sd,σ,R²`` where reported."""
    X, y, icpt = doc["X"], doc["y"], doc["intercept"]
    cert = np.array(doc["certified"])
    b, sd = cert[:, 0], cert[:, 1]
    sigma, r2 = float(doc["residual_sd"][0]), float(doc["r2"][0])
    Xt = np.column_stack([np.ones(len(X)), X]) if icpt else X
    out: dict[str, str] = {}
    sk = SkLinearRegression(fit_intercept=icpt).fit(X, y)
    out["scikit-learn"] = (
        f"{lre(np.r_[sk.intercept_, sk.coef_] if icpt else sk.coef_, b):.1f}"
    )
    ols = sm.OLS(y, Xt).fit()
    stats = min(lre(ols.bse, sd), lre(np.sqrt(ols.scale), sigma), lre(ols.rsquared, r2))
    out["statsmodels"] = f"{lre(ols.params, b):.1f} / {stats:.1f}"
    out["numpy lstsq"] = f"{lre(np.linalg.lstsq(Xt, y, rcond=None)[0], b):.1f}"
    s = LinearRegression(fit_intercept=icpt).fit(X, y).summary(X, y)
    stats = min(lre(s.se, sd), lre(s.sigma, sigma), lre(s.r2, r2))
    out["lingrad"] = f"{lre(s.coef, b):.1f} / {stats:.1f}"
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    print("NIST StRD linear regression: LRE (correct digits), coefficients / sd,σ,R²")
    print(
        f"machine: {platform.machine()}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, statsmodels {statsmodels.__version__}\n"
    )
    cols = ["scikit-learn", "statsmodels", "numpy lstsq", "lingrad"]
    print(f"{'set':<10}" + "".join(f"{c:>15}" for c in cols))
    print("-" * (10 + 15 * len(cols)))
    for name in SETS:
        row = digits(read(name))
        print(f"{name:<10}" + "".join(f"{row[c]:>15}" for c in cols))


if __name__ == "__main__":
    main()
