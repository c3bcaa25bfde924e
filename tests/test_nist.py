"""NIST StRD linear regression: every set to the digits the method promises.

``tests/data/nist/<Set>.dat`` hold NIST's data and certified values as NIST
publishes them (Norris, Pontius, NoInt1, NoInt2, Filip, Longley,
Wampler1-5). The certified values are the exact least-squares solution of the
decimal data: :func:`exact` recomputes them in rational arithmetic
(``Fraction``) and the typed values must agree to 1e-13, so a mistyped digit
of data or certificate fails here.

Digits are NIST's log relative error ``LRE = -log10(|est - cert| / |cert|)``
(``-log10 |est|`` where the certified value is 0), capped at 15. The promise:
coefficients, their standard deviations, the residual standard deviation and
R² to at least 7 digits on every set, Filip included (its data read into
doubles carries about 7.6). No test asserts more than the method promises:
the digits beyond depend on the BLAS kernel (AVX-512 vs Haswell move them).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from lingrad.models.linear import LinearRegression
from lingrad.solvers import IllConditionedWarning, normal_equation

DATA = Path(__file__).parent / "data" / "nist"
SETS = ["Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley",
        "Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5"]  # fmt: skip
PROMISE = 7.0  # digits, every set, every certified quantity


def read(name: str) -> dict:
    """The set's model, certified values and data (as Fractions of the decimals)."""
    out: dict = {"certified": [], "rows": []}
    for line in (DATA / f"{name}.dat").read_text().splitlines():
        if line.startswith("#"):
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            if key == "certified":
                out["certified"].append([Fraction(v) for v in value.split()[1:]])
            else:
                out[key] = value.split()
        else:
            out["rows"].append([Fraction(v) for v in line.split()])
    model = out["model"]
    out["intercept"] = "nointercept" not in model
    degree = int(model[1])
    y = [r[0] for r in out["rows"]]
    if model[0] == "polynomial":  # x, x², ..., x^degree
        X = [[r[1] ** p for p in range(1, degree + 1)] for r in out["rows"]]
    else:
        X = [r[1:] for r in out["rows"]]
    out["X"], out["y"] = X, y
    return out


def _inverse(M: list[list[Fraction]]) -> list[list[Fraction]]:
    """Gauss-Jordan in rationals."""
    P = len(M)
    A = [row[:] + [Fraction(int(i == j)) for j in range(P)] for i, row in enumerate(M)]
    for c in range(P):
        pivot = next(r for r in range(c, P) if A[r][c] != 0)
        A[c], A[pivot] = A[pivot], A[c]
        A[c] = [v / A[c][c] for v in A[c]]
        for r in range(P):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                A[r] = [u - f * v for u, v in zip(A[r], A[c], strict=True)]
    return [row[P:] for row in A]


def _sqrt(q: Fraction) -> float:
    return math.isqrt(q.numerator * 10**60 // q.denominator) / 1e30


def exact(data: dict) -> tuple[list[float], list[float], float, float]:
    """Coefficients, their sd, residual sd and R² of the decimal data, exactly."""
    icpt = data["intercept"]
    A = [([Fraction(1)] if icpt else []) + row for row in data["X"]]
    y = data["y"]
    n, P = len(A), len(A[0])
    V = _inverse([[sum(a[i] * a[j] for a in A) for j in range(P)] for i in range(P)])
    Aty = [sum(a[i] * v for a, v in zip(A, y, strict=True)) for i in range(P)]
    beta = [sum(V[i][j] * Aty[j] for j in range(P)) for i in range(P)]
    ssr = sum((v - sum(b * x for b, x in zip(beta, a, strict=True))) ** 2
              for a, v in zip(A, y, strict=True))  # fmt: skip
    s2 = ssr / (n - P)
    ybar = sum(y) / n if icpt else Fraction(0)
    r2 = 1 - ssr / sum((v - ybar) ** 2 for v in y)
    sd = [_sqrt(s2 * V[i][i]) for i in range(P)]
    return [float(b) for b in beta], sd, _sqrt(s2), float(r2)


def lre(estimate, certified) -> float:
    """NIST's LRE, the minimum over the entries (15 when exact)."""
    est = np.atleast_1d(np.asarray(estimate, dtype=np.float64))
    cert = np.atleast_1d(np.asarray(certified, dtype=np.float64))
    err = np.where(cert != 0, np.abs(est - cert) / np.where(cert != 0, np.abs(cert), 1),
                   np.abs(est))  # fmt: skip
    return float(np.min(-np.log10(np.maximum(err, 1e-15))))


def doubles(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """The data as a user reads it: decimals to doubles, then the powers."""
    x = np.array([[float(v) for v in r[1:]] for r in data["rows"]])
    if data["model"][0] == "polynomial":
        X = x[:, [0]] ** np.arange(1, int(data["model"][1]) + 1)
    else:
        X = x
    return X, np.array([float(v) for v in data["y"]])


@pytest.mark.parametrize("name", SETS)
def test_typed_certified_values_are_the_exact_solution_of_the_typed_data(name):
    data = read(name)
    beta, sd, sigma, r2 = exact(data)
    cert_b = [float(c[0]) for c in data["certified"]]
    cert_sd = [float(c[1]) for c in data["certified"]]
    assert lre(beta, cert_b) >= 13
    assert lre(sd, cert_sd) >= 13
    assert lre(sigma, float(Fraction(data["residual_sd"][0]))) >= 13
    assert lre(r2, float(Fraction(data["r2"][0]))) >= 13


def _fit(name: str):
    data = read(name)
    X, y = doubles(data)
    with warnings.catch_warnings(record=True) as caught:  # ill-conditioned: says so
        warnings.simplefilter("always")
        model = LinearRegression(fit_intercept=data["intercept"]).fit(X, y)
        summary = model.summary(X, y)
    assert all(issubclass(w.category, IllConditionedWarning) for w in caught)
    return data, model, summary


@pytest.mark.parametrize("name", SETS)
def test_every_certified_value_to_seven_digits(name):
    data, model, s = _fit(name)
    cert = data["certified"]
    assert lre(s.coef, [float(c[0]) for c in cert]) >= PROMISE
    assert lre(s.se, [float(c[1]) for c in cert]) >= PROMISE
    assert lre(s.sigma, float(Fraction(data["residual_sd"][0]))) >= PROMISE
    assert lre(s.r2, float(Fraction(data["r2"][0]))) >= PROMISE


@pytest.mark.parametrize("name", ["Filip", "Wampler4", "Wampler5"])
def test_hardest_sets_take_the_refined_route(name):
    data, model, _ = _fit(name)
    info = model.solver_info_
    assert "refinement" in info["method"]
    assert info["rank"] == len(data["certified"]) - 1  # Filip: full rank, not 9


@pytest.mark.parametrize("name", ["Longley", "Wampler1", "Wampler2", "Filip"])
@pytest.mark.parametrize("chunk_rows", [None, 1, 5])
def test_normal_equation_keeps_the_promise_in_chunks(name, chunk_rows):
    """In-memory rows refine whatever the chunking (Filip included)."""
    data = read(name)
    X, y = doubles(data)
    with pytest.warns(IllConditionedWarning):  # cond(XᵀX) > 1e10: it says so
        w, b, info = normal_equation(X, y, chunk_rows=chunk_rows)
    assert "QR" in info["method"]
    assert lre(np.r_[b, w], [float(c[0]) for c in data["certified"]]) >= PROMISE


def test_well_conditioned_sets_keep_the_fast_cholesky_route():
    for name in ["Norris", "Pontius", "NoInt1", "NoInt2"]:
        data = read(name)
        X, y = doubles(data)
        model = LinearRegression(fit_intercept=data["intercept"]).fit(X, y)
        assert model.solver_info_["method"].startswith("Cholesky"), name
