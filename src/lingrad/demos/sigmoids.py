"""Sigmoid outputs under other losses: squared error vs cross-entropy, and the bipolar
sigmoid of homework Problem 3."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from lingrad import plot
from lingrad.core.chain import Chain
from lingrad.core.gradcheck import check_formula
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.core.nodes import Affine, Sigmoid
from lingrad.data import datasets
from lingrad.models.bipolar import BipolarSigmoidClassifier
from lingrad.plot.style import new_figure
from lingrad.plot.surface import LossFn

from . import _figures
from .common import (
    DemoOutput,
    DemoRun,
    floats,
    hits_binary,
    lecture_b,
    lecture_W,
    train,
    true_W,
)

WRONG_START = (-4.0, 3.0)  # ŷ ≈ 0 where y = 1 and ≈ 1 where y = 0


def sigmoid_mse_surface(x: np.ndarray, y: np.ndarray) -> LossFn:
    """J(w, b) = mean_j ½ (σ(w x_j + b) − y_j)², vectorised over grids of w and b."""
    x, y = np.ravel(x), np.ravel(y)

    def J(w: np.ndarray, b: np.ndarray) -> np.ndarray:
        w, b = np.broadcast_arrays(np.asarray(w, float), np.asarray(b, float))
        total = np.zeros(w.shape)
        for x_j, y_j in zip(x, y, strict=True):
            total += 0.5 * (expit(w * x_j + b) - y_j) ** 2
        return total / len(x)

    return J


def mse_vs_bce(run: DemoRun) -> DemoOutput:
    """Lecture 7 / textbook: σ(xw + b) trained with ½(ŷ − y)² and with cross-entropy."""
    data = datasets.logistic_1d(n=run.pick(500, 200), seed=1)
    x, y = data.X[:, 0], np.asarray(data.y, np.float64)
    lr, epochs = 0.1, run.pick(5, 1)
    losses = {
        "cross-entropy": BinaryCrossEntropy(),
        "squared error": SquaredError(half=True),
    }
    starts = {
        "lecture's start": (lecture_W(data)[0, 0], lecture_b(data)[0]),
        "confidently wrong start": WRONG_START,
    }
    paths: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {n: {} for n in losses}
    tracks, rows = {}, {}
    J_bce, J_mse = plot.bce_surface(x, y), sigmoid_mse_surface(x, y)
    for name, loss in losses.items():
        for where, (w0, b0) in starts.items():
            chain = Chain([Affine(np.array([[w0]]), np.array([b0])), Sigmoid()])
            h = train(
                chain, loss, data.X, y, lr=lr, epochs=epochs, n_correct=hits_binary
            ).history
            steps, W, B = plot.param_tracks(h)
            paths[name][where] = (W.ravel(), B.ravel())
            tracks[f"{name}, {where}"] = (steps, h.accumulated_accuracy, W, B)
            w, b = float(W.ravel()[-1]), float(B.ravel()[-1])
            rows[f"{name}, {where}"] = {
                "w": w,
                "b": b,
                "boundary −b/w": -b / w,
                "accuracy": float(np.mean((expit(w * x + b) > 0.5) == y)),
                "BCE on the data": float(J_bce(w, b)),
                "½ squared error on the data": float(J_mse(np.array(w), np.array(b))),
            }

    run.stage("drawing figures")
    colors = _figures.run_colors(list(tracks))  # "loss, start" -> one colour
    every_w = np.concatenate([p[0] for d in paths.values() for p in d.values()])
    every_b = np.concatenate([p[1] for d in paths.values() for p in d.values()])
    w_range = (min(every_w.min(), -4.0) - 1, max(every_w.max(), 8.0) + 1)
    b_range = (min(every_b.min(), -6.0) - 1, max(every_b.max(), 4.0) + 1)
    fig = new_figure((17.0, 6.5))
    axes = fig.subplots(1, 2)
    for ax, (name, J_fn) in zip(
        axes, (("cross-entropy", J_bce), ("squared error", J_mse)), strict=True
    ):
        plot.plot_loss_surface(
            J_fn,
            w_range,
            b_range,
            paths={f"{name}, {where}": p for where, p in paths[name].items()},
            kind="contour",
            ax=ax,
            resolution=run.pick(100, 30),
            colors=colors,
        )
        ax.set_title(f"{name}: J(w, b) and the SGD paths", fontsize=15)
    run.save(fig, "surfaces.png", "Loss surfaces of both losses with the SGD paths")

    z = np.linspace(-8, 8, 400)
    p = expit(z)
    curves = _figures.plot_curves(
        {
            "cross-entropy: |∂J/∂z| = |ŷ − y|": (z, np.abs(p - 1)),
            "squared error: |∂J/∂z| = |(ŷ − y)·ŷ(1 − ŷ)|": (
                z,
                np.abs((p - 1) * p * (1 - p)),
            ),
        },
        xlabel="z = w·x + b (for an example with y = 1)",
        ylabel="|∂J/∂z|",
        title="Confidently wrong (z ≪ 0): the squared error's gradient vanishes",
    )
    run.save(
        curves, "gradients.png", "|∂J/∂z| of both losses for an example with y = 1"
    )

    fig = new_figure((15.0, 5.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    _figures.plot_curves(
        {n: (t[0], J_bce(t[2].ravel(), t[3].ravel())) for n, t in tracks.items()},
        xlabel="step (one example each)",
        ylabel="BCE on all the data",
        title="Cross-entropy along each path",
        ax=ax_loss,
        styles=("-", "--"),
        colors=colors,
        whole_x=True,
        logy=True,
    )
    _figures.plot_curves(
        {n: (np.arange(len(t[1])), t[1]) for n, t in tracks.items()},
        xlabel="step (one example each)",
        ylabel="accumulated accuracy",
        title="Accumulated accuracy",
        ax=ax_acc,
        styles=("-", "--"),
        colors=colors,
        whole_x=True,
    )
    run.save(
        fig, "training.png", "Cross-entropy and accumulated accuracy along each path"
    )
    return DemoOutput(
        title="Sigmoid output: squared error vs cross-entropy",
        model="ŷ = σ(w·x + b), trained once with ½(ŷ − y)² and once with cross-entropy",
        equation=(
            "squared error:  J = ½(ŷ − y)²,  ∂J/∂z = (ŷ − y)·ŷ(1 − ŷ)\n"
            "cross-entropy:  J = −[y log ŷ + (1 − y) log(1 − ŷ)],  ∂J/∂z = ŷ − y\n"
            "∂J/∂w = ∂J/∂z · x,  ∂J/∂b = ∂J/∂z"
        ),
        data={
            "generator": f"lingrad.data.datasets.logistic_1d(n={len(x)}, seed=1)",
            "description": data.description,
        },
        hyperparams={
            "solver": "per-sample SGD, data order",
            "lr": lr,
            "epochs": epochs,
            "starts (w, b)": {k: floats(v) for k, v in starts.items()},
        },
        metrics={f"{n}: accuracy": r["accuracy"] for n, r in rows.items()}
        | {f"{n}: BCE on the data": r["BCE on the data"] for n, r in rows.items()},
        parameters={n: {"w": r["w"], "b": r["b"]} for n, r in rows.items()},
        truth={"w": 5.0, "b": -3.0},
        comparison=rows,
        compared_with="each other: both losses from the same two starts",
        notes=(
            "Both losses are minimised by moving the boundary to the data, but the "
            "squared error of a sigmoid is not convex in (w, b): its surface has flat "
            "plateaus where ŷ saturates, and its gradient carries the extra factor "
            "ŷ(1 − ŷ), which vanishes exactly when the model is confidently wrong. "
            "Cross-entropy cancels that factor (∂J/∂z = ŷ − y) and its surface is a "
            "convex valley."
        ),
    )


def bipolar_sigmoid(run: DemoRun) -> DemoOutput:
    """Problem 3: f(x; w) = (1 − e^(−wᵀx)) / (1 + e^(−wᵀx)), L = ½ Σ (f − y)²."""
    data = datasets.bipolar(n=run.pick(200, 80), n_features=2, seed=0)
    X, y = data.X, np.asarray(data.y, dtype=np.float64)  # ±1 labels as floats
    N = len(X)
    lr, epochs = 2.0, run.pick(200, 40)  # on J = L / N: the homework's η = lr / N
    model = BipolarSigmoidClassifier(
        solver="batch",
        lr=lr,
        max_iter=epochs,
        tol=None,
        fit_intercept=False,
        snapshot_every=1,
    ).fit(X, y)
    h = model.history_
    w = model.coef_.ravel()

    def L(w: np.ndarray) -> float:
        return float(0.5 * np.sum((np.tanh(X @ w / 2) - y) ** 2))

    def dL_dw(w: np.ndarray) -> np.ndarray:  # Problem 3: Σ (f − y)(1 − f²)/2 · x
        f = np.tanh(X @ w / 2)
        return np.asarray(X.T @ ((f - y) * (1 - f**2) / 2))

    problem = model.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert chain is not None  # a fitted model's problem has its chain
    loss.forward(chain.forward(X), y[:, None])
    chain.backward(loss.backward())
    backprop = chain.grads["affine.W"].ravel() * N  # J is the mean: L = N·J
    formula = dL_dw(w)
    report = check_formula(L, dL_dw, w.copy(), name="dL/dw")
    cosine = float(
        w @ true_W(data).ravel() / np.linalg.norm(w) / np.linalg.norm(true_W(data))
    )
    f = np.tanh(X @ w / 2)

    run.stage("drawing figures")
    run.save(
        _figures.plot_bipolar_shape(),
        "bipolar_shape.png",
        "The bipolar sigmoid beside σ and tanh",
    )
    fig = plot.plot_decision_boundary(
        model,
        X,
        y,
        resolution=run.pick(200, 60),
        title="Boundary f(x; w) = 0 learned by gradient descent",
    )
    run.save(fig, "decision_boundary.png", "Boundary wᵀx = 0")
    fig = plot.plot_history(
        h,
        kind="batch",
        loss_label="J = L / N = ½ mean (f − y)²",
        title=f"Full-batch gradient descent (lr = {lr:g} on J = L / N)",
    )
    run.save(fig, "loss_params.png", "Loss per step and the weights")
    return DemoOutput(
        title="The bipolar sigmoid with squared error (homework Problem 3)",
        model="f(x; w) = (1 − e^(−wᵀx)) / (1 + e^(−wᵀx)) on labels y ∈ {−1, +1}",
        equation=(
            "f(x; w) = (1 − e^(−wᵀx)) / (1 + e^(−wᵀx)) = tanh(wᵀx / 2)\n"
            "L = ½ Σ_i (f(x_i; w) − y_i)²\n"
            "∂f/∂w = 2e^(−wᵀx) / (1 + e^(−wᵀx))² · x = ½(1 − f²)·x\n"
            "∂L/∂w = Σ_i (f_i − y_i) · ½(1 − f_i²) · x_i\n"
            "w := w − η·∂L/∂w"
        ),
        data={
            "generator": f"lingrad.data.datasets.bipolar(n={N}, n_features=2, seed=0)",
            "description": data.description,
        },
        hyperparams={
            "model": "BipolarSigmoidClassifier(solver='batch', fit_intercept=False)",
            "lr on J = L / N": lr,
            "the homework's η = lr / N": lr / N,
            "epochs": epochs,
            "start": "w = 0",
        },
        metrics={
            "final loss L": L(w),
            "accuracy (sign f = y)": float(np.mean(np.sign(f) == y)),
            "cos(w, true w)": cosine,
            "gradient check: relative error": float(report.entries[0].rel_err),
        },
        parameters={"w1": float(w[0]), "w2": float(w[1])},
        truth={"direction of w (any positive multiple)": floats(true_W(data))},
        compared_with="the homework's formula and finite differences (no closed "
        "form exists for this loss)",
        comparison={
            f"∂L/∂w{i + 1}": {
                "backprop (Affine → BipolarSigmoid)": backprop[i],
                "Problem 3 formula": formula[i],
                "|difference|": abs(backprop[i] - formula[i]),
            }
            for i in range(2)
        },
        notes=(
            "No closed form exists for this loss; the check is on the derivative: "
            "the gradient that lingrad backpropagates through its BipolarSigmoid node "
            "equals the homework's formula, and both match central finite differences "
            "(lingrad.gradcheck.check_formula). The labels are separable, so the loss "
            "keeps falling as w grows along the true direction."
        ),
    )
