"""``lingrad fit``: train a model on a table and write model, metrics and report."""

from __future__ import annotations

import ast
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import model_spec, parse_list, usage_error

EPILOG = (
    "Examples:  lingrad fit --data houses.csv --target price --id id --exclude "
    "listed --impute median --model linear --scale --test-size 0.25 --out run1  |  "
    "lingrad fit --data sklearn:breast_cancer --model logistic --scale --test-size "
    "0.25 --seed 0 --out bc"
)
MODEL_OPTIONS = "Model options (left out: the model's defaults)"


def _choices(name: str, values: str) -> type[Enum]:
    return Enum(name, {v: v for v in values.split()}, type=str)  # type: ignore[return-value]


Solver = _choices("Solver", "sgd minibatch batch normal lbfgs newton")
Schedule = _choices(
    "Schedule", "constant invscaling inverse_time step exponential adaptive"
)
Penalty = _choices("Penalty", "none l1 l2 elasticnet")
Optimizer = _choices("Optimizer", "gd momentum nesterov adam")
Categorical = _choices("Categorical", "auto error")
Impute = _choices("Impute", "mean median most_frequent drop")
Engine = _choices("Engine", "auto nodes compiled dask")
SCALE = "Larger than memory"


def _literal(text: str) -> Any:
    """``--param`` values: numbers, true/false/none, tuples and lists, else text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _value(choice: Any) -> Any:
    return choice.value if isinstance(choice, Enum) else choice


def _extra_params(pairs: list[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise usage_error(f"expected KEY=VALUE, got {pair!r}", "--param")
        out[key.strip()] = _literal(value)
    return out


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
        Categorical,  # type: ignore[valid-type]
        typer.Option(
            help="Text feature columns: auto (one-hot encoded, saved in the model) "
            "or error.",
        ),
    ] = "auto",  # type: ignore[assignment]
    impute: Annotated[
        Impute | None,  # type: ignore[valid-type]
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
        Solver | None,  # type: ignore[valid-type]
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
        Schedule | None,  # type: ignore[valid-type]
        typer.Option(
            help="Learning-rate schedule.",
            rich_help_panel=MODEL_OPTIONS,
        ),
    ] = None,
    optimizer: Annotated[
        Optimizer | None,  # type: ignore[valid-type]
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
        Penalty | None,  # type: ignore[valid-type]
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
        Engine,  # type: ignore[valid-type]
        typer.Option(
            help="auto / nodes / compiled: how the estimator trains in memory (the "
            "node chain, or compiled kernels); dask: on a Dask cluster (a "
            "LocalCluster sized to this machine, or --scheduler), --data may be "
            "a folder or glob of files.",
            rich_help_panel=SCALE,
        ),
    ] = "auto",  # type: ignore[assignment]
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
            "(implies --engine dask).",
            rich_help_panel=SCALE,
        ),
    ] = None,
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
    from lingrad.cli import _data, _stream, _train

    spec = model_spec(model)
    given: dict[str, Any] = {
        "solver": _value(solver),
        "lr": lr,
        "schedule": _value(schedule),
        "optimizer": _value(optimizer),
        "batch_size": batch_size,
        "max_iter": max_iter,
        "tol": tol,
        "penalty": _value(penalty),
        "alpha": alpha,
        "l1_ratio": l1_ratio,
        "shuffle": shuffle,
    }
    params = {k: v for k, v in given.items() if v is not None}
    params.update(_extra_params(param or []))
    params["random_state"] = seed
    if test_size is not None and not 0.0 < test_size < 1.0:
        raise usage_error("must be between 0 and 1 (exclusive)", "--test-size")
    feature_list = parse_list(features)
    exclude_list = parse_list(exclude, "--exclude") or []
    if feature_list is not None and exclude_list:
        raise usage_error("give --features or --exclude, not both", "--exclude")
    builtin = _data.is_builtin(data)
    use_dask, engine_param = _engine(_value(engine), scheduler, stream, builtin)
    if engine_param is not None:
        params["engine"] = engine_param
    if stream is None and not use_dask:
        stream = _big_or_many(data, builtin)
    if stream and builtin:
        raise usage_error(
            "--stream reads a file; built-in data fit in memory", "--stream"
        )
    if stream and (id_column is not None or impute is not None):
        raise usage_error(
            "--stream reads numeric columns only; leave out --id and --impute",
            "--stream",
        )
    if use_dask and impute is not None:  # missing cells are refused, as streamed
        raise usage_error(
            "--engine dask reads complete rows only; leave out --impute (it needs "
            "the table in memory)",
            "--impute",
        )

    from lingrad.cli._outputs import finish, print_summary
    from lingrad.cli._report_figures import boundary_features as parse_boundary
    from lingrad.cli._staging import refuse_to_replace_input, staged_output

    if force and not builtin:
        refuse_to_replace_input(out, Path(data))
    with staged_output(out, force=force) as stage:
        if use_dask:
            from lingrad.cli._dask import fit_dask, need_dask

            need_dask()
            if target is None:
                raise usage_error("--engine dask needs --target COLUMN", "--target")
            if exclude_list:
                feature_list = _data.features_but(
                    _first_file(data), target, exclude_list
                )
            result = fit_dask(
                spec, data, target, feature_list, _train.estimator_params(spec, params),
                scale=scale, test_size=test_size, seed=seed, scheduler=scheduler,
            )  # fmt: skip
            result.meta.update(test_size=test_size, seed=seed, split="dask")
            compare = False
            boundary = parse_boundary(boundary_features, result.feature_names)
        elif stream:
            if target is None:
                raise usage_error("--stream needs --target COLUMN", "--target")
            if exclude_list:
                feature_list = _data.features_but(
                    _first_file(data), target, exclude_list
                )
            params = _train.estimator_params(spec, params)
            solver = spec.cls()(**params).solver
            # iterative solvers: --max-iter counts passes over the file (default 5)
            epochs = params.pop("max_iter", 5) if solver in _train.ITERATIVE else 1
            result = _stream.fit_streaming(
                spec,
                data,
                target,
                feature_list,
                params,
                scale=scale,
                test_size=test_size,
                seed=seed,
                chunk_rows=chunk_rows,
                epochs=epochs,
            )
            result.meta.update(
                test_size=test_size, seed=seed, split="stream", chunk_rows=chunk_rows
            )
            compare = False
            boundary = parse_boundary(boundary_features, result.feature_names)
        else:
            table = _data.load(
                data,
                target,
                feature_list,
                exclude=exclude_list,
                id_column=id_column,
                categorical=_value(categorical),
                missing={None: "error", "drop": "drop"}.get(_value(impute), "keep"),
            )
            boundary = parse_boundary(boundary_features, table.feature_names)
            params = _train.estimator_params(spec, params)
            result = _train.fit_in_memory(
                spec,
                table,
                params,
                scale=scale,
                test_size=test_size,
                seed=seed,
                impute=_value(impute),
            )
        written = finish(
            result, stage, out, draw, scale, seed, compare=compare, boundary=boundary
        )
    print_summary(result, written, out)


def _engine(
    engine: str, scheduler: str | None, stream: bool | None, builtin: bool
) -> tuple[bool, str | None]:
    """(train on Dask?, the estimators' ``engine`` parameter or None)."""
    if scheduler is not None and engine not in ("auto", "dask"):
        raise usage_error("--scheduler trains on Dask: use --engine dask", "--engine")
    if engine == "dask" or scheduler is not None:
        if stream:
            raise usage_error(
                "--stream and --engine dask exclude each other", "--stream"
            )
        if builtin:
            raise usage_error(
                "--engine dask reads files; built-in data fit in memory", "--engine"
            )
        return True, None
    return False, None if engine == "auto" else engine


def _big_or_many(data: str, builtin: bool) -> bool:
    """Stream by default: a folder or glob of files, or data over 1 GiB."""
    from lingrad.cli import _data

    if builtin:
        return False
    from lingrad.scale.tablefiles import is_many

    return is_many(data) or _data.file_size(data) > _data.STREAM_THRESHOLD


def _first_file(data: str) -> str:
    """The first file of a folder or glob (its header names the columns)."""
    from lingrad.scale.tablefiles import list_files

    return str(list_files(data)[0])
