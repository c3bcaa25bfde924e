"""Which worker holds each block: rows shared evenly, moved only where needed.

Every pass of an exact solver runs one task per block where the block lives,
so the pass takes as long as the busiest worker. Blocks persisted where the
scheduler happens to find their source can all land on one worker (e.g. when
a ``compute`` of the whole array gathered copies there), and then one worker
does every pass alone. :func:`place` gives each block a worker: largest
blocks first, kept on a worker that already holds its source while that
worker stays within its share of the rows, else on the least-loaded worker.
"""

from __future__ import annotations

from collections.abc import Sequence


def place(
    sizes: Sequence[int], holders: Sequence[set[str]], workers: Sequence[str]
) -> list[str]:
    """A worker per block: Σ rows of w's blocks ≤ N/W + max m / 2 where possible."""
    if not workers:
        raise ValueError("no workers to place blocks on")
    share = sum(sizes) / len(workers) + max(sizes, default=0) / 2
    load = dict.fromkeys(workers, 0)
    out = [""] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        fits = [w for w in sorted(holders[i]) if w in load]  # still in the cluster
        room = [w for w in fits if load[w] + sizes[i] <= share]
        w = min(room or load, key=lambda w: (load[w], w))
        load[w] += sizes[i]
        out[i] = w
    return out
