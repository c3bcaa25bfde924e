"""Shallow networks: the notes' two-layer ANN and the residual net of Problem 7."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax

from lingrad import plot
from lingrad.core.gradcheck import numerical_grad
from lingrad.core.losses import one_hot
from lingrad.data import datasets
from lingrad.data.lectures import HIDDEN
from lingrad.models.logistic import LogisticRegression
from lingrad.models.network import TwoLayerNetwork
from lingrad.models.residual import ResidualNetwork
from lingrad.plot.style import new_figure

from . import _figures
from .common import DemoOutput, DemoRun


def _two_layer_proba(s: dict[str, np.ndarray], P: np.ndarray) -> np.ndarray:
    """q = softmax(σ(P W + b) V + c) of one parameter snapshot."""
    z = expit(P @ s["affine0.W"] + s["affine0.b"])  # (G, hidden)
    return np.asarray(softmax(z @ s["affine1.W"] + s["affine1.b"], axis=1))


def two_layer(run: DemoRun) -> DemoOutput:
    """Notes § ANN: sigmoid hidden layer + softmax output on the two moons."""
    data = datasets.two_moons(n=200, noise=0.1, seed=0)
    X, y = data.X, data.y
    n_hidden, lr, m, epochs = HIDDEN["two-layer"], 1.0, 16, run.pick(300, 150)
    net = TwoLayerNetwork(
        n_hidden,
        solver="minibatch",
        lr=lr,
        batch_size=m,
        max_iter=epochs,
        tol=None,
        penalty="none",
        random_state=0,
        snapshot_every=20,
    ).fit(X, y)
    lbfgs = TwoLayerNetwork(n_hidden, penalty="none", random_state=0, max_iter=1000)
    lbfgs.fit(X, y)
    linear = LogisticRegression(penalty="none").fit(X, y)
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(
        (n_hidden,),
        activation="logistic",
        solver="lbfgs",
        alpha=0.0,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)

    # the notes' backprop by hand: dL/dV = zᵀ(q − y), dL/dW = xᵀ[((q − y)Vᵀ) ∘ z(1 − z)]
    (W, V), (b, c) = net.coefs_, net.intercepts_
    Y = one_hot(y, 2)
    z = expit(X @ W + b)
    q = softmax(z @ V + c, axis=1)
    dJ_dV = z.T @ (q - Y) / len(X)
    dJ_dW = X.T @ (((q - Y) @ V.T) * z * (1 - z)) / len(X)
    problem = net.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert chain is not None  # a fitted model's problem has its chain
    loss.forward(chain.forward(X), Y)
    chain.backward(loss.backward())
    grads = chain.grads

    run.stage("drawing figures")
    res = run.pick(200, 50)
    fig = new_figure((21.0, 7.5))
    ax_lin, ax_net = fig.subplots(1, 2)
    plot.plot_decision_boundary(
        linear,
        X,
        y,
        ax=ax_lin,
        resolution=res,
        title=f"Logistic regression: one line (accuracy {linear.score(X, y):.3f})",
    )
    plot.plot_decision_boundary(
        net,
        X,
        y,
        ax=ax_net,
        resolution=res,
        title=f"Two-layer network, {n_hidden} hidden units "
        f"(accuracy {net.score(X, y):.3f})",
    )
    run.save(
        fig,
        "linear_vs_two_layer.png",
        "A line cannot separate the moons; the network can",
    )
    h = net.history_
    run.save(
        plot.plot_loss_and_accuracy(
            h.step_loss,
            h.accumulated_accuracy,
            epoch_loss=h.epoch_loss,
            kind="minibatch",
            loss_label="cross-entropy J",
            title=f"Minibatch SGD (m = {m}, lr = {lr:g}): mean J of each batch",
        ),
        "training.png",
        "Loss per step and accumulated accuracy",
    )
    snaps, steps = plot.history_snapshots(h)
    frames = run.pick(30, 5)
    run.animate(
        "boundary.gif",
        "The boundary bending around the moons during training",
        lambda p: plot.animate_decision_boundary(
            X,
            y,
            snaps,
            p,
            proba_fn=_two_layer_proba,
            steps=steps,
            frames=frames,
            resolution=run.pick(80, 30),
        ),
    )
    J = float(-np.mean(np.log(net.predict_proba(X)[np.arange(len(y)), y])))
    return DemoOutput(
        title="A two-layer network on non-linear data (notes § ANN)",
        model=f"q = softmax(σ(xW + b)V + c), {n_hidden} sigmoid hidden units, "
        "2 outputs",
        equation=(
            "ẑ_s = Σ_i x_i w_is,   z_s = σ(ẑ_s)                 (hidden layer)\n"
            "q̂_k = Σ_s z_s v_sk,   q_k = e^(q̂_k) / Σ_h e^(q̂_h)    (softmax output)\n"
            "L = −Σ_k 1{k = y} log q_k = −log q_y\n"
            "∂L/∂v_sk = (q_k − y_k)·z_s          →  ∂L/∂V = zᵀ(q − y)\n"
            "∂L/∂w_is = Σ_k (q_k − y_k) v_sk · z_s(1 − z_s) · x_i\n"
            "                                    →  ∂L/∂W = xᵀ[((q − y)Vᵀ) ∘ z(1 − z)]"
        ),
        data={
            "generator": "lingrad.datasets.two_moons(n=200, noise=0.1, seed=0)",
            "description": data.description,
        },
        hyperparams={
            "solver": f"minibatch SGD (m = {m}), shuffled",
            "lr": lr,
            "epochs": epochs,
            "hidden units": n_hidden,
            "penalty": "none",
            "initial weights": "Glorot uniform, seed 0",
        },
        metrics={
            "accuracy": float(net.score(X, y)),
            "final loss J (mean cross-entropy)": J,
            "accuracy of a linear model": float(linear.score(X, y)),
        },
        parameters={"W": W.tolist(), "b": b.tolist(), "V": V.tolist(), "c": c.tolist()},
        comparison={
            "accuracy": {
                "lingrad (minibatch GD)": float(net.score(X, y)),
                "lingrad (L-BFGS)": float(lbfgs.score(X, y)),
                "scikit-learn MLPClassifier": float(mlp.score(X, y)),
                "logistic regression (linear)": float(linear.score(X, y)),
            },
            "max |backprop − notes' formula|": {
                "∂L/∂V": float(np.abs(grads["affine1.W"] - dJ_dV).max()),
                "∂L/∂W": float(np.abs(grads["affine0.W"] - dJ_dW).max()),
            },
        },
        compared_with="L-BFGS and scikit-learn's MLPClassifier of the same shape — "
        "no exact solver: the network's loss is not convex",
        notes=(
            "No line separates the moons, so a linear model stays below 90 % while "
            "the hidden layer bends the boundary around them. The network's loss is "
            "not convex, so there is no exact solver: the table compares accuracies "
            "with L-BFGS and scikit-learn's MLP of the same shape, and checks the "
            "gradients backpropagated node by node against the notes' matrix formulas."
        ),
    )


def residual(run: DemoRun) -> DemoOutput:
    """Problem 7: g = σ(w₂ᵀh), h = x + σ(W₁ᵀz), z = σ(W₀ᵀx), L = ½ Σ (g − y)²."""
    data = datasets.residual_data(n=200, n_features=4, seed=0, n_hidden=3)
    X, y = data.X, data.y
    N, D = X.shape
    M, lr, epochs = HIDDEN["residual"], 5.0, run.pick(1000, 200)
    net = ResidualNetwork(
        M, solver="batch", lr=lr, max_iter=epochs, tol=None, random_state=0
    ).fit(X, y)
    lbfgs = ResidualNetwork(M, random_state=0, max_iter=1000).fit(X, y)
    W0, W1, w2 = net.coefs_

    # (a) ∂L/∂h_j = (g − y)·g(1 − g)·w₂_j
    # (b) ∂L/∂W₁[m, d] = Σ_i ∂L/∂h_id·s_id(1 − s_id)·z_im
    z = expit(X @ W0)  # (N, M)
    s = expit(z @ W1)  # (N, D)
    h = X + s
    g = expit(h @ w2)[:, 0]  # (N,)
    dL_dh = ((g - y) * g * (1 - g))[:, None] * w2[:, 0]  # (N, D)
    dL_dW1 = z.T @ (dL_dh * s * (1 - s))  # (M, D)
    problem = net.training_problem(start="fitted")
    chain, loss = problem.chain, problem.loss
    assert chain is not None  # a fitted model's problem has its chain
    Y = y[:, None].astype(float)
    loss.forward(chain.forward(X), Y)
    dJ_dg = loss.backward()
    dJ_dh = chain.nodes[1].backward(chain.nodes[2].backward(dJ_dg))  # (N, D), mean
    chain.nodes[0].backward(dJ_dh)
    back_W1 = chain.grads["residual.affine1.W"] * N  # J is the mean: L = N·J
    W1_probe = W1.copy()

    def L_of_W1() -> float:
        s_ = expit(z @ W1_probe)
        return float(0.5 * np.sum((expit((X + s_) @ w2)[:, 0] - y) ** 2))

    numeric_W1 = numerical_grad(L_of_W1, W1_probe)

    run.stage("drawing figures")
    hist = net.history_
    run.save(
        plot.plot_loss_and_accuracy(
            hist.step_loss,
            hist.accumulated_accuracy,
            kind="batch",
            loss_label="J = L / N = ½ mean (g − y)²",
            title=f"Full-batch gradient descent (lr = {lr:g})",
        ),
        "training.png",
        "Loss per step and accumulated accuracy",
    )
    fig = _figures.plot_agreement(
        {
            "∂L/∂h (a)": (dL_dh.ravel(), dJ_dh.ravel() * N),
            "∂L/∂W₁ (b)": (dL_dW1.ravel(), back_W1.ravel()),
        },
        xlabel="homework formula",
        ylabel="lingrad backpropagation",
        title="Problem 7: the derivatives by hand and by backprop agree",
    )
    run.save(fig, "derivatives.png", "Problem 7 (a) and (b): formula against backprop")
    fig = plot.plot_decision_boundary(
        net,
        X,
        y,
        resolution=run.pick(150, 40),
        title="Residual network: g = 0.5",
    )
    run.save(
        fig,
        "decision_boundary.png",
        "g = 0.5 in the plane that agrees with the network (said on the figure)",
    )
    J = float(0.5 * np.mean((net.predict_proba(X)[:, 1] - y) ** 2))
    names = ("W0", "W1", "w2")
    return DemoOutput(
        title="The residual network of homework Problem 7",
        model=f"g(x) = σ(w₂ᵀh), h = x + σ(W₁ᵀz), z = σ(W₀ᵀx); D = {D}, M = {M}, "
        "no biases",
        equation=(
            "z_i(x) = σ(Σ_d w_{0,i,d}·x_d)                      (M units)\n"
            "h_i(x) = x_i + σ(Σ_m w_{1,i,m}·z_m(x))              (D units, skip x_i)\n"
            "g(x) = σ(Σ_d w_{2,d}·h_d(x)),   L = ½ Σ_i (g(x_i) − y_i)²\n"
            "(a) ∂L/∂h_j = (g − y)·g(1 − g)·w_{2,j}\n"
            "(b) ∂L/∂w_{1,d,m} = ∂L/∂h_d · σ′(Σ_m w_{1,d,m} z_m) · z_m   (delta rule)"
        ),
        data={
            "generator": "lingrad.datasets.residual_data(n=200, n_features=4, seed=0, "
            "n_hidden=3)",
            "description": data.description,
        },
        hyperparams={
            "solver": "full-batch gradient descent on J = L / N",
            "lr": lr,
            "epochs": epochs,
            "initial weights": "Glorot uniform, seed 0",
        },
        metrics={
            "accuracy": float(net.score(X, y)),
            "final loss J = L / N": J,
            "max |(a) formula − backprop|": float(np.abs(dL_dh - dJ_dh * N).max()),
            "max |(b) formula − backprop|": float(np.abs(dL_dW1 - back_W1).max()),
            "max |(b) formula − finite differences|": float(
                np.abs(dL_dW1 - numeric_W1).max()
            ),
        },
        parameters={n: c.tolist() for n, c in zip(names, net.coefs_, strict=True)},
        comparison={
            "accuracy": {
                "gradient descent": float(net.score(X, y)),
                "L-BFGS": float(lbfgs.score(X, y)),
            },
            "∂L/∂W₁ (max over entries)": {
                "backprop": float(np.abs(back_W1).max()),
                "formula (b)": float(np.abs(dL_dW1).max()),
                "finite differences": float(np.abs(numeric_W1).max()),
            },
        },
        compared_with="L-BFGS, the homework's formulas and finite differences — "
        "no exact solver: the loss is not convex",
        notes=(
            "The skip connection adds the identity to dh/dx, so the gradient reaching "
            "x is ∂L/∂h + (the inner path's share): the derivative never has to pass "
            "through the inner sigmoids alone. The delta rule of the homework's answer "
            "shows up as code: the Residual node's backward returns dJ_dh plus the "
            "inner chain's backward of the same dJ_dh."
        ),
    )
