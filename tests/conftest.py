"""Shared fixtures: a seeded generator, the Agg backend, one BLAS thread.

The tests use tiny matrices, for which BLAS threads only add overhead; on two
shared cores they made the suite up to 10x slower. Subprocesses (the CLI tests)
inherit the limit through the environment.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def client():
    """A real ``distributed.LocalCluster`` (2 worker processes) and its client.

    Started once per session, by the first test that asks for it (the Dask
    tests); its address serves the CLI's ``--scheduler`` too.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        memory_limit="1GiB", silence_logs=50,
    )  # fmt: skip
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()
