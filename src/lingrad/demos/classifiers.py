"""Linear classifiers of the notes: perceptron, multi-class perceptron, softmax."""

from __future__ import annotations

import numpy as np

from lingrad import plot
from lingrad.core.chain import Chain
from lingrad.core.losses import CrossEntropy, one_hot
from lingrad.core.nodes import Affine, Softmax
from lingrad.data import datasets
from lingrad.models.perceptron import MulticlassPerceptron, Perceptron
from lingrad.models.softmax import SoftmaxRegression
from lingrad.plot.style import integer_axis
from lingrad.training.history import History

from . import _figures
from .common import DemoOutput, DemoRun, floats, true_b, true_W


def _mistakes_per_epoch(h: History) -> list[int]:
    """Wrong predictions made during each epoch (each before its update)."""
    wrong = h.step_batch_size - h.step_n_correct  # (S,)
    ends = np.r_[0, h.epoch_end_step]
    return [int(wrong[a:b].sum()) for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _training_figure(
    run: DemoRun, h: History, mistakes: list[int], loss_name: str
) -> None:
    run.save(
        plot.plot_loss_and_accuracy(
            h.step_loss,
            h.accumulated_accuracy,
            kind="sample",
            loss_label=f"{loss_name} J",
            title=f"The {loss_name} of each example (0 when classified right)",
        ),
        "training.png",
        "Loss per step and accumulated accuracy",
    )
    epochs = np.arange(1, len(mistakes) + 1)
    fig = _figures.plot_curves(
        {"mistakes in the epoch": (epochs, mistakes)},
        xlabel="epoch",
        ylabel="misclassified examples",
        styles=("o-",),
        whole_x=True,
        title=f"Mistakes per epoch (each one triggers an update of the {loss_name})",
    )
    fig.axes[0].set_ylim(bottom=0)
    integer_axis(fig.axes[0].yaxis)  # counts: no tick at 3.5
    run.save(fig, "mistakes.png", "Misclassified examples in each epoch")


def perceptron(run: DemoRun) -> DemoOutput:
    """The perceptron rule w ← w + lr (y − h) x on separable 2-D data."""
    data = datasets.perceptron_data(n=100, seed=0)
    X, y = data.X, data.y
    lr, epochs = 1.0, run.pick(10, 4)
    model = Perceptron(
        solver="sgd", lr=lr, max_iter=epochs, tol=None, shuffle=False, snapshot_every=1
    ).fit(X, y)
    h = model.history_
    mistakes = _mistakes_per_epoch(h)
    # Novikoff: at most (R / γ)² mistakes, R = max ‖(x, 1)‖, γ the true margin
    Xt = np.c_[X, np.ones(len(X))]
    theta = np.r_[true_W(data).ravel(), true_b(data)]
    gamma = float(np.min((2 * y - 1) * (Xt @ theta)) / np.linalg.norm(theta))
    R = float(np.linalg.norm(Xt, axis=1).max())
    from sklearn.linear_model import Perceptron as SkPerceptron

    sk = SkPerceptron(tol=None, max_iter=epochs, shuffle=False, eta0=lr).fit(X, y)

    run.stage("drawing figures")
    fig = plot.plot_decision_boundary(
        model, X, y, resolution=run.pick(200, 60), title="Perceptron: xᵀw + b = 0"
    )
    run.save(fig, "decision_boundary.png", "Final boundary xᵀw + b = 0")
    _training_figure(run, h, mistakes, "perceptron criterion")
    snaps, steps = plot.history_snapshots(h)
    moved = [0] + [i for i in range(1, len(snaps)) if not _same(snaps[i], snaps[i - 1])]
    last = min(moved[-1] + 1, len(snaps) - 1)  # the boundary stops moving here
    frames = run.pick(30, 5)
    run.animate(
        "boundary.gif",
        "The boundary after each update, until it stops moving",
        lambda p: plot.animate_decision_boundary(
            X,
            y,
            snaps[: last + 1],
            p,
            steps=steps[: last + 1],
            frames=frames,
            resolution=run.pick(100, 40),
            score_fn=plot.affine_score,  # z = xᵀw + b: sides of z = 0, no P
        ),
    )
    accuracy = float(model.score(X, y))
    return DemoOutput(
        title="The perceptron (notes § perceptron)",
        model="h(x) = 1 if xᵀw + b ≥ 0 else 0, trained by the perceptron rule",
        equation=(
            "h_θ(x) = 1 if xᵀθ ≥ 0 else 0\n"
            "L = Σ_{x ∈ M₀} xᵀθ − Σ_{x ∈ M₁} xᵀθ = Σ_i (h_θ(x_i) − y_i)·x_iᵀθ   "
            "(misclassified only)\n"
            "∂L/∂θ = Σ_i (h_θ(x_i) − y_i)·x_i\n"
            "per example: θ := θ + lr·(y − h_θ(x))·x"
        ),
        data={
            "generator": "lingrad.datasets.perceptron_data(n=100, seed=0)",
            "description": data.description,
            "true margin γ": gamma,
        },
        hyperparams={
            "solver": "per-example (sgd), data order",
            "lr": lr,
            "epochs": epochs,
            "start": "θ = 0",
        },
        metrics={
            "accuracy": accuracy,
            "mistakes per epoch": mistakes,
            "total mistakes (updates)": int(sum(mistakes)),
            "final perceptron criterion": float(h.epoch_loss[-1]),
            "last step that moved the boundary": int(steps[last]),
        },
        parameters={"w": floats(model.coef_), "b": floats(model.intercept_)},
        truth={"w (direction)": floats(true_W(data)), "b": floats(true_b(data))},
        comparison={
            "mistakes": {
                "lingrad": int(sum(mistakes)),
                "Novikoff bound (R/γ)²": (R / gamma) ** 2,
            },
            "accuracy": {
                "lingrad": accuracy,
                "scikit-learn Perceptron": float(sk.score(X, y)),
            },
        },
        compared_with="the Novikoff bound and scikit-learn's Perceptron",
        notes=(
            "The hard threshold has no useful derivative (lingrad.core.nodes.Step "
            "raises), so "
            "the perceptron descends its own criterion applied to z = xᵀθ: each "
            "misclassified example moves θ by ±lr·x, correct ones leave it alone. On "
            "separable data the number of updates is bounded by (R/γ)² (Novikoff), "
            "however the examples are ordered. scikit-learn's Perceptron also updates "
            "on a score of exactly 0, so its path differs; both separate the data. A "
            "perceptron has no probabilities: its figures colour the two sides of "
            "xᵀw + b = 0, with no colour scale."
        ),
    )


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def multiclass_perceptron(run: DemoRun) -> DemoOutput:
    """h(x) = argmax_j xθ_j; a mistake moves θ_y up by x and θ_argmax down by x."""
    data = datasets.multiclass_blobs(n=150, n_classes=3, seed=0)
    X, y = data.X, data.y
    lr, epochs = 1.0, run.pick(10, 4)
    model = MulticlassPerceptron(
        solver="sgd", lr=lr, max_iter=epochs, tol=None, shuffle=True, random_state=0
    ).fit(X, y)
    h = model.history_
    mistakes = _mistakes_per_epoch(h)
    from sklearn.linear_model import Perceptron as SkPerceptron

    sk = SkPerceptron(tol=None, max_iter=epochs, random_state=0).fit(X, y)

    run.stage("drawing figures")
    fig = plot.plot_decision_boundary(
        model,
        X,
        y,
        resolution=run.pick(200, 60),
        title="Multi-class perceptron: argmax_j (xᵀθ_j + b_j)",
    )
    run.save(fig, "decision_regions.png", "Class regions of argmax_j xᵀθ_j + b_j")
    _training_figure(run, h, mistakes, "multi-class criterion")
    accuracy = float(model.score(X, y))
    return DemoOutput(
        title="The multi-class perceptron (notes § multi-class perceptron)",
        model="h(x) = argmax_j xᵀθ_j + b_j over K = 3 classes",
        equation=(
            "h_θ(x) = argmax_j xθ_j\n"
            "L = Σ_i (max_j x_iθ_j − x_iθ_{y_i})\n"
            "∂L/∂θ_v = x_i if v = argmax ≠ y_i;  −x_i if v = y_i ≠ argmax;  "
            "0 otherwise\n"
            "per example: θ_y := θ_y + lr·x,  θ_argmax := θ_argmax − lr·x"
        ),
        data={
            "generator": "lingrad.datasets.multiclass_blobs(n=150, n_classes=3, "
            "seed=0)",
            "description": data.description,
        },
        hyperparams={
            "solver": "per-example (sgd), shuffled (seed 0)",
            "lr": lr,
            "epochs": epochs,
            "start": "θ = 0",
        },
        metrics={
            "accuracy": accuracy,
            "mistakes per epoch": mistakes,
            "final criterion (mean per epoch)": float(h.epoch_loss[-1]),
        },
        parameters={
            "θ (rows = classes)": model.coef_.tolist(),
            "b": floats(model.intercept_),
        },
        comparison={
            "accuracy": {
                "lingrad (one argmax)": accuracy,
                "scikit-learn Perceptron (one-vs-rest)": float(sk.score(X, y)),
            },
            "agreement of the predictions": {
                "lingrad (one argmax)": float(
                    np.mean(model.predict(X) == sk.predict(X))
                )
            },
        },
        compared_with="scikit-learn's Perceptron (one-vs-rest)",
        notes=(
            "The K score columns compete in one argmax: a mistake raises the true "
            "class's score and lowers the winner's. scikit-learn's Perceptron trains "
            "K independent one-vs-rest perceptrons instead; both reach a similar "
            "accuracy on these blobs, with different boundaries."
        ),
    )


def softmax(run: DemoRun) -> DemoOutput:
    """Softmax regression with cross-entropy: gradient descent vs Newton vs sklearn."""
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    data = datasets.multiclass_blobs(n=150, n_classes=3, seed=0, spread=1.0)
    X, y = data.X, data.y
    lr, epochs = 2.0, run.pick(1000, 300)
    gd = SoftmaxRegression(
        solver="batch", lr=lr, penalty="none", max_iter=epochs, tol=None
    ).fit(X, y)
    newton = SoftmaxRegression(solver="newton", penalty="none", tol=1e-12).fit(X, y)
    sk = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    P_gd, P_nt, P_sk = gd.predict_proba(X), newton.predict_proba(X), sk.predict_proba(X)
    Y = one_hot(y, 3)

    def J(P: np.ndarray) -> float:
        return float(-np.mean(np.log(np.sum(P * Y, axis=1))))

    # the notes' unfused chain (Softmax node, then −Σ y log q) vs the fused
    # dJ/dz = q − y
    W, b = gd.coef_.T.copy(), gd.intercept_.copy()
    grads = []
    for chain, loss in (
        (Chain([Affine(W.copy(), b.copy()), Softmax()]), CrossEntropy()),
        (Chain([Affine(W.copy(), b.copy())]), CrossEntropy(from_logits=True)),
    ):
        loss.forward(chain.forward(X), Y)
        chain.backward(loss.backward())
        grads.append(chain.grads["affine.W"].copy())

    run.stage("drawing figures")
    fig = plot.plot_decision_boundary(
        gd, X, y, resolution=run.pick(200, 60), title="Softmax regression: argmax_k q_k"
    )
    run.save(fig, "decision_regions.png", "Class regions; colour strength = max_k q_k")
    epochs_axis = np.arange(1, gd.history_.n_epochs + 1)
    excess = np.maximum(gd.history_.epoch_loss - J(P_nt), 1e-16)  # J − J* ≥ 0
    fig = _figures.plot_curves(
        {"full-batch gradient descent: J − J* per epoch": (epochs_axis, excess)},
        whole_x=True,
        xlabel="epoch (one full-batch step each)",
        ylabel="excess loss J − J*  (J* = Newton's minimum)",
        logy=True,
        title=f"Batch gradient descent (lr = {lr}) converging to Newton's minimum",
    )
    run.save(fig, "loss.png", "Excess loss J − J* per epoch (log scale)")
    centred = {  # the softmax is unchanged by adding one vector to every θ_k
        name: c - c.mean(axis=0)
        for name, c in (("gd", gd.coef_), ("newton", newton.coef_), ("sk", sk.coef_))
    }
    return DemoOutput(
        title="Softmax regression (notes § Softmax)",
        model="q = softmax(xᵀΘ + b) over K = 3 classes, cross-entropy loss",
        equation=(
            "S(xθ_j) = e^(xθ_j) / Σ_k e^(xθ_k)\n"
            "log L = Σ_i Σ_j 1{y_i = j} log S(x_iθ_j);   J = −(1/N) log L\n"
            "∂q_y/∂z_k = q_y(1{k = y} − q_k)   (softmax Jacobian diag(q) − qqᵀ)\n"
            "∂J/∂z = q − y (fused),   ∂J/∂Θ = Xᵀ(q − Y) / N,   Θ := Θ − lr·∂J/∂Θ"
        ),
        data={
            "generator": "lingrad.datasets.multiclass_blobs(n=150, n_classes=3, "
            "seed=0, spread=1.0)",
            "description": data.description,
        },
        hyperparams={
            "solver": "full batch",
            "lr": lr,
            "epochs": epochs,
            "penalty": "none",
            "start": "Θ = 0",
        },
        metrics={
            "final loss J": J(P_gd),
            "accuracy": float(gd.score(X, y)),
            "max |P(GD) − P(Newton)|": float(np.abs(P_gd - P_nt).max()),
            "max |P(GD) − P(scikit-learn)|": float(np.abs(P_gd - P_sk).max()),
        },
        parameters={
            "Θ (rows = classes)": gd.coef_.tolist(),
            "b": floats(gd.intercept_),
        },
        comparison={
            "J": {
                "gradient descent": J(P_gd),
                "Newton": J(P_nt),
                "scikit-learn": J(P_sk),
            },
            "max |Θ − Θ(Newton)|, centred": {
                "gradient descent": float(
                    np.abs(centred["gd"] - centred["newton"]).max()
                ),
                "scikit-learn": float(np.abs(centred["sk"] - centred["newton"]).max()),
            },
            "max |∂J/∂Θ| unfused − fused": {
                "gradient descent": float(np.abs(grads[0] - grads[1]).max())
            },
        },
        compared_with="Newton's method (exact solver) and scikit-learn's "
        "LogisticRegression",
        notes=(
            "The blobs overlap (spread 1.0), so the likelihood has a finite maximum: "
            "gradient descent, lingrad's Newton solver and scikit-learn (no penalty) "
            "give the same probabilities. Θ itself is fixed only up to a vector added "
            "to every class, so the Θs are compared after centring. The last row "
            "checks the notes' derivation: backpropagating through the Softmax node "
            "and −Σ y log q gives the fused gradient q − y."
        ),
    )
