"""Fit a model on a table: in memory, streamed from files, or on a Dask cluster.

:func:`fit_table` is ``lingrad fit`` without its options and printing: it reads
the table the way ``how`` says, trains, and returns the :class:`FitResult` that
:func:`lingrad.workflows.outputs.finish` writes. Option values that cannot work
together raise :class:`~lingrad.errors.UsageError` naming the option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lingrad.data.split import SPLIT
from lingrad.errors import UsageError
from lingrad.models.registry import ModelSpec
from lingrad.workflows.memory import ITERATIVE, FitResult, Params, estimator_params
from lingrad.workflows.text import (
    NO_TEXT,
    TextOptions,
    check_columns,
    quiet_about_encoding,
    text_summary,
)
from lingrad.workflows.types import Reading

if TYPE_CHECKING:
    from lingrad.workflows.categories import Declared

HOW = ("memory", "stream", "dask")


@dataclass(frozen=True)
class Columns:
    """Which columns of the table are what (``--target``, ``--features``, ...)."""

    target: str | None = None
    features: list[str] | None = None
    exclude: Sequence[str] = ()
    id_column: str | None = None
    categorical: str = "auto"  # text feature columns: "auto" (one-hot) or "error"
    impute: str | None = None  # None (refuse), mean / median / most_frequent, drop
    categories: str | None = None  # --categories FILE (None: from the data)
    text: TextOptions = NO_TEXT  # --text columns, --hash-categories


def should_stream(data: str) -> bool:
    """Stream by default: a folder or glob of files, or a file over 1 GiB."""
    from lingrad.scale.tablefiles import is_many
    from lingrad.workflows.tables import STREAM_THRESHOLD, file_size, is_builtin

    if is_builtin(data):
        return False
    return is_many(data) or file_size(data) > STREAM_THRESHOLD


def fit_table(
    spec: ModelSpec,
    data: str,
    columns: Columns,
    params: Params,
    *,
    how: str = "memory",
    scale: bool = False,
    test_size: float | None = None,
    seed: int = 0,
    chunk_rows: int = 10_000,
    scheduler: str | None = None,
    boundary: str | None = None,
    progress: bool = False,
    debug: bool = False,
) -> tuple[FitResult, tuple[int, int] | None]:
    """Train ``spec`` with ``params`` on ``data``; returns the result and the
    ``boundary`` feature pair (``"A,B"``) as two column indices.

    ``how``: ``"memory"`` (the table in memory), ``"stream"`` (batch by batch
    from the files; iterative solvers: ``max_iter`` passes, default 5) or
    ``"dask"`` (on the cluster at ``scheduler``, or a local one). ``progress``:
    a bar on stderr; ``debug``: a local Dask cluster logs to stderr.
    """
    from lingrad.workflows.figures import boundary_features

    if how == "memory":
        return _in_memory(spec, data, columns, params, scale, test_size, seed,
                          boundary, progress)  # fmt: skip
    if how == "dask":
        from lingrad.workflows.on_dask import fit_dask, need_dask

        need_dask()
        target = _target(columns, "--engine dask")
        result = fit_dask(
            spec, data, target, _features(data, columns, target),
            estimator_params(spec, params), scale=scale, test_size=test_size,
            seed=seed, scheduler=scheduler, progress=progress, debug=debug,
            reading=_reading(columns),
        )  # fmt: skip
    elif how == "stream":
        from lingrad.workflows.stream import fit_streaming

        target = _target(columns, "--stream")
        features = _features(data, columns, target)
        params = estimator_params(spec, params)
        solver = spec.cls()(**params).solver
        # iterative solvers: max_iter counts passes over the file (default 5)
        epochs = params.pop("max_iter", 5) if solver in ITERATIVE else 1
        if not isinstance(epochs, int):
            raise UsageError(
                f"max_iter must be a whole number, got {epochs!r}", "--param"
            )
        result = fit_streaming(
            spec, data, target, features, params, scale=scale, test_size=test_size,
            seed=seed, chunk_rows=chunk_rows, epochs=epochs, progress=progress,
            reading=_reading(columns),
        )  # fmt: skip
        result.meta.update(chunk_rows=chunk_rows)
    else:
        raise ValueError(f"how must be one of {HOW}, got {how!r}")
    text_summary(result, columns.text)
    result.meta.update(test_size=test_size, seed=seed, split=SPLIT)
    return result, boundary_features(boundary, result.feature_names)


def _in_memory(
    spec: ModelSpec, data: str, columns: Columns, params: Params,
    scale: bool, test_size: float | None, seed: int, boundary: str | None,
    progress: bool,
) -> tuple[FitResult, tuple[int, int] | None]:  # fmt: skip
    from lingrad.workflows.categories import check_declared, refuse_undeclared
    from lingrad.workflows.figures import boundary_features
    from lingrad.workflows.memory import fit_in_memory
    from lingrad.workflows.tables import load

    impute = columns.impute
    with quiet_about_encoding(columns.text):
        table = load(
            data, columns.target, columns.features, exclude=list(columns.exclude),
            id_column=columns.id_column, categorical=columns.categorical,
            missing={None: "error", "drop": "drop"}.get(impute, "keep"),
        )  # fmt: skip
    pair = boundary_features(boundary, table.feature_names)  # before training
    check_columns(columns.text, table.feature_names, table.categorical, data)
    declared = _declared(columns)
    categories = check_declared(declared, table.feature_names, table.categorical)
    if declared is not None:
        from lingrad.data.table import text_objects

        assert table.X is not None  # read whole
        text = text_objects(table.X, table.categorical, table.feature_names)
        rows = table.rows if table.rows is not None else range(len(table.X))
        refuse_undeclared(declared, text, table.categorical, rows, table.source)
    result = fit_in_memory(
        spec, table, estimator_params(spec, params), scale=scale,
        test_size=test_size, seed=seed, impute=impute, progress=progress,
        categories=categories, text=columns.text,
    )  # fmt: skip
    text_summary(result, columns.text)
    return result, pair


def _reading(columns: Columns) -> Reading:
    """How the streamed and Dask engines read the table's cells."""
    return Reading(id_column=columns.id_column, impute=columns.impute,
                   categorical=columns.categorical,
                   categories=_declared(columns), text=columns.text)  # fmt: skip


def _declared(columns: Columns) -> Declared | None:
    """The ``--categories`` file read (a :class:`~lingrad.workflows.prep.Declared`),
    or None."""
    from lingrad.workflows.categories import read_categories

    return None if columns.categories is None else read_categories(columns.categories)


def _target(columns: Columns, how: str) -> str:
    if columns.target is None:
        raise UsageError(f"{how} needs --target COLUMN", "--target")
    return columns.target


def _features(data: str, columns: Columns, target: str) -> list[str] | None:
    """The feature columns of a folder or glob of files (its first file's header
    names the columns): ``--features``, or every column but the target, the ID
    and ``--exclude``."""
    if not columns.exclude and columns.id_column is None:
        return columns.features
    from lingrad.data.frame import choose_features
    from lingrad.data.io import columns as header
    from lingrad.scale.tablefiles import list_files

    first = str(list_files(data)[0])
    return choose_features(header(first), first, target, columns.features,
                           columns.exclude, columns.id_column)  # fmt: skip
