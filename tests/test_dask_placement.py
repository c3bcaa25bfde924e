"""Where Dask blocks live: rows shared evenly over workers, aligned C arrays.

A fit's passes run one task per block where the block lives; blocks all on
one worker (a ``compute`` of the whole array had gathered copies there) made
one worker do every pass alone, and blocks that crossed the network arrived
misaligned, which made every matmul copy through small buffers (4x slower
fits). The placement rule is checked alone, then against a real cluster.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lingrad.scale.placement import place
from lingrad.solvers.rows import contiguous

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
from dask.delayed import delayed  # noqa: E402

from lingrad.models import LogisticRegression  # noqa: E402
from lingrad.scale.dask_fit import prepare  # noqa: E402


def _flags(a):
    return a.flags.aligned, a.flags.c_contiguous


def loads(sizes, on):
    out: dict[str, int] = {}
    for m, w in zip(sizes, on, strict=True):
        out[w] = out.get(w, 0) + m
    return out


def test_blocks_all_on_one_worker_are_shared_out():
    on = place([100] * 4, [{"a"}] * 4, ["a", "b"])
    assert loads([100] * 4, on) == {"a": 200, "b": 200}


def test_blocks_already_balanced_stay_where_they_are():
    holders = [{"a"}, {"b"}, {"a"}, {"b"}, {"a", "b"}]
    sizes = [50, 50, 40, 40, 10]
    assert place(sizes, holders, ["a", "b"])[:4] == ["a", "b", "a", "b"]


def test_unequal_blocks_balance_by_rows_not_by_count():
    sizes = [700, 100, 100, 100, 100, 100, 100, 100]
    on = place(sizes, [set()] * len(sizes), ["a", "b"])
    assert loads(sizes, on) == {"a": 700, "b": 700}


def test_a_holder_that_left_the_cluster_is_ignored():
    on = place([10, 10, 0], [{"gone"}, {"gone"}, {"gone"}], ["a", "b"])
    assert sorted(on[:2]) == ["a", "b"] and on[2] in ("a", "b")


def test_no_workers_is_an_error():
    with pytest.raises(ValueError, match="no workers"):
        place([1], [set()], [])


def test_misaligned_and_fortran_blocks_become_aligned_c_arrays():
    raw = np.frombuffer(bytearray(8 * 12 + 1), dtype=np.uint8)[1:]
    misaligned = raw.view(np.float64).reshape(3, 4)
    misaligned[...] = np.arange(12.0).reshape(3, 4)
    assert not misaligned.flags.aligned
    for a in (misaligned, np.asfortranarray(np.arange(12.0).reshape(3, 4))):
        out = contiguous(a)
        assert out.flags.aligned and out.flags.c_contiguous
        assert_allclose(out, np.arange(12.0).reshape(3, 4), rtol=0)
    ok = np.arange(12.0).reshape(3, 4)
    assert contiguous(ok) is ok  # no copy when nothing is wrong


def test_fit_spreads_blocks_held_by_one_worker(client):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=400) > 0).astype(int)
    first = sorted(client.scheduler_info()["workers"])[0]
    Xd, yd = (da.from_array(a, chunks=(100,) + a.shape[1:]) for a in (X, y))
    Xd, yd = client.persist([Xd, yd], workers=[first])
    distributed.wait([Xd, yd])
    assert {w for ws in client.who_has(Xd).values() for w in ws} == {first}

    est = LogisticRegression(alpha=1e-3)
    rows, _ = prepare(est, Xd, yd, None)
    held = [b.X for b in rows.blocks]
    distributed.wait(held)
    homes = client.who_has(held)
    per_worker: dict[str, int] = {}
    for ws in homes.values():
        assert len(ws) == 1
        per_worker[ws[0]] = per_worker.get(ws[0], 0) + 1
    assert len(per_worker) == 2  # both workers hold blocks (all 4 on one before)

    flags = dask.compute(*[delayed(_flags)(h) for h in held])
    assert all(a and c for a, c in flags)
    fitted = LogisticRegression(alpha=1e-3).fit(Xd, yd)
    expected = LogisticRegression(alpha=1e-3).fit(X, y)
    assert_allclose(fitted.coef_, expected.coef_, rtol=1e-8)
