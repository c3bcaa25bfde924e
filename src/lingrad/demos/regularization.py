"""Regularisation: L1 vs L2 weight paths (textbook) and the L2-penalised logistic
regression of homework Problem 2."""

from __future__ import annotations

from typing import Any

import numpy as np

from lingrad import plot
from lingrad.data import datasets
from lingrad.data.datasets import Synthetic
from lingrad.models.linear import LinearRegression
from lingrad.models.logistic import LogisticRegression
from lingrad.solvers import normal_equation

from .common import DemoOutput, DemoRun, floats, true_W

ZERO = 1e-12  # |w| below this counts as exactly zero
LR_P2 = 4.0  # Problem 2's step on J = L / N (stable below 2 / λ_max(∇²J) ≈ 7)


def _paths(
    run: DemoRun, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Weights of L1- and L2-penalised least squares over a grid of alpha."""
    from sklearn.linear_model import Lasso

    n = run.pick(20, 5)
    alphas_l1, alphas_l2 = np.logspace(-2, 1, n), np.logspace(-2, 2, n)
    epochs = run.pick(400, 150)
    # lr = 0.9 / Lipschitz constant of the smooth part's gradient, 2 (λ_max + α)
    lam = float(np.linalg.eigvalsh(np.cov(X.T, bias=True)).max())
    coefs_l1, coefs_l2, lasso, ridge = [], [], [], []
    for a in alphas_l1:
        model = LinearRegression(
            solver="batch",
            penalty="l1",
            alpha=a,
            lr=0.45 / lam,
            max_iter=epochs,
            tol=None,
        ).fit(X, y)
        coefs_l1.append(model.coef_)
        # scikit-learn's Lasso minimises (1/2N)‖y − Xw − b‖² + a_s‖w‖₁: a_s = alpha / 2
        lasso.append(Lasso(alpha=a / 2, tol=1e-12, max_iter=100_000).fit(X, y).coef_)
    for a in alphas_l2:
        model = LinearRegression(
            solver="batch",
            penalty="l2",
            alpha=a,
            lr=0.45 / (lam + a),
            max_iter=epochs,
            tol=None,
        ).fit(X, y)
        coefs_l2.append(model.coef_)
        ridge.append(normal_equation(X, y, l2=a * len(X))[0])  # ‖·‖² + Nα‖w‖²
    return (
        alphas_l1,
        np.array(coefs_l1),
        np.array(lasso),
        alphas_l2,
        np.array(coefs_l2),
        np.array(ridge),
        epochs,
    )


def _problem2(
    run: DemoRun,
) -> tuple[
    Synthetic,
    LogisticRegression,
    LogisticRegression,
    LogisticRegression,
    Any,  # scikit-learn's LogisticRegression
    np.ndarray,
    np.ndarray,
]:
    """Problem 2: L(w) = Σ BCE(σ(wᵀx)) + ‖w‖², gradient descent vs Newton vs sklearn."""
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    data = datasets.logistic_nd(n=run.pick(1000, 200), n_features=3, seed=1)
    X, y = data.X, data.y
    N = len(X)
    common: dict[str, Any] = dict(penalty="l2", alpha=1.0 / N, fit_intercept=False)
    epochs = run.pick(300, 60)
    gd = LogisticRegression(
        solver="batch", lr=LR_P2, max_iter=epochs, tol=None, snapshot_every=1, **common
    ).fit(X, y)
    newton = LogisticRegression(solver="newton", tol=1e-12, **common).fit(X, y)
    plain = LogisticRegression(
        solver="batch",
        lr=LR_P2,
        max_iter=epochs,
        tol=None,
        penalty="none",
        fit_intercept=False,
    ).fit(X, y)
    sk = SkLogisticRegression(  # Newton too: tol = 1e-12 reachable on any BLAS
        C=0.5, fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=100
    )
    sk.fit(X, y)  # sklearn: C Σ BCE + ½‖w‖² = L / 2 at C = 1/2
    lambdas = np.logspace(-2, 3, run.pick(20, 5))  # L = Σ BCE + λ‖w‖², J = L / N
    path = [
        LogisticRegression(
            solver="newton", penalty="l2", alpha=lam / N, fit_intercept=False, tol=1e-12
        )
        .fit(X, y)
        .coef_.ravel()
        for lam in lambdas
    ]
    return data, gd, newton, plain, sk, lambdas, np.array(path)


def regularization(run: DemoRun) -> DemoOutput:
    """Textbook § Regularisation and homework Problem 2."""
    data = datasets.linear_nd(n=100, n_features=6, noise=1.0, seed=1)
    X, y = data.X, data.y
    a1, c1, lasso, a2, c2, ridge, epochs = _paths(run, X, y)
    run.stage("Problem 2: L2-penalised logistic regression")
    logit, gd, newton, plain, sk, lambdas, path = _problem2(run)
    w_gd, w_nt, w_sk = gd.coef_.ravel(), newton.coef_.ravel(), sk.coef_.ravel()

    run.stage("drawing figures")
    run.save(
        plot.plot_regularization_paths(a1, c1, c2, alphas_l2=a2),
        "regularization_paths.png",
        "L1 and L2 weight paths against α",
    )
    fig = plot.plot_regularization_path(
        lambdas, path, "l2", title="Problem 2: weights minimising Σ BCE + α‖w‖²"
    )
    fig.axes[0].axvline(1.0, color="black", ls=":", lw=1.5)
    fig.axes[0].text(
        1.05,
        0.02,
        "α = 1: the homework's L(w)",
        transform=fig.axes[0].get_xaxis_transform(),
        fontsize=11,
    )
    run.save(fig, "l2_logistic_path.png", "Problem 2: weights against the L2 strength")
    fig = plot.plot_history(
        gd.history_,
        kind="batch",
        optimum_W=w_nt,
        loss_label="J = (1/N)[Σ BCE + ‖w‖²]",
        title="Problem 2 by full-batch gradient descent",
    )
    run.save(
        fig,
        "l2_logistic_training.png",
        "Problem 2 by gradient descent; Newton's optimum dash-dot",
    )

    n_zero = (np.abs(c1) <= ZERO).sum(axis=1)
    names = [f"w{i + 1}" for i in range(3)]
    comparison = {
        "L1 path: max |GD − scikit-learn Lasso|": {
            "value": float(np.abs(c1 - lasso).max())
        },
        "L2 path: max |GD − closed-form ridge|": {
            "value": float(np.abs(c2 - ridge).max())
        },
    } | {
        f"Problem 2 {n}": {
            "gradient descent": w_gd[i],
            "Newton (exact)": w_nt[i],
            "scikit-learn": w_sk[i],
            "|GD − Newton|": abs(w_gd[i] - w_nt[i]),
        }
        for i, n in enumerate(names)
    }
    return DemoOutput(
        title="Regularisation: L1 vs L2 paths, and L2-penalised logistic regression",
        model="Least squares + α·‖w‖₁ or α·‖w‖²; logistic loss + ‖w‖² (Problem 2)",
        equation=(
            "Cost(w) = (1/N) Σ (y − xᵀw − b)² + α·Complexity(w)\n"
            "L1: Complexity = Σ|w_i|   (subgradient α·sign(w); proximal step → 0)\n"
            "L2: Complexity = Σ w_i²   (gradient 2α·w: weight decay)\n"
            "Problem 2: L(w) = Σ_i −y_i ln f_i − (1 − y_i) ln(1 − f_i) + ‖w‖²,  "
            "f_i = σ(wᵀx_i)\n"
            "∂L/∂w = Σ_i (f_i − y_i)·x_i + 2w,   w := w − η·∂L/∂w"
        ),
        data={
            "paths": "lingrad.data.datasets.linear_nd(n=100, n_features=6, noise=1.0, "
            "seed=1)",
            "Problem 2": f"lingrad.data.datasets.logistic_nd(n={len(logit.X)}, "
            "n_features=3, seed=1), no bias",
        },
        hyperparams={
            "L1 / L2 paths": f"LinearRegression(solver='batch'), {epochs} epochs per α",
            "α grid (L1)": [float(a1[0]), float(a1[-1])],
            "α grid (L2)": [float(a2[0]), float(a2[-1])],
            "Problem 2": f"LogisticRegression(solver='batch', lr={LR_P2:g}, "
            f"penalty='l2', alpha=1/N, fit_intercept=False), {gd.n_iter_} epochs",
        },
        metrics={
            "L1: weights exactly 0 at the largest α": int(n_zero[-1]),
            "L1: weights exactly 0 at the smallest α": int(n_zero[0]),
            "L2: weights exactly 0 at any α": int((np.abs(c2) <= ZERO).sum()),
            "Problem 2: ‖w‖ with the L2 penalty": float(np.linalg.norm(w_gd)),
            "Problem 2: ‖w‖ without it": float(np.linalg.norm(plain.coef_)),
            "Problem 2: accuracy": float(gd.score(logit.X, logit.y)),
        },
        parameters={f"Problem 2 {n}": float(w_gd[i]) for i, n in enumerate(names)},
        truth={"paths: true w": floats(true_W(data))},
        comparison=comparison,
        compared_with="scikit-learn's Lasso, the closed-form ridge, Newton's method "
        "(exact solver) and scikit-learn's LogisticRegression",
        notes=(
            "L1 drives weights to exactly zero one after another as α grows (a sparse "
            "model: those features are declared irrelevant); L2 shrinks every weight "
            "smoothly towards zero but never onto it. Problem 2's ‖w‖² adds 2w to the "
            "gradient, so each step first shrinks w by the factor (1 − 2η) (weight "
            "decay): the penalised weights are smaller than the unpenalised ones, and "
            "the optimum stays finite and unique even on separable data. Gradient "
            "descent, Newton's method and scikit-learn (C = 1/2) reach the same w. "
            "The J minimised here is L / N, so lr = η·N."
        ),
    )
