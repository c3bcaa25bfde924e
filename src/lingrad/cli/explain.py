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
    "sklearn:breast_cancer --scale  |  lingrad explain --data examples/reviews.csv "
    "--target sentiment --id id --text review"
)
TEXT = "Text"
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
    exclude: Annotated[
        str | None,
        typer.Option("--exclude", help="Comma-separated columns to leave out."),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id", help="ID column: never a feature; named beside the example."
        ),
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
    text: Annotated[
        list[str] | None,
        typer.Option(
            "--text",
            metavar="COLUMN",
            help="A free-text column (repeatable): its words become sparse features, "
            "as lingrad fit --text makes them; the step is written out on x's "
            "nonzeros and the weights they touch, each named.",
            show_default=False,
            rich_help_panel=TEXT,
        ),
    ] = None,
    text_features: Annotated[
        str,
        typer.Option(
            "--text-features",
            help="hash (each word hashed to one of --n-features columns) or tfidf "
            "(the rows' vocabulary, TF-IDF weighted).",
            rich_help_panel=TEXT,
        ),
    ] = "hash",
    n_features: Annotated[
        int | None,
        typer.Option(
            "--n-features",
            min=1,
            help="Hashing width (default 2^20 = 1048576).",
            show_default=False,
            rich_help_panel=TEXT,
        ),
    ] = None,
    hash_categories: Annotated[
        bool,
        typer.Option(
            "--hash-categories",
            help="Hash each category (text) column's value into --n-features "
            "columns instead of one-hot encoding it.",
            rich_help_panel=TEXT,
        ),
    ] = False,
) -> None:
    """Write out one training step as the lecture writes it.

    For one example: forward propagation, the loss, each local Jacobian with its
    formula, the chain-rule products of backpropagation, the gradient and the
    update. Default: the lecture's data, initial values and learning rate.
    With --text: on the nonzeros of x and the weights they touch, by name.
    """
    from lingrad.cli._common import parse_list, usage_error
    from lingrad.models.registry import model_spec
    from lingrad.workflows.explain import explain_step
    from lingrad.workflows.text import text_options

    spec = model_spec(model)
    feature_list = parse_list(features)
    exclude_list = parse_list(exclude, "--exclude") or []
    if feature_list is not None and exclude_list:
        raise usage_error("give --features or --exclude, not both", "--exclude")
    text_opts = text_options(text, text_features, n_features, hash_categories)
    if step is not None and step > MAX_STEP:
        raise usage_error(
            f"{step} is past the limit of {MAX_STEP}: explain replays every earlier "
            "step one example at a time",
            "--step",
        )
    w, source, n_rows = explain_step(
        spec, data, target, feature_list, scale=scale, penalty=penalty,
        alpha=alpha, lr=lr, seed=seed, step=step, text=text_opts,
        id_column=id_column, exclude=exclude_list,
    )  # fmt: skip
    echo(render(w, source + (" (standardized)" if scale else ""), n_rows))
