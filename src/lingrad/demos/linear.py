"""Linear regression as lecture 4 runs it: per-sample SGD, one and three features."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score

from lingrad import plot
from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.data import datasets
from lingrad.solvers import normal_equation
from lingrad.training.history import History

from . import _listings
from .common import (
    DemoOutput,
    DemoRun,
    compare,
    floats,
    lecture_b,
    lecture_W,
    train,
    true_b,
    true_W,
    values,
)

SGD_EQUATION = (
    "ŷ = xᵀw + b                      (forward propagation)\n"
    "J = (y − ŷ)²                     (per-sample squared error)\n"
    "∂J/∂ŷ = −2(y − ŷ),  ∂ŷ/∂w = xᵀ,  ∂ŷ/∂b = 1   (local Jacobians)\n"
    "∂J/∂w = −2(y − ŷ)·xᵀ,  ∂J/∂b = −2(y − ŷ)       (backpropagation)\n"
    "w := w − lr·(∂J/∂w)ᵀ,  b := b − lr·∂J/∂b       (update)"
)
LISTING_1D_UPDATE = (
    "the listing's update:  w = w − 2·lr·dJ_dw,  b = b − 2·lr·dJ_db   "
    "(dJ_dw = −2(y − ŷ)·x already holds the 2)"
)


def _lecture_loop(data: datasets.Synthetic, step: float) -> tuple[Chain, History]:
    """One epoch of per-sample SGD in data order from the lecture's initial w, b,
    each update ``p := p − step·dJ_dp`` (lingrad's GD with lr = ``step``)."""
    chain = Chain([Affine(lecture_W(data).copy(), lecture_b(data).copy())])
    y = np.asarray(data.y, np.float64)
    trainer = train(chain, SquaredError(), data.X, y, lr=step, epochs=1)
    return chain, trainer.history


def linear_1d(run: DemoRun) -> DemoOutput:
    """Lecture 4, Linear Regression (1 Feature): y = 5x − 3, 100 points, lr 0.01.

    The listing updates ``w = w − 2*lr*dJ_dw`` with ``dJ_dw`` already holding the
    2 of ∂J/∂ŷ: a step of 2·lr = 0.02 on the gradient. That is the default run;
    ``run.corrected`` takes the derivation's ``w := w − lr·∂J/∂w`` instead.
    """
    data = datasets.linear_1d(n=100, t_w=5, t_b=-3, seed=1)
    lr = 0.01
    step = lr if run.corrected else 2 * lr  # what multiplies dJ_dw in the update
    chain, h = _lecture_loop(data, step)
    w, b = float(chain.params["affine.W"][0, 0]), float(chain.params["affine.b"][0])
    x, y = data.X[:, 0], np.asarray(data.y, dtype=np.float64)  # the same array
    N = len(x)
    # the textbook's univariate closed form, and the normal equation (QR + SVD)
    w_book = (N * (x @ y) - x.sum() * y.sum()) / (N * (x @ x) - x.sum() ** 2)
    b_book = (y.sum() - w_book * x.sum()) / N
    W_ne, b_ne_array, _ = normal_equation(data.X, y)
    w_ne, b_ne = float(W_ne[0]), float(b_ne_array)
    pred = chain.forward(data.X)
    w_ref, b_ref, _ = _listings.linear_1d(
        x, y, float(lecture_W(data)[0, 0]), float(lecture_b(data)[0]), lr
    )

    run.stage("drawing figures")
    steps, W, B = plot.param_tracks(h)
    run.save(
        plot.plot_fit_evolution(data.X, y, W, B, "linear", steps=steps),
        "fit.png",
        "The fitted line after every step (violet: start, red: end)",
    )
    fig = plot.plot_loss_and_params(
        h.step_loss,
        W,
        B,
        steps=steps,
        true_W=5.0,
        true_b=-3.0,
        optimum_W=w_ne,
        optimum_b=b_ne,
        kind="sample",
        loss_label="squared error J = (y − ŷ)²",
        title=f"Per-sample SGD, w := w − {step:g}·∂J/∂w ("
        + ("corrected: lr·∂J/∂w" if run.corrected else "the listing's 2·lr·dJ_dw")
        + ")",
    )
    run.save(fig, "loss_params.png", "Loss per step; w and b against the truth")
    frames = run.pick(40, 5)
    run.animate(
        "fit.gif",
        "The line moving to the data, step by step",
        lambda p: plot.animate_fit(
            data.X, y, W, B, "linear", p, frames=frames, steps=steps
        ),
    )
    J = float(np.mean((y - pred.ravel()) ** 2))
    rows = {
        "w": {
            "SGD": w,
            "lecture's NumPy loop": float(w_ref),
            "closed form": w_ne,
            "textbook formula": w_book,
            "truth": 5.0,
        },
        "b": {
            "SGD": b,
            "lecture's NumPy loop": float(b_ref),
            "closed form": b_ne,
            "textbook formula": b_book,
            "truth": -3.0,
        },
    }
    return DemoOutput(
        title="Linear regression, one feature: per-sample SGD (lecture 4)",
        model="Linear regression ŷ = w·x + b trained by per-sample gradient descent",
        equation=SGD_EQUATION,
        data={
            "generator": "lingrad.datasets.linear_1d(n=100, t_w=5, t_b=-3, seed=1)",
            "description": data.description,
            "samples": N,
            "features": 1,
            "initial w, b (lecture's uniform(−3, 3) draw)": floats(
                [lecture_W(data)[0, 0], lecture_b(data)[0]]
            ),
        },
        hyperparams={
            "solver": "per-sample SGD (batch_size = 1), data order, no shuffle",
            "lr (the listing's)": lr,
            "update": (
                "corrected: w := w − lr·∂J/∂w (lingrad GD, lr = 0.01)"
                if run.corrected
                else LISTING_1D_UPDATE + " — lingrad GD with lr = 2·lr = 0.02"
            ),
            "epochs": 1,
            "steps": h.n_steps,
            "loss": "J = (y − ŷ)² per step",
        },
        metrics={
            "final loss J (mean over the data)": J,
            "last step loss": float(h.step_loss[-1]),
            "R²": r2_score(y, pred),
            "steps": h.n_steps,
        },
        parameters={"w": w, "b": b},
        truth={"w": 5.0, "b": -3.0},
        comparison=compare(rows, "SGD", "closed form"),
        compared_with="the lecture's listing (as printed), the closed form (normal "
        "equation, textbook formula) and the truth",
        notes=(
            "Each colour of the fit figure is the line after one more update, from "
            "violet (the start: the lecture's random w and b) through the rainbow to "
            "red (the last step).\n\n"
            "The listing's quirk: it updates w = w − 2·lr·dJ_dw with lr = 0.01, but "
            "dJ_dw = dJ_dpred·x already holds the 2 of ∂J/∂ŷ = −2(y − ŷ), so each "
            "step is 4·lr·(y − ŷ)·x, twice the derivation's w := w − lr·∂J/∂w. This "
            "demo runs the listing as printed (lingrad's GD with lr = 2·0.01 = 0.02), "
            "so one pass ends as close to w = 5, b = −3 as the lecture's figure; "
            "`lingrad demo linear-1d --corrected` runs the derivation's update "
            "(lr = 0.01), which one pass leaves short of the truth (w ≈ 3.8). The "
            'column "lecture\'s NumPy loop" is the listing as printed, in plain '
            "NumPy (lingrad.demos._listings)."
        ),
    )


def linear_nd(run: DemoRun) -> DemoOutput:
    """Lecture 4, Linear Regression (n Features): 3 features, 100 points, lr 0.1."""
    data = datasets.linear_nd(n=100, n_features=3, seed=1)
    lr = 0.1
    chain, h = _lecture_loop(data, lr)
    W, b = chain.params["affine.W"][:, 0], chain.params["affine.b"]
    W_ne, b_ne, info = normal_equation(data.X, np.asarray(data.y, np.float64))
    pred = chain.forward(data.X)
    W_ref, b_ref, _ = _listings.linear_nd(
        data.X,
        np.asarray(data.y, np.float64)[:, None],
        lecture_W(data),
        lecture_b(data),
        lr,
    )
    ref = np.append(W_ref, b_ref)

    run.stage("drawing figures")
    fig = plot.plot_history(
        h,
        kind="sample",
        true_W=data.true_W,
        true_b=data.true_b,
        optimum_W=W_ne,
        optimum_b=b_ne,
        loss_label="squared error J = (y − ŷ)²",
        title="Per-sample SGD (lr = 0.1), the listing's W := W − lr·dJ_dWᵀ",
    )
    run.save(fig, "loss_params.png", "Loss per step; W and b against the truth")
    names = [f"w{i + 1}" for i in range(len(W))] + ["b"]
    learned = np.append(W, b)
    truth = np.append(true_W(data).ravel(), true_b(data))
    closed = np.append(W_ne, b_ne)
    rows = {
        n: {
            "SGD": learned[i],
            "lecture's NumPy loop": ref[i],
            "closed form": closed[i],
            "truth": truth[i],
        }
        for i, n in enumerate(names)
    }
    return DemoOutput(
        title="Linear regression, 3 features: per-sample SGD (lecture 4)",
        model="Linear regression ŷ = xᵀW + b trained by per-sample gradient descent",
        equation=SGD_EQUATION,
        data={
            "generator": "lingrad.datasets.linear_nd(n=100, n_features=3, seed=1)",
            "description": data.description,
            "samples": len(data.X),
            "features": 3,
            "cond(XᵀX)": info["condition_number"],
        },
        hyperparams={
            "solver": "per-sample SGD (batch_size = 1), data order, no shuffle",
            "lr": lr,
            "epochs": 1,
            "steps": h.n_steps,
        },
        metrics={
            "final loss J (mean over the data)": float(
                np.mean((data.y - pred.ravel()) ** 2)
            ),
            "R²": r2_score(data.y, pred),
            "max |w − truth|": float(np.abs(learned - truth).max()),
        },
        parameters=dict(zip(names, values(learned), strict=True)),
        truth=dict(zip(names, values(truth), strict=True)),
        comparison=compare(rows, "SGD", "closed form"),
        compared_with="the lecture's listing (as printed), the closed form (normal "
        "equation) and the truth",
        notes=(
            "Dotted lines: the true values drawn by the lecture's uniform(−3, 3); "
            "dash-dot: the normal equation's optimum (equal to the truth here: the "
            "data carry no noise). The listing's update W := W − lr·dJ_dWᵀ is the "
            "derivation's, so there is no quirk to correct (--corrected changes "
            'nothing here); the listing names dpred_db "dpred_b" once, a slip '
            "that would stop it with a NameError."
        ),
    )
