"""``lingrad explain``: one training step written out as the lecture writes it.

Blocks, as in the lecture's code: ``# forward propagation``, ``# loss``,
``# jacobians``, ``# backpropagation``, ``# update``, each line a formula and its value
for one example.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from lingrad.cli._common import echo
from lingrad.cli._render import fmt, render

__all__ = ["EPILOG", "LECTURE", "explain", "fmt"]

EPILOG = (
    "Examples:  lingrad explain  |  lingrad explain --model linear --step 3  |  "
    "lingrad explain --model softmax  |  lingrad explain --model logistic --data "
    "sklearn:breast_cancer --scale"
)

# model -> (the lecture's data for it, the lecture's learning rate or None)
LECTURE = {
    "linear": ("synthetic:linear-1d", 0.01),
    "logistic": ("synthetic:logistic-1d", 0.1),
    "bipolar": ("synthetic:bipolar", 0.1),
    "perceptron": ("synthetic:perceptron", 1.0),
    "multiclass-perceptron": ("synthetic:blobs", 1.0),
    "softmax": ("synthetic:blobs", 0.1),
    "two-layer": ("synthetic:moons", 0.1),
    "residual": ("synthetic:residual", 0.1),
}


def explain(
    model: Annotated[
        str,
        typer.Option(
            "--model", "-m", help="The model to explain (see lingrad fit --help)."
        ),
    ] = "logistic",
    data: Annotated[
        str | None,
        typer.Option(
            "--data", "-d", help="A file or built-in data (default: the lecture's)."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column of a file.")
    ] = None,
    features: Annotated[
        str | None, typer.Option("--features", help="Comma-separated feature columns.")
    ] = None,
    step: Annotated[
        int,
        typer.Option(
            "--step",
            "-k",
            min=0,
            help="Explain update K (0: the first); "
            "examples in the data's order, per-sample SGD.",
        ),
    ] = 0,
    lr: Annotated[
        float | None,
        typer.Option("--lr", min=0.0, help="Learning rate (default: the lecture's)."),
    ] = None,
    scale: Annotated[
        bool, typer.Option("--scale", help="Standardize the features first.")
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the initial parameters.")
    ] = 0,
    penalty: Annotated[
        str,
        typer.Option(
            "--penalty", help="none (the lecture's loop), l1, l2 or elasticnet."
        ),
    ] = "none",
    alpha: Annotated[
        float | None, typer.Option("--alpha", min=0.0, help="Penalty strength.")
    ] = None,
) -> None:
    """Write out one training step as the lecture writes it.

    For one example: forward propagation, the loss, each local Jacobian with its
    formula, the chain-rule products of backpropagation, the gradient and the
    update. Default: the lecture's data, initial values and learning rate.
    """
    from lingrad.cli import _data
    from lingrad.cli._common import model_spec, parse_list, usage_error
    from lingrad.cli._walk import walk

    spec = model_spec(model)
    lecture_data, lecture_lr = LECTURE[spec.name]
    source = data or lecture_data
    table = _data.load(source, target, parse_list(features))
    y, classes = _data.check_target(spec, table.y, table)
    if classes is not None:
        _data.check_binary(spec, classes, table)
    X = np.asarray(table.X, dtype=np.float64)
    if scale:
        from sklearn.preprocessing import scale as standardize

        X = standardize(X)  # (X - mean) / std, a constant column divided by 1
    init = None
    if data is None or data == lecture_data:
        from lingrad.datasets import SYNTHETIC

        d = SYNTHETIC[lecture_data.split(":", 1)[1]]()
        if d.init_W is not None and not scale:
            init = (d.init_W, d.init_b)
    if penalty not in ("none", "l1", "l2", "elasticnet"):
        raise usage_error("choose none, l1, l2 or elasticnet", "--penalty")
    params: dict[str, Any] = {"random_state": seed, "penalty": penalty}
    if alpha is not None:
        params["alpha"] = alpha
    est = spec.cls()(**params)
    rate = lr if lr is not None else (lecture_lr if data is None else est.lr)
    w = walk(spec, est, X, y, step=step, lr=rate, seed=seed, init=init)
    echo(render(w, source + (" (standardized)" if scale else ""), len(X)))
