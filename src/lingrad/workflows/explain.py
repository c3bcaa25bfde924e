"""``lingrad explain`` without its printing: the data, the estimator and the start
of the lecture (or the user's), and the :class:`~lingrad.workflows.walk.Walk` of
one per-example step. Text columns (``--text``, ``--hash-categories``) become the
sparse features ``lingrad fit`` makes of them (its Pipeline's prep step), each
column named as ``weights.png`` names it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lingrad.data.lectures import EXPLAIN as LECTURE
from lingrad.errors import DataError, UsageError
from lingrad.models.registry import ModelSpec
from lingrad.workflows import tables
from lingrad.workflows.text import NO_TEXT, TextOptions
from lingrad.workflows.walk import Walk, random_start, walk

if TYPE_CHECKING:
    from lingrad.core.chain import Chain
    from lingrad.core.losses import Loss
    from lingrad.core.nodes import Array, SparseRows
    from lingrad.core.penalties import Penalty


def explain_step(
    spec: ModelSpec,
    data: str | None,
    target: str | None,
    features: list[str] | None,
    *,
    scale: bool = False,
    penalty: str = "none",
    alpha: float | None = None,
    lr: float | None = None,
    seed: int | None = None,
    step: int | None = None,
    text: TextOptions = NO_TEXT,
    id_column: str | None = None,
    exclude: Sequence[str] = (),
) -> tuple[Walk, str, int]:
    """Step ``step`` of ``spec`` on ``data`` (None: the lecture's data, start and
    learning rate); returns the walk, the data's name and its number of rows.
    ``seed`` where nothing is random, or an unknown ``penalty``: UsageError.
    ``text``: text columns as sparse features (the walk then on x's nonzeros)."""
    from lingrad.data.lectures import model_settings

    lecture_data, lecture_lr = LECTURE[spec.name]
    source = data or lecture_data
    table = _load(source, target, features, text, id_column, exclude)
    y, classes = tables.check_target(spec, table.y, table)
    if classes is not None:
        tables.check_binary(spec, classes, table)
    name = None
    if text.sparse:
        X, name = _sparse_features(table, text, scale)
    else:
        X = np.asarray(table.X, dtype=np.float64)
    if scale and not text.sparse:
        from sklearn.preprocessing import scale as standardize

        X = standardize(X)  # (X - mean) / std, a constant column divided by 1
    init = None
    if data is None or data == lecture_data:
        from lingrad.data.datasets import SYNTHETIC

        d = SYNTHETIC[lecture_data.split(":", 1)[1]]()
        if d.init_W is not None and not scale:
            init = (d.init_W, d.init_b)
    if penalty not in ("none", "l1", "l2", "elasticnet"):
        raise UsageError("choose none, l1, l2 or elasticnet", "--penalty")
    params: dict[str, object] = {
        "random_state": seed or 0,
        "penalty": penalty,
        **model_settings(spec.name),  # the hidden width of the lecture's demo
    }
    if alpha is not None:
        params["alpha"] = alpha
    est = spec.cls()(**params)
    if seed is not None and (init is not None or not random_start(spec, est, X, y)):
        start = (
            "the lecture's initial values (drawn by its own np.random.seed(1))"
            if init is not None
            else f"{type(est).__name__}'s fixed start (every parameter 0)"
        )
        raise UsageError(
            f"has no effect here: {spec.name} starts from {start} and explain "
            "takes the examples in the data's order, so nothing is random; --seed "
            "seeds the random start of two-layer and residual",
            "--seed",
        )
    rate = lr if lr is not None else (lecture_lr if data is None else est.lr)
    w = walk(
        spec, est, X, y, step=step, lr=rate, seed=seed or 0, init=init,
        column_name=name, run_steps=trainer_steps if text.sparse else None,
    )  # fmt: skip
    if table.ids is not None:
        w.example_id = str(table.ids[w.index])
    return w, source, X.shape[0]


def trainer_steps(
    chain: Chain, loss: Loss, penalty: Penalty | None, X: Array | SparseRows,
    Y: Array, lr: float, steps: int,
) -> None:  # fmt: skip
    """Steps 0..steps-1 of the lecture's loop (rows in order, wrapping around) by
    the Trainer: per-sample GD on the CSR rows (the compiled CSR kernel where the
    chain has one: O(nonzeros) a step, not O(D))."""
    from lingrad.training.train import Trainer

    if steps == 0:
        return
    order = np.arange(steps) % X.shape[0]
    trainer = Trainer(
        chain, loss, penalty, "gd", lr, "constant", batch_size=1, shuffle=False,
        engine="auto",
    )  # fmt: skip
    trainer.fit(X[order], Y[order], max_iter=1, tol=None)


def _load(
    source: str, target: str | None, features: list[str] | None, text: TextOptions,
    id_column: str | None, exclude: Sequence[str],
) -> tables.Data:  # fmt: skip
    """The table; a text feature column without ``--text`` / ``--hash-categories``,
    or a ``--text`` column that is not one: UsageError naming them. The reader's
    warnings come after these checks (none before a refusal)."""
    import warnings

    from lingrad.workflows.text import check_columns, quiet_about_encoding

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_about_encoding(text):
            table = tables.load(
                source, target, features, exclude=exclude, id_column=id_column,
                categorical="auto",
            )  # fmt: skip
    if table.categorical and not text.sparse:
        col = table.categorical[0]
        raise DataError(
            f"{source}: feature column {col!r} holds text; explain takes it as "
            f"sparse features with --text {col} (its words) or --hash-categories "
            "(a category per value), or leave it out with --features / --exclude"
        )
    check_columns(text, table.feature_names, table.categorical, table.source)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return table


def _sparse_features(
    table: tables.Data, text: TextOptions, scale: bool
) -> tuple[SparseRows, Callable[[int], str]]:
    """X as the CSR matrix ``lingrad fit``'s prep step makes of the table (the
    numbers standardized with ``scale``), and the name of each of its columns."""
    from lingrad.workflows.pipeline import build
    from lingrad.workflows.text import column_namer

    model = build("passthrough", table.feature_names, table.categorical, scale,
                  None, text=text)  # fmt: skip
    assert not isinstance(model, str)  # text features: a Pipeline with its prep
    X = model.steps[0][1].fit_transform(table.X)
    name = column_namer(model, table.feature_names, table.X)
    assert name is not None  # text features come from the prep step
    return X, name
