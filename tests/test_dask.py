"""Estimators on Dask collections against a real 2-worker LocalCluster.

The cluster (two worker processes) is started once per session by the
``client`` fixture of conftest.py; data are tiny and chunked unevenly, with a
block of one row and an empty block, so every exact solver's chunked reduction
is checked against the in-memory fit (to 1e-8 relative).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from lingrad.errors import DataError  # noqa: E402
from lingrad.models import (  # noqa: E402
    LinearRegression,
    LogisticRegression,
    Perceptron,
    SoftmaxRegression,
)
from lingrad.scale.dask_sgd import block_order, order_seed  # noqa: E402
from lingrad.scale.progress import on_progress  # noqa: E402

CHUNKS = (23, 1, 0, 40, 16)  # unequal, a chunk of one row, an empty chunk


def chunked(*arrays):
    return [da.from_array(a, chunks=(CHUNKS,) + a.shape[1:]) for a in arrays]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 4))
    y = X @ [1.5, -2.0, 0.5, 0.0] + 0.7 + 0.3 * rng.normal(size=80)
    z = X @ [1.0, -1.0, 0.5, 0.2] + 0.5 * rng.normal(size=80)
    labels = np.digitize(z, [-0.7, 0.7])  # 3 classes
    s = rng.uniform(0.3, 2.0, size=80)
    return X, y, labels, s


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


EXACT = [
    (LinearRegression(), "reg", True),
    (LinearRegression(penalty="l2", alpha=0.05), "reg", False),
    (LinearRegression(solver="lbfgs", penalty="elasticnet", alpha=0.05,
                      l1_ratio=0.5, tol=1e-12), "reg", False),
    (LogisticRegression(solver="newton", tol=1e-12), "bin", True),
    (LogisticRegression(solver="newton", tol=1e-12), "multi", False),  # one-vs-rest
    (SoftmaxRegression(solver="newton", tol=1e-12), "multi", True),
    (SoftmaxRegression(penalty="l1", alpha=0.02, tol=1e-12, max_iter=500), "multi",
     False),
]  # fmt: skip


@pytest.mark.parametrize(("est", "task", "weighted"), EXACT, ids=repr)
def test_exact_solvers_match_in_memory(client, data, est, task, weighted):
    X, y, labels, s = data
    target = {"reg": y, "bin": labels > 0, "multi": labels}[task]
    w = s if weighted else None
    Xd, yd, sd = chunked(X, target, s)
    ours = clone(est).fit(Xd, yd, sample_weight=sd if weighted else None)
    ref = clone(est).fit(X, target, sample_weight=w)
    assert rel(ours.coef_, ref.coef_) < 1e-8
    assert rel(ours.intercept_, ref.intercept_) < 1e-8
    if "l1" in repr(est) or "elasticnet" in repr(est):
        assert np.array_equal(ours.coef_ == 0, ref.coef_ == 0)  # the same exact zeros


def test_predictions_are_lazy_and_equal(client, data):
    X, _, labels, _ = data
    Xd, yd = chunked(X, labels)
    model = SoftmaxRegression(solver="newton").fit(Xd, yd)
    ref = SoftmaxRegression(solver="newton").fit(X, labels)
    for name in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        out = getattr(model, name)(Xd)
        assert isinstance(out, da.Array) and out.chunks[0] == CHUNKS
        assert_allclose(out.compute(), getattr(ref, name)(X), rtol=1e-7, atol=1e-9)
    score = model.score(Xd, yd)
    assert isinstance(score, da.Array)
    assert float(score) == pytest.approx(ref.score(X, labels), abs=1e-12)


def test_dataframe_with_an_empty_partition(client, data):
    import pandas as pd

    X, y, _, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    ddf = dd.concat([ddf, ddf.head(0, compute=False)])  # a fourth, empty partition
    model = LinearRegression().fit(ddf[["a", "b", "c", "d"]], ddf["target"])
    ref = LinearRegression().fit(frame[["a", "b", "c", "d"]], y)
    assert rel(model.coef_, ref.coef_) < 1e-10
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    r2 = model.score(ddf[["a", "b", "c", "d"]], ddf["target"])
    assert float(r2) == pytest.approx(ref.score(frame[["a", "b", "c", "d"]], y))


def test_ill_conditioned_data_take_the_qr_route_on_dask_too(client, data):
    X, y, _, _ = data
    X = np.column_stack([X, X[:, 0] + X[:, 1]])  # exactly collinear: rank 4 of 5
    Xd, yd = chunked(X, y)
    model = LinearRegression().fit(Xd, yd)
    ref = LinearRegression().fit(X, y)
    assert model.solver_info_["rank"] == 4 and "QR" in model.solver_info_["method"]
    assert rel(model.coef_, ref.coef_) < 1e-8


def test_stochastic_solvers_follow_partial_fit_over_shuffled_blocks(client, data):
    """Per epoch a seeded order of blocks; each block one partial_fit, as in memory."""
    X, _, labels, _ = data
    Xd, yd = chunked(X, labels)
    est = LogisticRegression(solver="minibatch", batch_size=8, lr=0.1, max_iter=3,
                             tol=None, random_state=7)  # fmt: skip
    ours = clone(est).fit(Xd, yd)
    ref = clone(est)
    seed = order_seed(7)
    bounds = np.concatenate([[0], np.cumsum(CHUNKS)])
    for epoch in range(3):
        for i in block_order(seed, epoch, len(CHUNKS)):
            if CHUNKS[i]:
                rows = slice(bounds[i], bounds[i + 1])
                ref.partial_fit(X[rows], labels[rows], classes=[0, 1, 2])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-12)
    assert ours.n_iter_ == 3 and ours.t_ == ref.t_  # the schedule continued
    assert len(ours.history_.step_loss) == len(ref.history_.step_loss)


def test_stochastic_history_is_the_partial_fit_sequences(client, data):
    """The History kept on the client records every block's steps, epochs and
    snapshots exactly as the in-memory partial_fit sequence records them."""
    X, _, labels, _ = data
    Xd, yd = chunked(X, labels)
    est = LogisticRegression(solver="sgd", lr=0.05, max_iter=2, tol=None,
                             snapshot_every=7, random_state=3)  # fmt: skip
    ours = clone(est).fit(Xd, yd)
    ref = clone(est)
    seed = order_seed(3)
    bounds = np.concatenate([[0], np.cumsum(CHUNKS)])
    for epoch in range(2):
        for i in block_order(seed, epoch, len(CHUNKS)):
            if CHUNKS[i]:
                rows = slice(bounds[i], bounds[i + 1])
                ref.partial_fit(X[rows], labels[rows], classes=[0, 1, 2])
    got, want = ours.history_.to_dict(), ref.history_.to_dict()
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        assert_allclose(got[key], value, rtol=1e-12, err_msg=key)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)


def test_the_travelling_model_leaves_its_history_behind(data):
    """What moves between workers is the model and its trainer, not the History
    (which grows with the steps): its size does not depend on the steps taken."""
    import pickle

    from lingrad.scale.dask_sgd import travelling

    X, _, labels, _ = data
    sizes = []
    for epochs in (1, 50):
        est = LogisticRegression(solver="sgd", max_iter=epochs, tol=None,
                                 random_state=0).fit(X, labels)  # fmt: skip
        light, history = travelling(est, (4, 3))  # 4 features, 3 classes
        assert history.n_steps == 80 * epochs and light.history_.n_steps == 0
        assert est.history_ is history  # the caller's estimator keeps it
        sizes.append(len(pickle.dumps(light)))
    assert sizes[1] == sizes[0]


def test_predictions_on_dask_do_not_ship_the_history(data):
    """The graphs of predict and score hold the model without its History (which
    grows with the steps): their size does not grow with the epochs."""
    import cloudpickle

    X, _, labels, _ = data
    Xd, yd = chunked(X, labels)
    sizes = []
    for epochs in (1, 50):
        est = LogisticRegression(solver="sgd", max_iter=epochs, tol=None,
                                 random_state=0).fit(X, labels)  # fmt: skip
        graphs = [dict(est.predict_proba(Xd).__dask_graph__()),
                  dict(est.score(Xd, yd).__dask_graph__())]  # fmt: skip
        sizes.append(len(cloudpickle.dumps(graphs)))
        assert_allclose(est.predict_proba(Xd).compute(), est.predict_proba(X))
        assert est.history_.n_steps == 80 * epochs  # the estimator keeps it
    assert sizes[1] - sizes[0] < 2_000  # loss_curve_: 8 bytes an epoch, twice


def test_perceptron_trains_on_dask(client, data):
    X, _, labels, _ = data
    Xd, yd = chunked(X, labels > 0)
    model = Perceptron(max_iter=5, tol=None, random_state=0).fit(Xd, yd)
    assert model.n_iter_ == 5 and model.score(X, labels > 0) > 0.7


def test_a_killed_worker_does_not_change_the_fit(client, data):
    """Dask re-runs the lost blocks' tasks: the same coefficients."""
    X, _, labels, _ = data
    Xd, yd = chunked(X, labels)
    est = SoftmaxRegression(solver="newton", tol=1e-12)
    passes = []

    def kill_once(n):
        passes.append(n)
        if len(passes) == 8:  # in the middle of the fit
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)

    with on_progress(kill_once):
        model = clone(est).fit(Xd, yd)
    ref = clone(est).fit(X, labels)
    assert len(passes) > 8
    assert rel(model.coef_, ref.coef_) < 1e-8
    client.wait_for_workers(2, timeout=60)


def test_bad_value_in_a_partition_is_named(client):
    import pandas as pd

    frame = pd.DataFrame({"a": np.arange(9.0), "b": ["1"] * 7 + ["x", "2"],
                          "t": np.arange(9.0)})  # fmt: skip
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(DataError, match=r"partition 3 of 3.*'b'.*'x'"):
        LinearRegression().fit(ddf[["a", "b"]], ddf["t"])


def test_import_lingrad_does_not_import_dask():
    code = (
        "import sys, lingrad; from lingrad.models import LinearRegression; "
        "import numpy as np; LinearRegression().fit(np.eye(3), [1., 2., 3.]); "
        "print('dask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
