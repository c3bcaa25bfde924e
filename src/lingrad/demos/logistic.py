"""Logistic regression demos of lecture 4: one feature, n features, sigmoid shapes."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from lingrad import plot
from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy
from lingrad.core.nodes import Affine, Sigmoid
from lingrad.data import datasets
from lingrad.training.history import History

from . import _listings
from .common import (
    DemoOutput,
    DemoRun,
    floats,
    hits_binary,
    lecture_b,
    lecture_W,
    train,
    true_b,
    true_W,
    values,
)

BCE_EQUATION = (
    "z = xᵀw + b,   ŷ = σ(z) = 1 / (1 + e⁻ᶻ)        (forward propagation)\n"
    "J = −[y log ŷ + (1 − y) log(1 − ŷ)]            (binary cross-entropy)\n"
    "∂J/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ)),  ∂ŷ/∂z = ŷ(1 − ŷ),  ∂z/∂w = xᵀ,  ∂z/∂b = 1\n"
    "∂J/∂z = ŷ − y,  ∂J/∂w = (ŷ − y)·xᵀ,  ∂J/∂b = ŷ − y   (backpropagation)\n"
    "w := w − lr·(∂J/∂w)ᵀ,  b := b − lr·∂J/∂b              (update)"
)


SEPARABLE = "generating value (unreachable: the classes are separable)"


def _fit_lecture(
    data: datasets.Synthetic, y: np.ndarray, lr: float
) -> tuple[History, np.ndarray, np.ndarray, float, float]:
    """The lecture's loop: Affine → Sigmoid, unfused BCE, per sample, data order."""
    chain = Chain([Affine(lecture_W(data).copy(), lecture_b(data).copy()), Sigmoid()])
    h = train(
        chain,
        BinaryCrossEntropy(),
        data.X,
        y,
        lr=lr,
        epochs=1,
        n_correct=hits_binary,
    ).history
    W, b = chain.params["affine.W"].copy(), chain.params["affine.b"].copy()
    pred = chain.forward(data.X).ravel()
    J = BinaryCrossEntropy().forward(pred[:, None], y)
    accuracy = float(np.mean((pred > 0.5) == y))
    return h, W, b, J, accuracy


def logistic_1d(run: DemoRun) -> DemoOutput:
    """Lecture 4, Logistic Regression (1 Feature): 500 points, lr 0.1."""
    data = datasets.logistic_1d(n=500, t_w=5, t_b=-3, seed=1)
    lr = 0.1
    x = data.X[:, 0]
    # the listing labels y = [5x − 3 > 0.6] (its boundary x = 0.6 used as a value of
    # 5x − 3); corrected: y = [5x − 3 > 0], switching at x = −t_b/t_w = 0.6 itself
    y = (5 * x - 3 > 0).astype(np.float64) if run.corrected else data.y
    switch = 0.6 if run.corrected else (0.6 + 3) / 5
    h, W, b, J, accuracy = _fit_lecture(data, y, lr)
    w, b0 = float(W[0, 0]), float(b[0])
    w_ref, b_ref, _ = _listings.logistic_1d(
        x,
        y.astype(np.float32),
        float(lecture_W(data)[0, 0]),
        float(lecture_b(data)[0]),
        lr,
    )  # the listing's labels are float32

    run.stage("drawing figures")
    steps, W_tr, b_tr = plot.param_tracks(h)
    fig = plot.plot_fit_evolution(
        data.X,
        y,
        W_tr,
        b_tr,
        "logistic",
        steps=steps,
        x_range=(-2, 4),
        max_lines=len(steps),
    )
    run.save(fig, "fit.png", "σ(w x + b) after every step (violet: start, red: end)")
    fig = plot.plot_loss_and_params(
        h.step_loss,
        W_tr,
        b_tr,
        steps=steps,
        true_W=5.0,
        true_b=-3.0,
        kind="sample",
        true_label=SEPARABLE,
        loss_label="cross-entropy J",
        title="Per-sample SGD (lr = 0.1) of σ(wx + b)",
    )
    run.save(fig, "loss_params.png", "Loss per step; w and b against t_w, t_b")
    frames = run.pick(40, 5)
    run.animate(
        "fit.gif",
        "The sigmoid moving to the labels, step by step",
        lambda p: plot.animate_fit(
            data.X,
            y,
            W_tr,
            b_tr,
            "logistic",
            p,
            frames=frames,
            steps=steps,
            x_range=(-2, 4),
        ),
    )
    return DemoOutput(
        title="Logistic regression, one feature: per-sample SGD (lecture 4)",
        model="Logistic regression ŷ = σ(w·x + b) with binary cross-entropy",
        equation=BCE_EQUATION,
        data={
            "generator": "lingrad.datasets.logistic_1d(n=500, t_w=5, t_b=-3, seed=1)",
            "description": data.description,
            "samples": len(data.X),
            "labels": "y = [5x − 3 > 0] (corrected)"
            if run.corrected
            else "y = [5x − 3 > 0.6] (the listing's)",
            "share of class 1": float(np.mean(y)),
            "initial w, b": floats([lecture_W(data)[0, 0], lecture_b(data)[0]]),
        },
        hyperparams={
            "solver": "per-sample SGD, data order, one epoch",
            "lr": lr,
            "steps": h.n_steps,
            "gradient": "unfused, as the lecture: ∂J/∂ŷ · ∂ŷ/∂z",
        },
        metrics={
            "final loss J (mean BCE over the data)": J,
            "accuracy": accuracy,
            "accumulated accuracy": float(h.accumulated_accuracy[-1]),
            "decision boundary −b/w": -b0 / w,
        },
        parameters={"w": w, "b": b0},
        truth={"w": 5.0, "b": -3.0},
        comparison={
            "w": {
                "lingrad": w,
                "lecture's NumPy loop": float(w_ref),
                "|difference|": abs(w - float(w_ref)),
            },
            "b": {
                "lingrad": b0,
                "lecture's NumPy loop": float(b_ref),
                "|difference|": abs(b0 - float(b_ref)),
            },
            "decision boundary x": {
                "lingrad": -b0 / w,
                "where labels switch": switch,
                "−t_b/t_w": 0.6,
            },
        },
        compared_with="the lecture's listing (as printed) and where the labels "
        "switch — no exact solver: separable classes have no finite optimum",
        notes=(
            "The classes are separable, so the cross-entropy has no finite minimiser "
            "(w and b grow without bound): there is no exact solver to compare with, "
            "and the dotted t_w = 5, t_b = −3 are the generating values, which no "
            "fit reaches (any positive multiple of them separates the labels as "
            "well). Instead lingrad's run is checked against the lecture's own loop "
            "in plain NumPy, and the learned boundary −b/w against the x where the "
            "labels switch.\n\n"
            "The listing's quirk: it labels y = [5x − 3 > 0.6], comparing 5x − 3 with "
            "its boundary x = −t_b/t_w = 0.6, so the labels switch at x = 0.72, not "
            "at 0.6. This demo keeps the listing's labels; `lingrad demo logistic-1d "
            "--corrected` labels y = [5x − 3 > 0] instead, switching at 0.6."
        ),
    )


def logistic_nd(run: DemoRun) -> DemoOutput:
    """Lecture 4, Logistic Regression (n Features): 1000 points, 3 features, lr 0.03."""
    data = datasets.logistic_nd(n=1000, n_features=3, seed=1)
    lr = 0.03
    h, W, b, J, accuracy = _fit_lecture(data, data.y, lr)
    W_ref, b_ref, _, acc_ref = _listings.logistic_nd(
        data.X,
        np.asarray(data.y, np.float64)[:, None],
        lecture_W(data),
        lecture_b(data),
        lr,
    )
    true = np.r_[true_W(data).ravel(), true_b(data)]
    learned = np.r_[W.ravel(), b]
    cosine = float(learned @ true / np.linalg.norm(learned) / np.linalg.norm(true))

    run.stage("drawing figures")
    run.save(
        plot.plot_loss_and_accuracy(
            h.step_loss,
            h.accumulated_accuracy,
            kind="sample",
            loss_label="cross-entropy J",
            title="Per-sample SGD (lr = 0.03): loss of each example",
        ),
        "loss_accuracy.png",
        "Loss per step and accumulated accuracy",
    )
    steps, W_tr, b_tr = plot.param_tracks(h)
    fig = plot.plot_params(
        steps,
        W_tr,
        b_tr,
        true_W=data.true_W,
        true_b=data.true_b,
        kind="sample",
        true_label=SEPARABLE,
    )
    run.save(fig, "params.png", "Weights and bias against the true ones")
    fig = plot.plot_decision_boundary(  # in the plane of w: the boundary exact
        lambda P: expit(P @ W + b)[:, 0],
        data.X,
        data.y,
        resolution=run.pick(200, 60),
        title="Learned boundary σ(xᵀw + b) = 0.5",
    )
    run.save(
        fig,
        "decision_boundary.png",
        "Learned boundary in the plane containing w: every row on its side",
    )
    names = ["w1", "w2", "w3", "b"]
    ref = np.r_[W_ref.ravel(), b_ref]
    return DemoOutput(
        title="Logistic regression, 3 features: accumulated accuracy (lecture 4)",
        model="Logistic regression ŷ = σ(xᵀw + b) with binary cross-entropy",
        equation=BCE_EQUATION,
        data={
            "generator": "lingrad.datasets.logistic_nd(n=1000, n_features=3, seed=1)",
            "description": data.description,
            "samples": len(data.X),
            "share of class 1": float(np.mean(data.y)),
        },
        hyperparams={"solver": "per-sample SGD, data order, one epoch", "lr": lr},
        metrics={
            "final loss J (mean BCE over the data)": J,
            "accuracy": accuracy,
            "accumulated accuracy": float(h.accumulated_accuracy[-1]),
            "accumulated accuracy (the listing's acc_track)": float(acc_ref[-1]),
            "cos(learned θ, true θ)": cosine,
        },
        parameters=dict(zip(names, values(learned), strict=True)),
        truth=dict(zip(names, values(true), strict=True)),
        comparison={
            n: {
                "lingrad": learned[i],
                "lecture's NumPy loop": ref[i],
                "truth": true[i],
                "|lingrad − lecture|": abs(learned[i] - ref[i]),
            }
            for i, n in enumerate(names)
        },
        compared_with="the lecture's listing (as printed) and the generating "
        "values — no exact solver: separable classes have no finite optimum",
        notes=(
            "Accumulated accuracy is the lecture's running share of correct "
            "predictions, each made before that example's update. The labels come "
            "from the true θ without noise, so any positive multiple of θ separates "
            "them equally: the direction (cosine) is what SGD recovers, the length "
            "keeps growing, and the dotted generating values are not a target the "
            "fit can reach. The listing's update is the derivation's (no quirk); it "
            "casts with np.int, which NumPy removed in 1.24 (int here)."
        ),
    )


def sigmoid_shapes(run: DemoRun) -> DemoOutput:
    """Lecture 4, Sigmoid's Params: w sharpens σ(wx), b moves the boundary to −b/w."""
    ws, bs, w_shift = (0.5, 1.0, 2.0, 5.0), (-2.0, 0.0, 2.0), 1.0
    run.save(
        plot.plot_sigmoid_shapes(ws, bs, w_for_shift=w_shift),
        "sigmoid_shapes.png",
        "σ(w x) for several w; σ(x + b) for several b",
    )
    node = Sigmoid()
    rows = {}
    for w in ws:  # slope dŷ/dx at the boundary: dpred_dz · dz_dx = σ'(0) · w
        node.forward(np.zeros((1, 1)))
        slope = float(node.backward(np.ones((1, 1)))[0, 0]) * w
        rows[f"w = {w:g}: slope at ŷ = 0.5"] = {
            "lingrad (Sigmoid.backward · w)": slope,
            "formula w/4": w / 4,
        }
    for b in bs:

        def half(x: float, b: float = b) -> float:
            return float(node.forward(np.array([[w_shift * x + b]]))[0, 0]) - 0.5

        root = brentq(half, -50.0, 50.0, xtol=1e-14)
        rows[f"b = {b:g}: x where ŷ = 0.5"] = {
            "lingrad (root of Sigmoid.forward)": root,
            "formula −b/w": -b / w_shift + 0.0,
        }
    return DemoOutput(
        title="The sigmoid's parameters: steepness w and shift b (lecture 4)",
        model="ŷ = σ(w x + b) = 1 / (1 + e^(−w(x − (−b/w))))",
        equation=(
            "ŷ = σ(xw + b) = 1 / (1 + e^(−(xw + b)))\n"
            "  = 1 / (1 + e^(−w(x − (−b/w))))\n"
            "ŷ = 0.5  ⇔  x = −b/w   (the decision boundary)\n"
            "dŷ/dx at the boundary = w·σ′(0) = w/4   (w sets the steepness)"
        ),
        data={
            "x range": [-6.0, 6.0],
            "w values": list(ws),
            "b values (w = 1)": list(bs),
        },
        hyperparams={"training": "none: the family of curves itself"},
        metrics={f"boundary for b = {b:g}": -b / w_shift + 0.0 for b in bs},
        comparison=rows,
        compared_with="the formulas w/4 and −b/w",
        notes=(
            "No training here: the figure is the lecture's two panels. The table "
            "checks the two facts the lecture reads off them using lingrad's own "
            "Sigmoid node: the slope at ŷ = 0.5 grows as w/4, and ŷ = 0.5 sits at "
            "x = −b/w."
        ),
    )
