"""``lingrad fit``: train a model on a table and write model, metrics and report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lingrad.cli._choices import (
    Categorical,
    Engine,
    Impute,
    Optimizer,
    Penalty,
    Schedule,
    Solver,
)
from lingrad.cli._common import (
    choose_engine,
    debugging,
    parse_list,
    parse_params,
    stderr_is_terminal,
    usage_error,
    warn_line,
)
from lingrad.cli._report import print_summary
from lingrad.cli._text import (
    HashCategories,
    NFeatures,
    TextColumns,
    TextFeatures,
    TextFeaturesOption,
)
from lingrad.models.registry import model_spec

EPILOG = (
    "Examples:  lingrad fit --data houses.csv --target price --id id --exclude "
    "listed --impute median --model linear --scale --test-size 0.25 --out run1  |  "
    "lingrad fit --data sklearn:breast_cancer --model logistic --scale --test-size "
    "0.25 --seed 0 --out bc"
)
MODEL_OPTIONS = "Model options (left out: the model's defaults)"
SCALE = "Larger than memory"


def _value(choice: StrEnum | None) -> str | None:
    return None if choice is None else choice.value


def fit(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            "-d",
            help="CSV or Parquet file (header required), or built-in data: "
            "sklearn:breast_cancer, sklearn:diabetes, sklearn:digits, sklearn:wine, "
            "sklearn:iris, synthetic:linear, synthetic:logistic, synthetic:blobs, ...",
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="linear, logistic, bipolar, perceptron, multiclass-perceptron, "
            "softmax, two-layer or residual.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder: model.lingrad, metrics.json, history.npz, figures, "
            "report.html.",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (files: required)."),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(
            "--features", help="Comma-separated feature columns (default: all others)."
        ),
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(
            "--exclude",
            help="Comma-separated columns to leave out (e.g. a date column).",
        ),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="ID column: never a feature; predict writes it beside each "
            "prediction.",
        ),
    ] = None,
    scale: Annotated[
        bool,
        typer.Option(
            "--scale",
            help="Standardize the numeric features; the scaler is saved in the model.",
        ),
    ] = False,
    categorical: Annotated[
        Categorical,
        typer.Option(
            help="Text feature columns: auto (one-hot encoded, saved in the model) "
            "or error.",
        ),
    ] = Categorical.auto,
    categories: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help='JSON {"column": ["value", ...]} declaring every text column\'s '
            "categories (encoded sorted); a value not declared is an error at fit, "
            "an unknown one encodes as zeros at predict.",
        ),
    ] = None,
    impute: Annotated[
        Impute | None,
        typer.Option(
            help="Missing cells: fill with the column's mean, median or most "
            "frequent value (saved in the model), or drop the rows. Default: an "
            "error naming the cell.",
            show_default=False,
        ),
    ] = None,
    test_size: Annotated[
        float | None,
        typer.Option(
            "--test-size",
            min=0.0,
            max=1.0,
            help="Share of rows held out for test metrics (e.g. 0.25).",
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Seed of the initial parameters, the shuffling and the split.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = 0,
    solver: Annotated[
        Solver | None,
        typer.Option(
            help="sgd (one example per step), minibatch, batch, or where the model "
            "allows normal / lbfgs / newton.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option(min=0.0, help="Learning rate.", rich_help_panel=MODEL_OPTIONS),
    ] = None,
    schedule: Annotated[
        Schedule | None,
        typer.Option(
            help="Learning-rate schedule.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    optimizer: Annotated[
        Optimizer | None,
        typer.Option(
            help="Update rule.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1, help="Examples per minibatch step.", rich_help_panel=MODEL_OPTIONS
        ),
    ] = None,
    max_iter: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Maximum epochs (with --stream: passes over the file, default 5).",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    tol: Annotated[
        float | None,
        typer.Option(help="Convergence tolerance.", rich_help_panel=MODEL_OPTIONS),
    ] = None,
    penalty: Annotated[
        Penalty | None,
        typer.Option(
            help="Weight penalty.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(min=0.0, help="Penalty strength.", rich_help_panel=MODEL_OPTIONS),
    ] = None,
    l1_ratio: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of L1 in the elastic net.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    shuffle: Annotated[
        bool | None,
        typer.Option(
            "--shuffle/--no-shuffle",
            help="Reshuffle the rows every epoch (--no-shuffle: the data's order).",
            show_default=False,
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="Any other estimator parameter as KEY=VALUE (repeatable), e.g. "
            "--param n_hidden=16.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    stream: Annotated[
        bool | None,
        typer.Option(
            "--stream/--no-stream",
            help="Train batch by batch from the files, memory bounded by the batch "
            "(iterative solvers: shuffled epochs of partial_fit; normal / lbfgs / "
            "newton: the exact solve, one pass per iteration); default: for data "
            "over 1 GiB and for a folder or glob of files.",
            show_default=False,
            rich_help_panel=SCALE,
        ),
    ] = None,
    chunk_rows: Annotated[
        int,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="Rows per record batch with --stream.",
            rich_help_panel=SCALE,
        ),
    ] = 10_000,
    engine: Annotated[
        Engine,
        typer.Option(
            help="auto / nodes / compiled: how the estimator trains in memory (the "
            "node chain, or compiled kernels); dask: on a Dask cluster (a "
            "LocalCluster sized to this machine, or --scheduler), --data may be "
            "a folder or glob of files.",
            rich_help_panel=SCALE,
        ),
    ] = Engine.auto,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
            "(implies --engine dask).",
            rich_help_panel=SCALE,
        ),
    ] = None,
    text: TextColumns = None,
    text_features: TextFeaturesOption = TextFeatures.hash,
    n_features: NFeatures = None,
    hash_categories: HashCategories = False,
    draw: Annotated[
        bool,
        typer.Option("--figures/--no-figures", help="Draw the figures."),
    ] = True,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a non-empty --out folder (all of it, at once).",
        ),
    ] = False,
    boundary_features: Annotated[
        str | None,
        typer.Option(
            "--boundary-features",
            metavar="A,B",
            help="Draw the decision regions over these two feature columns, the "
            "others held at their means (default, past two features: a plane that "
            "agrees with the model on 95% of the rows, a linear model's weights' "
            "plane; the rows along the model's score where none does).",
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare/--no-compare",
            help="Also train scikit-learn's counterpart on the same split.",
        ),
    ] = True,
) -> None:
    """Train a model on a table and write model, metrics, figures and report.

    Writes into --out: model.lingrad (the model file), metrics.json (training and,
    with --test-size, held-out metrics), history.npz (the training History), the
    figures that fit the model, and report.html. A progress bar shows on a
    terminal. Built-in data by name works in place of a file.
    """
    from lingrad.workflows.fit import Columns, fit_table, should_stream
    from lingrad.workflows.outputs import finish
    from lingrad.workflows.staging import refuse_to_replace_input, staged_output
    from lingrad.workflows.tables import is_builtin
    from lingrad.workflows.text import text_options

    spec = model_spec(model)
    given: dict[str, object] = dict(
        solver=_value(solver), lr=lr, schedule=_value(schedule),
        optimizer=_value(optimizer), batch_size=batch_size, max_iter=max_iter,
        tol=tol, penalty=_value(penalty), alpha=alpha, l1_ratio=l1_ratio,
        shuffle=shuffle,
    )  # fmt: skip
    params = {k: v for k, v in given.items() if v is not None}
    params.update(parse_params(param or []))
    params["random_state"] = seed
    if (
        spec.name == "linear"
        and params.get("loss") == "huber"
        and "solver" not in params
    ):
        params["solver"] = "lbfgs"  # the default (normal) solves squared error only
    if test_size is not None and not 0.0 < test_size < 1.0:
        raise usage_error("must be between 0 and 1 (exclusive)", "--test-size")
    feature_list = parse_list(features)
    exclude_list = parse_list(exclude, "--exclude") or []
    if feature_list is not None and exclude_list:
        raise usage_error("give --features or --exclude, not both", "--exclude")
    builtin = is_builtin(data)
    use_dask, engine_param = choose_engine(engine.value, scheduler, stream, builtin)
    if engine_param is not None:
        params["engine"] = engine_param
    if stream is None and not use_dask:
        stream = should_stream(data)
    _check_reads(stream, use_dask, builtin, impute)
    how = "dask" if use_dask else "stream" if stream else "memory"
    text_opts = text_options(text, text_features.value, n_features, hash_categories)
    columns = Columns(target, feature_list, exclude_list, id_column,
                      categorical.value, _value(impute),
                      None if categories is None else str(categories),
                      text_opts)  # fmt: skip
    if force and not builtin:
        refuse_to_replace_input(out, Path(data))
    with staged_output(out, force=force) as stage:
        result, boundary = fit_table(
            spec, data, columns, params, how=how, scale=scale, test_size=test_size,
            seed=seed, chunk_rows=chunk_rows, scheduler=scheduler,
            boundary=boundary_features, progress=stderr_is_terminal(),
            debug=debugging(),
        )  # fmt: skip
        written = finish(
            result, stage, out, draw, scale, seed, compare=compare and how == "memory",
            boundary=boundary, warn=warn_line,
        )  # fmt: skip
    print_summary(result, written, out)


def _check_reads(
    stream: bool | None, use_dask: bool, builtin: bool, impute: Impute | None
) -> None:
    """What the streamed and Dask fits cannot read: usage errors."""
    if stream and builtin:
        raise usage_error(
            "--stream reads a file; built-in data fit in memory", "--stream"
        )
    if (stream or use_dask) and impute is Impute.median:
        how = "--engine dask" if use_dask else "--stream"
        raise usage_error(
            f"{how} reads the table in pieces, and a median needs every value of "
            "a column at once; use --impute mean or most_frequent, or fit in memory",
            "--impute",
        )
