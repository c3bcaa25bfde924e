"""``fit`` on a Dask array / DataFrame: the estimator's own solvers over its blocks.

One pass over y (and the weights) finds N, the classes and ``Σ s``; then the
targets and mean-1 weights are made block by block exactly as in memory
(``label_targets`` / one-hot, ``class_weight``), X's blocks are checked and
persisted on the workers when they fit in half the cluster's memory, and:

- the exact solvers (``normal``, ``lbfgs``, ``newton``) run the estimator's
  own ``_fit_<solver>`` on :class:`~lingrad.scale.dask_rows.DaskRows`: every
  sum they need is a tree reduction over the blocks;
- full-batch gradient descent (``batch``) is
  :func:`lingrad.scale.dask_batch.fit_batch`: one reduction of all N rows per
  step, then the in-memory update, penalty, schedule and History;
- the stochastic ones (``sgd``, ``minibatch``) are
  :func:`lingrad.scale.dask_sgd.fit_stochastic`: ``partial_fit`` over the
  blocks in a seeded random order per epoch.

X is never collected onto one machine; only sums and the model travel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dask.base import compute
from dask.delayed import Delayed, delayed
from numpy.typing import ArrayLike
from sklearn.base import clone, is_classifier

from lingrad.models.params import ITERATIVE_SOLVERS
from lingrad.scale.dask_blocks import Blocks, split
from lingrad.scale.dask_rows import (
    Block,
    DaskRows,
    client_or_none,
    compute_tree,
    fits_in_cluster,
)
from lingrad.scale.placement import place
from lingrad.scale.progress import current_progress
from lingrad.scale.targets import (
    YSummary,
    class_weights,
    classes_of,
    encode_block,
    summarize_y,
)
from lingrad.scale.types import DaskData

if TYPE_CHECKING:
    from dask.typing import Key

    from lingrad.core.nodes import SparseRows
    from lingrad.models._base import GradientEstimator

Item = tuple[Delayed, Delayed, Delayed | None]  # a block's X, Y, s (s: or None)


def prepare(
    est: GradientEstimator,
    X: DaskData,
    y: DaskData | ArrayLike,
    sample_weight: DaskData | ArrayLike,
) -> tuple[DaskRows, Blocks]:
    """Set the estimator's data-dependent state; its rows as persisted blocks."""
    classify = is_classifier(est)
    blocks = split(X, y, sample_weight)
    unweighted: list[Delayed | None] = [None] * len(blocks.y)
    parts = [
        delayed(summarize_y, pure=False)(yb, sb, classify)
        for yb, sb in zip(blocks.y, blocks.s or unweighted, strict=True)
    ]
    summary: YSummary = compute_tree(parts, YSummary.merge)
    N = sum(summary.sizes)
    if N == 0:
        raise ValueError("X holds no rows (every block is empty).")
    est.n_features_in_ = blocks.n_features
    if blocks.feature_names is not None:
        est.feature_names_in_ = np.asarray(blocks.feature_names, dtype=object)
    else:
        est.__dict__.pop("feature_names_in_", None)
    classes = weight = None
    total = summary.sw
    if classify:
        classes = classes_of(summary, est)
        est.classes_ = classes
        stats = np.array([summary.labels[c] for c in classes])  # (C, 2)
        weight = class_weights(getattr(est, "class_weight", None), classes, stats[:, 0])
        if weight is not None:
            total = float(weight @ stats[:, 1])
    else:
        est.set_target_ndim(summary.ndim)
    weighted = blocks.s is not None or weight is not None
    scale = N / total if weighted else 1.0
    if weighted and not total > 0:
        raise ValueError("sample_weight (times class_weight) must not sum to zero.")
    targets, K = None, summary.n_outputs
    if classes is not None:
        template = clone(est)  # light: no fitted state travels with the blocks
        template.classes_ = classes
        targets = template.encode_targets
        K = targets(np.arange(len(classes)), np.float64).shape[1]
    encode = delayed(encode_block, pure=False, nout=2)
    Y: list[Delayed] = []
    S: list[Delayed | None] = []
    for i, yb in enumerate(blocks.y):
        sb = None if blocks.s is None else blocks.s[i]
        Yb, Sb = encode(yb, sb, targets, classes, weight, scale, blocks.dtype, K)
        Y.append(Yb)
        S.append(Sb if weighted else None)
    items = _persist(blocks.X, Y, S, _nbytes(blocks, N, int(K)), summary.sizes,
                     blocks.source)  # fmt: skip
    starts = np.cumsum([0, *summary.sizes[:-1]])  # first rows, known from the pass
    rows = DaskRows(
        [Block(x, yy, ss, int(r), w) for (x, yy, ss), r, w in
         zip(items, starts, blocks.where, strict=True)],
        N, blocks.n_features, int(K), blocks.dtype, blocks.feature_names,
        progress=current_progress(), sizes=summary.sizes,
    )  # fmt: skip
    return rows, blocks


def _nbytes(blocks: Blocks, N: int, K: int) -> int:
    """The bytes of the blocks held as floats: dense X, Y and s; a sparse X by its
    stored values (a pass counting them: 12 bytes each, and its row pointers)."""
    if not blocks.sparse:
        return N * (blocks.n_features + K + 1) * 8
    (stored,) = compute(sum(delayed(_stored)(x) for x in blocks.X))
    return int(stored) * 12 + N * (K + 2) * 8


def _stored(X: SparseRows) -> int:
    return int(X.nnz)


def _persist(
    X: list[Delayed], Y: list[Delayed], S: list[Delayed | None], nbytes: int,
    sizes: list[int], source: list[Key],
) -> list[Item]:  # fmt: skip
    """[(X, Y, s)] per block, held in the workers' memory when half of it
    suffices, the rows spread evenly over the workers (:mod:`.placement`)."""
    items = list(zip(X, Y, S, strict=True))
    client = client_or_none()
    if client is None or not fits_in_cluster(client, nbytes):
        return items  # recomputed from the source on every pass
    workers = sorted(client.scheduler_info().get("workers", {}))
    where = client.who_has(source) if workers else {}
    on = place(sizes, [set(where.get(k, ())) for k in source], workers or [""])
    held = list(items)  # every block is placed (on a worker, or "" for any)
    for worker in set(on):  # a preference: a lost worker's blocks rebuild elsewhere
        mine = [i for i, w in enumerate(on) if w == worker]
        vals = [v for i in mine for v in items[i] if v is not None]
        kept = iter(
            client.persist(vals, workers=worker or None, allow_other_workers=True)
        )
        for i in mine:
            s = items[i][2]
            held[i] = (next(kept), next(kept), None if s is None else next(kept))
    return held


def fit(
    est: GradientEstimator,
    X: DaskData,
    y: DaskData | ArrayLike,
    sample_weight: DaskData | ArrayLike = None,
) -> GradientEstimator:
    """Train ``est`` on Dask X and y (the estimators' ``fit`` comes here)."""
    est.check_hyperparameters()
    rows, blocks = prepare(est, X, y, sample_weight)
    if est.solver == "batch":
        from lingrad.scale.dask_batch import fit_batch

        fit_batch(est, rows)
    elif est.solver in ITERATIVE_SOLVERS:
        from lingrad.scale.dask_sgd import fit_stochastic

        fit_stochastic(est, rows)
    else:
        est.fit_rows(rows)
    return est
