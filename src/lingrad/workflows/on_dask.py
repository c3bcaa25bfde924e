"""Fit on a Dask cluster (``lingrad fit --engine dask``).

The table (a file, a folder or a glob of files) becomes Dask arrays with one
block per piece (a Parquet row group or a CSV file), read and checked on the
workers (a bad cell names its file, column and row). The cluster is a
``LocalCluster`` sized to this machine, listening on 127.0.0.1 only and
logging to a file (the terminal shows one-line errors; ``--debug`` its logs),
or the one at ``--scheduler``. The
estimator's own ``fit`` trains on the blocks (lingrad.scale), with a progress
bar as blocks complete; ``--scale`` standardizes with the mean and deviation
of one pass; the metrics are reduced from per-block predictions (the
predictions travel, not X).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lingrad.errors import UsageError
from lingrad.models.registry import ModelSpec
from lingrad.workflows.memory import (
    FitResult,
    Params,
    effective_params,
    final_estimator,
    fit_call,
    make_estimator,
    restore_verbosity,
    summarize,
)
from lingrad.workflows.metrics import Metrics, metrics_for
from lingrad.workflows.progress import Bar
from lingrad.workflows.tables import check_binary, table_data
from lingrad.workflows.types import Reading

if TYPE_CHECKING:
    from distributed import Client
    from sklearn.preprocessing import StandardScaler

    from lingrad.core.nodes import Array, SparseRows
    from lingrad.data.frame import Layout
    from lingrad.scale.stream import Table
    from lingrad.scale.tablefiles import Piece
    from lingrad.scale.types import DaskArray
    from lingrad.workflows.categories import Raw
    from lingrad.workflows.types import Features, Model, Values


def need_dask() -> None:
    """Import Dask, or a :class:`UsageError` saying how to install it."""
    from lingrad.scale import INSTALL_HINT, require_dask

    try:
        require_dask()
    except ImportError:
        raise UsageError(
            f"--engine dask needs Dask; install it with: {INSTALL_HINT}", "--engine"
        ) from None


LOOPBACK = "127.0.0.1"  # the local cluster's every socket: not reachable from outside


def log_path() -> Path:
    """Where a local cluster's logs go without ``--debug``: one file per run."""
    return Path(tempfile.gettempdir()) / f"lingrad-dask-{os.getpid()}.log"


@contextlib.contextmanager
def cluster(scheduler: str | None, debug: bool = False) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a LocalCluster of this machine.

    The LocalCluster is one worker whose threads (one per core) run in this
    process; it (scheduler, worker, dashboard) listens on 127.0.0.1 only. On
    one machine, worker processes would only add their start (each importing
    lingrad and loading its kernels) and the pickling of the blocks and of the
    model a stochastic fit carries from block to block.
    Its logs (a failed task's traceback, a closing cluster's heartbeats) go to
    :func:`log_path`, or with ``--debug`` to the terminal (``debug``): a user
    sees the one-line error, not the workers' logs.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            raise UsageError(
                f"cannot reach the Dask scheduler at {scheduler} ({e}); start one "
                "with 'dask scheduler' and workers with 'dask worker ADDRESS'",
                "--scheduler",
            ) from None
        with client:
            yield client
        return
    with contextlib.ExitStack() as stack:
        if not debug:
            from lingrad.scale.dask_logs import logs_to_file

            stack.callback(logs_to_file(log_path()))
            stack.enter_context(warnings.catch_warnings())
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        local = LocalCluster(
            n_workers=1, threads_per_worker=os.cpu_count() or 1, processes=False,
            protocol="tcp://", host=LOOPBACK, dashboard_address=f"{LOOPBACK}:0",
            silence_logs=logging.WARNING if debug else logging.ERROR,
        )  # fmt: skip
        stack.enter_context(local)
        yield stack.enter_context(Client(local))


def read_part(
    piece: Piece, target: str, features: list[str], part: str, seed: int,
    test_size: float | None, classify: bool, layout: Layout | None = None,
    missing: str = "error", transform: Callable[[Raw], Features] | None = None,
    width: int | None = None, sparse: bool = False,
) -> tuple[Features, Values]:  # fmt: skip
    """A piece's training or held-out rows, checked, on a worker; ``layout``,
    ``missing``: read as :class:`~lingrad.scale.stream.Table` reads them,
    ``transform``: the fitted preprocessing (raw X -> the model's ``width``
    inputs; ``sparse``: a CSR matrix, stacked as one)."""
    from lingrad.data.targets import as_regression_target, check_labels
    from lingrad.scale.stream import Table

    table = Table([piece], target, features, batch_rows=1 << 16, seed=seed,
                  test_size=test_size, layout=layout, missing=missing)  # fmt: skip
    Xs, ys = [], []
    for X, y, _, rows, test, _ in table.frames():
        check = check_labels if classify else as_regression_target
        y = check(y, piece.path, target, int(rows[0]) if len(rows) else 0)
        keep = test if part == "test" else ~test
        if keep.any():
            Xs.append(X[keep] if transform is None else transform(X[keep]))
            ys.append(y[keep])
    width = len(features) if width is None else width
    if sparse:
        import scipy.sparse as sp

        X = sp.vstack(Xs, format="csr") if Xs else sp.csr_matrix((0, width))
        return X, np.concatenate(ys) if ys else np.empty(0)
    if not Xs:
        return np.empty((0, width)), np.empty(0)
    return np.concatenate(Xs), np.concatenate(ys)


def _arrays(
    pieces: list[Piece], part: str, width: int, **kw: object
) -> tuple[DaskArray, DaskArray]:
    """X and y of ``part``'s rows, a block per piece (X's blocks CSR when sparse)."""
    import dask.array as da
    from dask.delayed import delayed

    read = delayed(read_part, pure=True, nout=2)
    meta = None
    if kw.get("sparse"):
        import scipy.sparse as sp

        meta = sp.csr_matrix((0, width))
    Xs, ys = [], []
    for piece in pieces:
        X, y = read(piece, part=part, width=width, **kw)
        Xs.append(da.from_delayed(X, shape=(np.nan, width), dtype=np.float64,
                                  meta=meta))  # fmt: skip
        ys.append(da.from_delayed(y, shape=(np.nan,), dtype=object))
    return da.concatenate(Xs), da.concatenate(ys)


def fit_dask(
    spec: ModelSpec,
    source: str,
    target: str,
    features: list[str] | None,
    params: Params,
    *,
    scale: bool,
    test_size: float | None,
    seed: int,
    scheduler: str | None,
    progress: bool = False,
    debug: bool = False,
    reading: Reading | None = None,
) -> FitResult:
    """Train on the cluster; the metrics of the training and held-out rows.

    ``progress``: a bar on stderr; ``debug``: the local cluster logs to stderr.
    """
    need_dask()
    from lingrad.scale.dask_rows import fits_in_cluster
    from lingrad.scale.progress import on_progress
    from lingrad.scale.tablefiles import total_bytes
    from lingrad.workflows.prep import (
        MISSING,
        First,
        first_pass,
        open_table,
        table_meta,
    )

    reading = reading or {}
    impute = reading.get("impute")
    table = open_table(source, target, features, reading, test_size=test_size,
                       seed=seed, batch_rows=1 << 16)  # fmt: skip
    pieces, names, layout = table.pieces, table.features, table.layout
    files = sorted({p.path for p in pieces})
    est_params = dict(params)
    est_params.setdefault("random_state", seed)
    model = make_estimator(spec, est_params, scale, layout, reading)
    est = final_estimator(model)
    first, scorer = First(), model
    first.n_inputs = len(names)
    if layout is not None:  # text, IDs, missing cells: a pass here fits the prep
        first = first_pass(spec, table, model, scale, impute, reading.get("text"))
        scorer = est  # the workers send the model's inputs, not the raw rows
    text = reading.get("text")
    width = first.n_inputs
    kw = dict(target=target, features=names, seed=seed, test_size=test_size,
              classify=spec.is_classifier, layout=layout,
              missing=MISSING.get(impute, "keep"), transform=first.transform,
              sparse=bool(text and text.sparse))  # fmt: skip
    bar = Bar(None, f"dask: blocks done ({len(pieces)} per pass)", show=progress)
    with cluster(scheduler, debug) as client, bar, on_progress(bar):
        X, y = _arrays(pieces, "train", width, **kw)
        if fits_in_cluster(client, 2 * total_bytes(files)):  # decoded: ~2x the files
            X, y = client.persist([X, y])  # read once, held by the workers
        X, y = X.compute_chunk_sizes(), y.compute_chunk_sizes()
        Xf = X
        if scale and layout is None:
            Xf = _standardize(model.steps[0][1], X)
        fit_call(spec, est.fit, Xf, y)
        classes = getattr(est, "classes_", None)
        data = table_data(table, source)
        if classes is not None:
            check_binary(spec, classes, data)
        metrics = {"train": _metrics(client, spec, scorer, X, y, classes)}
        n_train = metrics["train"]["n"]
        n_test = 0
        if test_size:
            Xt, yt = _arrays(pieces, "test", width, **kw)
            metrics["test"] = _metrics(client, spec, scorer, Xt, yt, classes)
            n_test = metrics["test"]["n"]
        sample = _sample(client, X, y) if layout is None else _raw_sample(table)
        workers = len(client.scheduler_info().get("workers", {}))
    restore_verbosity(model, est_params)
    summary = summarize(data, n_train, n_test, classes)
    summary.update({"Dask blocks (files, Parquet row groups)": len(pieces),
                    "Dask workers": workers})  # fmt: skip
    how = (
        f"solver {est.solver!r} on a Dask cluster of {workers} workers "
        f"({'scheduler ' + scheduler if scheduler else 'a LocalCluster'}), "
        f"{len(pieces)} blocks"
    )
    notes = [f"Trained with Dask: {how}. The figures show the first block."]
    if scheduler is None and log_path().exists():
        notes.append(f"The local Dask cluster's logs are in {log_path()}.")
    result = FitResult(
        model, spec, effective_params(spec, est_params, scale), list(names), target,
        metrics, summary, history=getattr(est, "history_", None),
        X_sample=sample[0], y_sample=sample[1],
        notes=notes,
    )  # fmt: skip
    result.meta.update(table_meta(table, first, impute))
    return result


def _raw_sample(table: Table) -> tuple[Array | None, Array | None]:
    """The first training batch as read (for the figures, which apply the model)."""
    for X, y, _, _ in table.batches("train"):
        return X, y
    return None, None


def _standardize(scaler: StandardScaler, X: DaskArray) -> DaskArray:
    """Fit ``scaler`` (StandardScaler) in one pass over X; X standardized, lazily."""
    import dask.array as da

    mean, var = da.compute(X.mean(axis=0), X.var(axis=0))
    scale = np.sqrt(var)
    scaler.mean_, scaler.var_ = mean, var
    scaler.scale_ = np.where(scale > 0, scale, 1.0)
    scaler.n_samples_seen_ = int(X.shape[0])
    scaler.n_features_in_ = X.shape[1]
    return (X - mean) / scaler.scale_


def _predict_block(
    model: Model, X: Array | SparseRows, y: Values, proba: bool
) -> tuple[Values, Values, Array | None]:
    if not X.shape[0]:
        return y, y, None
    return y, model.predict(X), model.predict_proba(X) if proba else None


def _metrics(
    client: Client,
    spec: ModelSpec,
    model: Model,
    X: DaskArray,
    y: DaskArray,
    classes: Values | None,
) -> Metrics:
    """The model's metrics on (X, y): per-block predictions, gathered block by block."""
    from dask.delayed import delayed
    from distributed import as_completed

    acc = metrics_for(classes)
    proba = spec.is_classifier and hasattr(model, "predict_proba")
    call = delayed(_predict_block, pure=True)
    from lingrad.scale.dask_predict import for_prediction

    shared = delayed(for_prediction(model), pure=False)  # once, not per block
    parts = [
        call(shared, xb, yb, proba)
        for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True)
    ]
    for future in as_completed(client.compute(parts)):
        y_b, pred, P = future.result()
        if len(y_b):
            acc.update(y_b, pred, P)
    return acc.result()


def _sample(
    client: Client, X: DaskArray, y: DaskArray
) -> tuple[Array | SparseRows | None, Values | None]:
    """The first non-empty block's rows (for the figures)."""
    for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True):
        Xs, ys = client.compute([xb, yb], sync=True)
        if Xs.shape[0]:
            return Xs, ys
    return None, None
