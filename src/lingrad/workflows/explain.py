"""``lingrad explain`` without its printing: the data, the estimator and the start
of the lecture (or the user's), and the :class:`~lingrad.workflows.walk.Walk` of
one per-example step."""

from __future__ import annotations

from typing import Any

import numpy as np

from lingrad.data.lectures import EXPLAIN as LECTURE
from lingrad.errors import UsageError
from lingrad.models.registry import ModelSpec
from lingrad.workflows import tables
from lingrad.workflows.walk import Walk, random_start, walk


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
) -> tuple[Walk, str, int]:
    """Step ``step`` of ``spec`` on ``data`` (None: the lecture's data, start and
    learning rate); returns the walk, the data's name and its number of rows.
    ``seed`` where nothing is random, or an unknown ``penalty``: UsageError."""
    from lingrad.data.lectures import model_settings

    lecture_data, lecture_lr = LECTURE[spec.name]
    source = data or lecture_data
    table = tables.load(source, target, features)
    y, classes = tables.check_target(spec, table.y, table)
    if classes is not None:
        tables.check_binary(spec, classes, table)
    X = np.asarray(table.X, dtype=np.float64)
    if scale:
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
    params: dict[str, Any] = {
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
    w = walk(spec, est, X, y, step=step, lr=rate, seed=seed or 0, init=init)
    return w, source, len(X)
