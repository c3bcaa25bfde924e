"""``lingrad explain``: one training step written out as the lecture writes it.

Blocks, as in the lecture's code: ``# forward propagation``, ``# loss``,
``# jacobians``, ``# backpropagation``, ``# update``, each line a formula and its value
for one example.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lingrad.cli._common import echo
from lingrad.data.lectures import EXPLAIN as LECTURE
from lingrad.workflows.render import fmt, render

__all__ = ["EPILOG", "LECTURE", "MAX_STEP", "explain", "fmt"]

EPILOG = (
    "Examples:  lingrad explain  |  lingrad explain --model linear --step 3  |  "
    "lingrad explain --model softmax  |  lingrad explain --model logistic --data "
    "sklearn:breast_cancer --scale"
)
MAX_STEP = 10_000  # explain replays every earlier step one example at a time (~5 s)


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
        int | None,
        typer.Option(
            "--step",
            "-k",
            min=0,
            show_default=False,
            help="Explain update K (0: the first; at most 10000, as every earlier "
            "step is replayed one example at a time); examples in the data's order, "
            "per-sample SGD. Default: the first example with a non-zero gradient.",
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", min=0.0, help="Learning rate (default: the lecture's)."),
    ] = None,
    scale: Annotated[
        bool, typer.Option("--scale", help="Standardize the features first.")
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            show_default=False,
            help="Seed of the random initial parameters (the networks); refused "
            "where the start is not random.",
        ),
    ] = None,
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
    from lingrad.cli._common import parse_list, usage_error
    from lingrad.models.registry import model_spec
    from lingrad.workflows.explain import explain_step

    spec = model_spec(model)
    if step is not None and step > MAX_STEP:
        raise usage_error(
            f"{step} is past the limit of {MAX_STEP}: explain replays every earlier "
            "step one example at a time",
            "--step",
        )
    w, source, n_rows = explain_step(
        spec, data, target, parse_list(features), scale=scale, penalty=penalty,
        alpha=alpha, lr=lr, seed=seed, step=step,
    )  # fmt: skip
    echo(render(w, source + (" (standardized)" if scale else ""), n_rows))
