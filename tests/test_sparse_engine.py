"""Training on sparse X: the node path, the CSR kernel and the dense kernel agree.

For every single-layer model × optimizer × schedule × penalty × batch size
(1, 7, full) × with/without weights, three shuffled epochs on a CSR X give
the same parameters and History (per-step J, rates, gradient norms,
snapshots, accuracy) through the node path on the CSR rows, the CSR kernel,
and the dense kernel on ``X.toarray()``, to 1e-10 relative. The CSR
kernel's plain GD with L2 keeps W as a scale times a vector (``W = a·V``);
its renormalisation and the decay-0 step are checked on their own.

Under ``NUMBA_DISABLE_JIT=1`` the covering subset of ``test_engine_identity``
runs instead of the full matrix.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numba import config
from numpy.testing import assert_allclose, assert_array_equal

from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.core.penalties import L2
from lingrad.models import LogisticRegression, SoftmaxRegression
from lingrad.training.train import DivergenceError, Trainer


def _identity_matrix():
    """tests/test_engine_identity.py, whose matrix (models, combos) this extends."""
    path = Path(__file__).with_name("test_engine_identity.py")
    spec = importlib.util.spec_from_file_location("_engine_identity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_identity = _identity_matrix()
MODELS, _combos, _data = _identity.MODELS, _identity._combos, _identity._data
_inputs, _model, _train = _identity._inputs, _identity._model, _identity._train
BATCHES = {1: 9, 7: 9, None: 30}  # batch size: rows
HISTORY = ("step_loss", "step_lr", "grad_norm", "epoch_loss", "accumulated_accuracy")


def _sparse(X, seed=0):
    """X with about half its entries zero, one all-zero row and column, and
    two never-touched features at the end: a CSR matrix."""
    rng = np.random.default_rng(seed)
    X = np.where(rng.uniform(size=X.shape) < 0.5, 0.0, X)
    X[1] = 0.0
    X = np.hstack([X[:, :1], np.zeros((len(X), 1)), X[:, 1:], np.zeros((len(X), 2))])
    return sp.csr_matrix(X)


def _differences(a, b, tol=1e-10):
    """Every difference between two trainers' results, as messages."""
    out = []
    for key, p in b.chain.params.items():
        q, scale = a.chain.params[key], max(np.abs(p).max(), 1e-300)
        if not np.allclose(q, p, rtol=tol, atol=tol * scale):
            out.append(f"{key}: {np.abs(q - p).max() / scale:.2e} relative")
    for key in HISTORY:
        u, v = getattr(a.history, key), getattr(b.history, key)
        if u.shape != v.shape or not np.allclose(u, v, rtol=tol, equal_nan=True):
            out.append(f"history.{key} differs")
    for key, p in b.history.params.items():
        scale = max(np.abs(p).max(), 1e-300)
        if not np.allclose(a.history.params[key], p, rtol=tol, atol=tol * scale):
            out.append(f"snapshots of {key} differ")
    if (a.t, a.epoch) != (b.t, b.epoch):
        out.append("step or epoch counts differ")
    return out


@pytest.mark.parametrize("batch", list(BATCHES), ids=lambda m: f"batch-{m or 'full'}")
@pytest.mark.parametrize("name", list(MODELS))
def test_sparse_rows_give_the_node_path_and_the_dense_kernel_fit(name, batch):
    X, y = _data(MODELS[name][2], BATCHES[batch])
    Xs = _sparse(X)
    failures = []
    inputs = {}
    for combo in _combos():
        weighted = combo[-1]
        if weighted not in inputs:
            model = _model(name, "nodes", *combo, batch)
            _, Y, s = _inputs(model, X, y, weighted)  # the dense X: the same Y, s
            inputs[weighted] = (Y, s)
        Y, s = inputs[weighted]
        runs = {
            (engine, kind): _train(_model(name, engine, *combo, batch), Xk, Y, s)
            for engine, kind, Xk in [
                ("nodes", "sparse", Xs),
                ("compiled", "sparse", Xs),
                ("compiled", "dense", Xs.toarray()),
            ]
        }
        assert runs["compiled", "sparse"].last_engine == "compiled"
        for other in [("nodes", "sparse"), ("compiled", "dense")]:
            failures += [
                f"{combo} vs {other}: {msg}"
                for msg in _differences(runs["compiled", "sparse"], runs[other])
            ]
    assert not failures, "\n".join(failures[:20])


def _l2_trainer(engine, alpha, lr, batch, snapshot_every=None):
    chain = Chain([Affine(np.full((6, 1), 0.5), np.zeros(1))])
    return Trainer(
        chain, SquaredError(), penalty=L2(alpha), lr=lr, batch_size=batch,
        random_state=0, snapshot_every=snapshot_every, grad_norm_every=1,
        engine=engine,
    )  # fmt: skip


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize(
    ("alpha", "lr"),
    [(0.3, 1.0), (0.5, 1.0), (-0.3, 1.0)],  # decay 0.4, exactly 0, 1.6
    ids=["scale-below-1e-9", "decay-0", "scale-above-1e9"],
)
def test_the_l2_weight_scale_renormalises_with_the_node_path_numbers(alpha, lr, batch):
    """W = a·V: a leaves [1e-9, 1e9] within the run (or decay is exactly 0);
    the untouched features' weights follow the shrink exactly."""
    rng = np.random.default_rng(3)
    X = np.zeros((40, 6))
    X[:, :3] = np.where(rng.uniform(size=(40, 3)) < 0.5, 0.0, 0.05)
    y = rng.normal(size=40) * 0.01
    fits = {}
    for engine in ("nodes", "compiled"):
        trainer = _l2_trainer(engine, alpha, lr, batch, snapshot_every=7)
        trainer.fit(sp.csr_matrix(X), y, max_iter=3, tol=None)
        fits[engine] = trainer
    assert fits["compiled"].last_engine == "compiled"
    assert _differences(fits["compiled"], fits["nodes"]) == []


@pytest.mark.parametrize("batch", [1, 5, None])
def test_divergence_on_sparse_rows_raises_and_restores_as_the_node_path(batch):
    X, y = _data("regression", 24)
    Xs = _sparse(1000.0 * X + 500.0)
    outcome = {}
    for engine in ("nodes", "compiled"):
        trainer = _l2_trainer(engine, 0.1, 1e307 if batch is None else 1e6, batch, 1)
        with pytest.raises(DivergenceError) as error:
            trainer.fit(Xs, y, max_iter=50, tol=None)
        e = error.value
        outcome[engine] = ((e.epoch, e.step, e.t, e.lr), trainer)
    assert outcome["compiled"][0] == outcome["nodes"][0]
    compiled, nodes = outcome["compiled"][1], outcome["nodes"][1]
    for key, p in nodes.chain.params.items():
        assert np.isfinite(p).all()
        assert_allclose(compiled.chain.params[key], p, rtol=1e-10)
    for key in HISTORY:
        a, b = getattr(compiled.history, key), getattr(nodes.history, key)
        assert_array_equal(np.isfinite(a), np.isfinite(b))
        assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-10)


@pytest.mark.parametrize("engine", ["nodes", "compiled"])
def test_estimators_fit_partial_fit_and_early_stop_on_sparse_as_on_dense(engine):
    X, y = _data("classes", 60)
    Xs = _sparse(X)
    kw = dict(solver="minibatch", batch_size=7, penalty="l2", alpha=0.01, lr=0.1)
    kw |= dict(max_iter=4, tol=None, random_state=0, engine=engine)
    for make in [
        lambda: LogisticRegression(**kw, early_stopping=True, n_iter_no_change=2),
        lambda: SoftmaxRegression(**kw),
    ]:
        sparse, dense = make().fit(Xs, y), make().fit(Xs.toarray(), y)
        assert sparse._trainer.last_engine == engine
        assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-10)
        sparse.partial_fit(Xs[:20], y[:20])
        dense.partial_fit(Xs[:20].toarray(), y[:20])
        assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
        assert_array_equal(sparse.predict(Xs), dense.predict(Xs.toarray()))


def test_duplicate_entries_are_summed_and_the_input_is_left_alone():
    X, y = _data("regression", 20)
    Xs = _sparse(X)
    coo = Xs.tocoo()
    half = coo.data / 2  # every entry as two halves, in reverse order
    dup = sp.csr_matrix(
        (np.r_[half, half][::-1], (np.r_[coo.row, coo.row][::-1],
                                   np.r_[coo.col, coo.col][::-1])),
        shape=Xs.shape,
    )  # fmt: skip
    kept = dup.data.copy()
    fits = []
    for Xk in (dup, Xs):
        trainer = _l2_trainer("compiled", 0.01, 0.05, 3)
        trainer.fit(Xk, y, max_iter=2, tol=None)
        fits.append(trainer)
    assert_array_equal(dup.data, kept)  # not summed in place
    assert _differences(*fits) == []


def test_float32_rows_take_w_s_signature():
    X, y = _data("regression", 20)
    trainers = []
    for dtype in (np.float64, np.float32):
        trainer = _l2_trainer("compiled", 0.01, 0.05, 1)
        trainer.fit(_sparse(X).astype(dtype), y, max_iter=2, tol=None)
        trainers.append(trainer)
    assert_allclose(*(t.chain.params["affine.W"] for t in trainers), rtol=1e-6)
    if not config.DISABLE_JIT:
        from lingrad.training.compiled._loop_csr import run_batches_csr

        assert len(run_batches_csr.signatures) == 1


def test_the_csr_kernel_is_imported_by_sparse_fits_only():
    code = (
        "import sys, numpy as np, scipy.sparse as sp\n"
        "from lingrad.models import LogisticRegression\n"
        "X = np.eye(6)[[0, 1, 2, 3, 4, 5] * 2]; y = [0, 1] * 6\n"
        "m = LogisticRegression(solver='sgd', max_iter=1, tol=None,\n"
        "                       engine='compiled')\n"
        "m.fit(X, y)\n"
        "print('_loop_csr' in str(list(sys.modules)))\n"
        "m.fit(sp.csr_matrix(X), y)\n"
        "print('_loop_csr' in str(list(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]
