"""The decision-region plane's cost: fit, the R x R grid lifted by the nearby rows'
kernel average (the mesh path), and the same lift by pairwise sums (the reference).

Data: X ~ N(0, 1) of n rows and d features (float64, seeded), one BLAS thread by
default. Each timing is the min and median of ``--repeat`` runs (wall time).

Run: ``python bench/bench_plane.py`` (digits' size: n = 1347, d = 64, R = 200), or
``--n N --d D --resolution R --repeat K --threads T``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1347)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--resolution", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    from threadpoolctl import threadpool_limits

    from lingrad.plot.plane import Plane

    threadpool_limits(args.threads)
    X = np.random.default_rng(0).normal(size=(args.n, args.d))
    R = args.resolution
    plane = Plane.fit(X)
    grid = plane.grid(X, R)
    UV = np.column_stack([grid.U.ravel(), grid.V.ravel()])
    gap = float(np.abs(plane.lift(UV) - grid.points).max())
    rows = [
        ("Plane.fit (PCA + the rows' off-plane parts)", lambda: Plane.fit(X)),
        (f"grid {R}x{R}: mesh path (K = Ku Kv)", lambda: plane.grid(X, R)),
        (f"lift of the {R * R} grid points: pairwise sums", lambda: plane.lift(UV)),
        (
            f"grid {R}x{R} on the plane alone (off_plane='mean')",
            lambda: Plane.fit(X, off_plane="mean").grid(X, R),
        ),
    ]
    print(f"n = {args.n}, d = {args.d}, R = {R}, threads = {args.threads}")
    print(f"{'task':<52} {'min s':>8} {'median s':>9}")
    for name, fn in rows:
        lo, mid = timed(fn, args.repeat)
        print(f"{name:<52} {lo:>8.3f} {mid:>9.3f}")
    print(f"max |mesh - pairwise| = {gap:.1e}")


if __name__ == "__main__":
    main()
