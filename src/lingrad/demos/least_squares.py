"""Least squares beyond the lecture's loop: three ways to batch the gradient on the
loss surface, and the normal equation as the Gaussian maximum likelihood."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score

from lingrad import plot
from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.data import datasets
from lingrad.models.linear import LinearRegression
from lingrad.solvers import normal_equation

from . import _figures
from .common import (
    DemoOutput,
    DemoRun,
    compare,
    lecture_b,
    lecture_W,
    train,
    true_b,
    true_W,
)


def gd_variants(run: DemoRun) -> DemoOutput:
    """Per-sample vs minibatch vs full-batch descent, same lr and number of updates."""
    data = datasets.linear_1d(n=100, noise=1.0, seed=1)
    x, y = data.X[:, 0], np.asarray(data.y, dtype=np.float64)  # the same array
    W_opt, b_opt_array, _ = normal_equation(data.X, y)
    w_opt, b_opt = float(W_opt[0]), float(b_opt_array)
    lr, S, m = 0.05, run.pick(200, 100), 10
    variants = {
        "per-sample SGD (m = 1)": (1, S // len(x)),
        f"minibatch (m = {m})": (m, S * m // len(x)),
        "full batch (m = N)": (None, S),
    }
    J_fn = plot.mse_surface(x, y)
    paths, curves, rows, final = {}, {}, {}, {}
    for name, (batch_size, epochs) in variants.items():
        chain = Chain([Affine(lecture_W(data).copy(), lecture_b(data).copy())])
        trainer = train(
            chain,
            SquaredError(),
            data.X,
            y,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=True,
            random_state=1,
        )
        steps, W, B = plot.param_tracks(trainer.history)
        paths[name] = (W.ravel(), B.ravel())
        curves[name] = (steps, J_fn(W.ravel(), B.ravel()))
        w, b = float(W.ravel()[-1]), float(B.ravel()[-1])
        final[name] = (w, b)
        rows[name] = {
            "epochs": epochs,
            "updates": len(steps) - 1,
            "examples seen": (len(steps) - 1) * (batch_size or len(x)),
            "w": w,
            "b": b,
            "J(w, b)": float(J_fn(w, b)),
            "distance to optimum": float(np.hypot(w - w_opt, b - b_opt)),
        }
    rows["normal equation"] = {"w": w_opt, "b": b_opt}
    rows["normal equation"]["J(w, b)"] = float(J_fn(w_opt, b_opt))

    run.stage("drawing figures")
    colors = _figures.run_colors(list(variants))  # one colour per run, both figures
    every = np.concatenate([np.r_[p[0], w_opt] for p in paths.values()])
    bvals = np.concatenate([np.r_[p[1], b_opt] for p in paths.values()])
    pad_w, pad_b = 0.15 * np.ptp(every) + 0.5, 0.15 * np.ptp(bvals) + 0.5
    fig = plot.plot_loss_surface(
        J_fn,
        (every.min() - pad_w, every.max() + pad_w),
        (bvals.min() - pad_b, bvals.max() + pad_b),
        paths=paths,
        optimum=(w_opt, b_opt),
        resolution=run.pick(120, 40),
        colors=colors,
    )
    run.save(fig, "loss_surface.png", "J(w, b) with the three descent paths")
    fig = _figures.plot_curves(
        curves,
        xlabel="update step",
        ylabel="J(w, b) on all the data",
        title=f"Loss after each update (lr = {lr}, {S} updates each)",
        hline=(float(J_fn(w_opt, b_opt)), "normal-equation optimum"),
        logy=True,
        colors=colors,
        whole_x=True,
    )
    run.save(fig, "loss_curves.png", "J on all the data after each update")
    return DemoOutput(
        title="Per-sample vs minibatch vs batch gradient descent",
        model="Linear regression ŷ = w·x + b, three ways to sum the gradient",
        equation=(
            "J = (1/m) Σ_{i in batch} (y_i − ŷ_i)²\n"
            "∂J/∂w = −(2/m) Σ x_i (y_i − ŷ_i),  ∂J/∂b = −(2/m) Σ (y_i − ŷ_i)\n"
            "m = 1: per-sample SGD;  1 < m < N: minibatch;  m = N: batch\n"
            "optimum: normal equation w* = (XᵀX)⁻¹Xᵀy (with a column of ones for b)"
        ),
        data={
            "generator": "lingrad.datasets.linear_1d(n=100, noise=1.0, seed=1)",
            "description": data.description,
            "samples": len(x),
        },
        hyperparams={
            "lr": lr,
            "updates per variant": S,
            "minibatch size": m,
            "shuffle": "every epoch (seed 1)",
            "start": "the lecture's initial w, b",
        },
        metrics={
            f"{name}: distance to optimum": row["distance to optimum"]
            for name, row in rows.items()
            if "distance to optimum" in row
        },
        parameters={name: {"w": w, "b": b} for name, (w, b) in final.items()},
        truth={"w": 5.0, "b": -3.0},
        comparison=rows,
        compared_with="the closed form (normal equation)",
        notes=(
            "The same learning rate and the same number of updates for all three: "
            "the full batch walks a smooth path straight down the bowl; per-sample "
            "steps follow one noisy example at a time and jitter around the optimum; "
            "a minibatch averages m examples and sits in between. Per update, batch "
            "descent reads all N examples, SGD only one."
        ),
    )


def normal_equation_demo(run: DemoRun) -> DemoOutput:
    """Problem 4: the Gaussian MLE is least squares; normal equation vs descent."""
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    data = datasets.linear_nd(n=100, n_features=3, noise=1.0, seed=1)
    X, y = data.X, data.y
    N, D = X.shape
    lr, epochs = 0.1, run.pick(300, 150)
    closed = LinearRegression(solver="normal").fit(X, y)
    gd = LinearRegression(
        solver="batch", lr=lr, max_iter=epochs, tol=None, snapshot_every=1
    ).fit(X, y)
    W_ne, b_ne, info = closed.coef_, float(closed.intercept_), closed.solver_info_
    W_gd, b_gd, h = gd.coef_, float(gd.intercept_), gd.history_
    sk = SkLinearRegression().fit(X, y)

    def sse(W: np.ndarray, b: float) -> float:
        return float(np.sum((y - X @ W - b) ** 2))

    sigma2 = sse(W_ne, b_ne) / N  # the MLE of the noise variance

    def log_p(W: np.ndarray, b: float) -> float:
        return float(-0.5 * N * np.log(2 * np.pi * sigma2) - sse(W, b) / (2 * sigma2))

    run.stage("drawing figures")
    fig = plot.plot_history(
        h,
        kind="batch",
        true_W=data.true_W,
        true_b=data.true_b,
        optimum_W=W_ne,
        optimum_b=b_ne,
        true_label="true value (the noise keeps the optimum off it)",
        loss_label="mean squared error J",
        title=f"Batch gradient descent (lr = {lr}) reaching the normal equation",
    )
    run.save(
        fig, "loss_params.png", "Batch descent reaching the normal equation (dash-dot)"
    )
    values = W_ne[0] + np.linspace(-1.5, 1.5, 121)
    trial = [np.r_[v, W_ne[1:]] for v in values]
    fig = _figures.plot_likelihood_slice(
        values,
        [log_p(W, b_ne) for W in trial],
        [sse(W, b_ne) for W in trial],
        float(W_ne[0]),
        "w1",
        sigma2,
    )
    run.save(fig, "likelihood.png", "ln P and the squared error along w1")

    names = [f"w{i + 1}" for i in range(D)] + ["b"]
    table = np.column_stack(
        [
            np.r_[W_ne, b_ne],
            np.r_[W_gd, b_gd],
            np.r_[sk.coef_, sk.intercept_],
            np.r_[true_W(data).ravel(), true_b(data)],
        ]
    )
    cols = ["normal equation", "gradient descent", "scikit-learn", "truth"]
    rows = {
        n: dict(zip(cols, map(float, table[i]), strict=True))
        for i, n in enumerate(names)
    }
    return DemoOutput(
        title="Gaussian maximum likelihood = least squares (homework Problem 4)",
        model="Linear model ŷ = xᵀw + b with Gaussian noise y ~ N(xᵀw + b, σ²)",
        equation=(
            "P = Π_i (2πσ²)^(−1/2) exp(−(y_i − xᵢᵀw)² / (2σ²))\n"
            "ln P = −(N/2) ln(2πσ²) − (1/(2σ²)) Σ_i (y_i − xᵢᵀw)²\n"
            "argmax_w ln P = argmin_w Σ_i (y_i − xᵢᵀw)²   (σ² does not move the peak)\n"
            "∂/∂w = 0  ⇒  XᵀX w = Xᵀy  ⇒  w* = (XᵀX)⁻¹ Xᵀy   (normal equation)\n"
            "σ̂² = (1/N) Σ_i (y_i − xᵢᵀw*)²"
        ),
        data={
            "generator": "lingrad.datasets.linear_nd(n=100, n_features=3, "
            "noise=1.0, seed=1)",
            "samples": N,
            "features": D,
            "noise standard deviation": 1.0,
            "cond(XᵀX)": info["condition_number"],
        },
        hyperparams={
            "closed form": "LinearRegression(solver='normal'): "
            "lingrad.solvers.normal_equation (QR + SVD, no inverse)",
            "gradient descent": f"LinearRegression(solver='batch'), lr = {lr}, "
            f"{epochs} epochs",
            "start": "w = 0, b = 0",
        },
        metrics={
            "max |GD − normal equation|": float(
                np.abs(table[:, 1] - table[:, 0]).max()
            ),
            "max |scikit-learn − normal equation|": float(
                np.abs(table[:, 2] - table[:, 0]).max()
            ),
            "σ̂² (MLE of the noise variance)": sigma2,
            "max ln P": log_p(W_ne, b_ne),
            "final loss J (mean squared error)": sse(W_gd, b_gd) / N,
            "R²": r2_score(y, X @ W_gd + b_gd),
        },
        parameters=dict(zip(names, map(float, np.r_[W_gd, b_gd]), strict=True)),
        truth=dict(zip(names, map(float, table[:, 3]), strict=True)),
        comparison=compare(rows, "gradient descent", "normal equation"),
        compared_with="the normal equation (closed form) and scikit-learn's "
        "LinearRegression",
        notes=(
            "With noise, the optimum is not the truth: the normal equation, gradient "
            "descent and scikit-learn agree on the least-squares w*, which differs "
            "from the generating weights by the noise's share. The likelihood figure "
            "varies w1 with the others held at w*: ln P peaks exactly where the "
            "squared error bottoms out."
        ),
    )
