"""The compiled engine and the node chain are one program: same seed, same numbers.

For every single-layer model × optimizer × schedule × penalty × batch size
(1, 7, 256, full) × with/without weights, three shuffled epochs from the same
seed give the same parameters (to 1e-12, relative) and the same History (per
step loss and rate, snapshots and gradient norms, epoch loss, accumulated
accuracy). The loop over optimizer × schedule × penalty × weights runs inside
one test per model and batch size, on tiny data, and reports every mismatch.

Under ``NUMBA_DISABLE_JIT=1`` (CI's second run: the kernels as plain Python)
each test runs a covering subset instead, in which every optimizer,
schedule, penalty and weighting still meets every other one at least once.
"""

import itertools
import warnings

import numpy as np
import pytest
from numba import config
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils import check_random_state

from lingrad.core.chain import Chain
from lingrad.core.losses import SquaredError
from lingrad.core.nodes import Affine
from lingrad.core.penalties import L2
from lingrad.models import (
    BipolarSigmoidClassifier,
    LinearRegression,
    LogisticRegression,
    MulticlassPerceptron,
    Perceptron,
    SoftmaxRegression,
)
from lingrad.training.schedules import Adaptive, Exponential, InverseTime, StepDecay
from lingrad.training.train import DivergenceError, Trainer

OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
SCHEDULES = {
    "constant": lambda lr: "constant",
    "inverse_time": lambda lr: InverseTime(lr, k=0.05),
    "step": lambda lr: StepDecay(lr, drop=0.5, every=5),
    "exponential": lambda lr: Exponential(lr, gamma=0.5, every=10),
    "adaptive": lambda lr: Adaptive(lr, factor=0.5, patience=1, tol=1e9),  # drops
}
PENALTIES = ("none", "l1", "l2", "elasticnet")
BATCHES = {1: 9, 7: 9, 256: 300, None: 300}  # batch size: rows (256 < rows)


def _data(kind, N, seed=0):
    """Tiny standardized data: X (N, 3) and targets for the model kind."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    z = X @ np.array([[1.5, -1.0, 0.5], [-0.5, 2.0, 1.0], [1.0, 0.5, -1.5]])
    if kind == "regression":
        return X, z[:, 0] + 0.3 * rng.normal(size=N)
    if kind == "multi-output":
        return X, z[:, :2] + 0.3 * rng.normal(size=(N, 2))
    if kind == "binary":
        return X, (z[:, 0] + 0.5 * rng.normal(size=N) > 0).astype(int)
    return X, np.argmax(z + 0.5 * rng.normal(size=(N, 3)), axis=1)  # 3 classes


MODELS = {  # name: (class, fixed parameters, data kind, lr)
    "linear": (LinearRegression, {}, "regression", 0.02),
    "linear-2-outputs-no-bias": (
        LinearRegression, {"fit_intercept": False}, "multi-output", 0.02,
    ),
    "linear-huber": (
        LinearRegression, {"loss": "huber", "epsilon": 0.5}, "regression", 0.05,
    ),
    "logistic": (LogisticRegression, {}, "binary", 0.1),
    "logistic-squared": (LogisticRegression, {"loss": "squared"}, "binary", 0.2),
    "logistic-one-vs-rest": (LogisticRegression, {}, "classes", 0.1),
    "bipolar": (BipolarSigmoidClassifier, {}, "binary", 0.2),
    "perceptron": (Perceptron, {}, "binary", 0.5),
    "perceptron-hinge": (Perceptron, {"loss": "hinge"}, "binary", 0.1),
    "multiclass-perceptron": (MulticlassPerceptron, {}, "classes", 0.5),
    "softmax": (SoftmaxRegression, {}, "classes", 0.1),
}  # fmt: skip


def _combos():
    """(optimizer, schedule, penalty, weighted): all of them, or a covering subset."""
    every = list(itertools.product(OPTIMIZERS, SCHEDULES, PENALTIES, (False, True)))
    if not config.DISABLE_JIT:
        return every

    def pairs(combo):
        return set(itertools.combinations(enumerate(combo), 2))

    todo = set().union(*map(pairs, every))
    chosen = []
    while todo:  # greedy: the combo that meets the most pairs not met yet
        best = max(every, key=lambda combo: len(pairs(combo) & todo))
        chosen.append(best)
        todo -= pairs(best)
    return chosen


def _model(name, engine, optimizer, schedule, penalty, weighted, batch):
    cls, fixed, kind, lr = MODELS[name]
    solver = {1: "sgd", None: "batch"}.get(batch, "minibatch")
    if cls in (Perceptron, MulticlassPerceptron):  # weights: by class
        fixed = {**fixed, "class_weight": {0: 2.0, 1: 0.5} if weighted else None}
    return cls(
        solver=solver, batch_size=batch if solver == "minibatch" else 32, lr=lr,
        optimizer=optimizer,
        schedule=SCHEDULES[schedule](lr), penalty=penalty, alpha=0.01, l1_ratio=0.5,
        max_iter=3, tol=None, random_state=0, snapshot_every=2, engine=engine, **fixed,
    )  # fmt: skip


def _inputs(model, X, y, weighted):
    """The checked inputs ``fit`` hands the engine: X, targets Y, weights s."""
    if isinstance(model, (Perceptron, MulticlassPerceptron)):
        return model._prepare(X, y, None, reset=True)  # weighted by class_weight
    w = np.random.default_rng(1).uniform(0.2, 2.0, size=len(X))
    return model._prepare(X, y, w if weighted else None, reset=True)


def _train(model, X, Y, s):
    """What ``model.fit`` runs for an iterative solver: its chain and its Trainer."""
    rng = check_random_state(model.random_state)
    chain = model._init_chain(X.shape[1], Y.shape[1], rng, X.dtype)
    trainer = model._make_trainer(chain, rng)
    trainer.fit(
        X, Y, max_iter=3, tol=None, sample_weight=s, n_correct=model._n_correct()
    )
    return trainer


HISTORY = ("step_loss", "step_lr", "grad_norm", "epoch_loss", "accumulated_accuracy")


def _compare(nodes, compiled):
    """Every difference between two trainers' results, as messages (empty: none)."""
    out = []
    for key, b in nodes.chain.params.items():
        a, scale = compiled.chain.params[key], max(np.abs(b).max(), 1e-300)
        if not np.allclose(a, b, rtol=1e-12, atol=1e-12 * scale):
            out.append(f"{key}: {np.abs(a - b).max() / scale:.2e} relative")
    hc, hn = compiled.history, nodes.history
    for key in HISTORY:
        a, b = getattr(hc, key), getattr(hn, key)
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-12, equal_nan=True):
            out.append(f"history.{key} differs")
    for key, b in hn.params.items():
        scale = max(np.abs(b).max(), 1e-300)
        if not np.allclose(hc.params[key], b, rtol=1e-12, atol=1e-12 * scale):
            out.append(f"snapshots of {key} differ")
    if (compiled.t, compiled.epoch) != (nodes.t, nodes.epoch):
        out.append("step or epoch counts differ")
    return out


@pytest.mark.parametrize("batch", list(BATCHES), ids=lambda m: f"batch-{m or 'full'}")
@pytest.mark.parametrize("name", list(MODELS))
def test_compiled_and_nodes_give_the_same_fit_and_history(name, batch):
    X, y = _data(MODELS[name][2], BATCHES[batch])
    inputs = {}
    failures = []
    for combo in _combos():
        weighted = combo[-1]
        nodes = _model(name, "nodes", *combo, batch)
        if weighted not in inputs:
            inputs[weighted] = _inputs(nodes, X, y, weighted)
        trainers = [
            _train(_model(name, engine, *combo, batch), *inputs[weighted])
            for engine in ("nodes", "compiled")
        ]
        assert trainers[0].last_engine == "nodes"
        assert trainers[1].last_engine == "compiled"  # the kernel ran
        failures += [f"{combo}: {msg}" for msg in _compare(*trainers)]
    assert not failures, "\n".join(failures[:20])


def test_estimators_pass_their_engine_to_the_same_fit():
    """Through ``fit`` itself: coefficients, History and counts agree."""
    for name, batch in [("linear", 7), ("logistic-one-vs-rest", 1), ("perceptron", 1)]:
        X, y = _data(MODELS[name][2], BATCHES[batch])
        fits = [
            _model(name, engine, "momentum", "inverse_time", "elasticnet", True, batch)
            for engine in ("nodes", "compiled")
        ]
        for model in fits:
            if isinstance(model, Perceptron):
                model.fit(X, y)
            else:
                model.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(X)))
        assert fits[1]._trainer.last_engine == "compiled"
        assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-12)
        assert_allclose(fits[1].intercept_, fits[0].intercept_, rtol=1e-12)
        assert_allclose(fits[1].loss_curve_, fits[0].loss_curve_, rtol=1e-12)
        assert (fits[1].t_, fits[1].n_iter_) == (fits[0].t_, fits[0].n_iter_)


@pytest.mark.parametrize(
    ("batch", "optimizer", "what"),
    [
        (1, "gd", "the loss became"),  # mid-epoch
        (5, "gd", "the loss became"),
        (None, "gd", "affine.W became non-finite"),  # the last step's update
        (1, "adam", "the loss rose 5 epochs in a row"),  # finite, but exploding
    ],
)
def test_divergence_raises_the_same_error_and_restores_the_same_parameters(
    batch, optimizer, what
):
    X, y = _data("regression", 24)
    X = 1000.0 * X + 500.0  # unscaled inputs
    lr = 1e307 if batch is None else 1e6
    outcome = {}
    for engine in ("nodes", "compiled"):
        chain = Chain([Affine(np.zeros((3, 1)), np.zeros(1))])
        trainer = Trainer(
            chain, SquaredError(), penalty=L2(0.1), optimizer=optimizer, lr=lr,
            batch_size=batch, random_state=0, snapshot_every=1, engine=engine,
        )  # fmt: skip
        with pytest.raises(DivergenceError, match=what) as error:
            trainer.fit(X, y, max_iter=50, tol=None)
        e = error.value
        outcome[engine] = ((e.epoch, e.step, e.t, e.lr), chain.params, trainer.history)
    where, params, history = outcome["nodes"]
    assert outcome["compiled"][0] == where
    for key, p in params.items():  # the last finite parameters, restored
        assert np.isfinite(p).all()
        assert_allclose(outcome["compiled"][1][key], p, rtol=1e-12)
    h = outcome["compiled"][2]
    for key in HISTORY:  # the overflow gives inf or NaN, by summation order
        a, b = getattr(h, key), getattr(history, key)
        assert_array_equal(np.isfinite(a), np.isfinite(b))
        # an exploding run amplifies rounding: ~1e-12 becomes ~1e-11 here
        assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-10)
    for key, b in history.params.items():
        assert_allclose(h.params[key], b, rtol=1e-10)


def test_float32_and_read_only_inputs_run_compiled():
    X, y = _data("binary", 40)
    X32 = X.astype(np.float32)
    X32.flags.writeable = False
    fits = [
        LogisticRegression(solver="minibatch", batch_size=8, max_iter=3, tol=None,
                           random_state=0, engine=engine).fit(X32, y)
        for engine in ("nodes", "compiled")
    ]  # fmt: skip
    assert fits[1].coef_.dtype == np.float32
    assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-5)


def test_auto_picks_the_kernel_and_compiled_explains_when_it_has_none():
    from lingrad.models import TwoLayerNetwork

    X, y = _data("binary", 30)
    LogisticRegression(solver="sgd", max_iter=1, tol=None, engine="compiled").fit(X, y)
    model = LogisticRegression(solver="sgd", max_iter=2, tol=None).fit(X, y)
    assert model._trainer.last_engine == "compiled"  # engine="auto", kernel compiled
    net = TwoLayerNetwork(n_hidden=3, solver="sgd", max_iter=1, tol=None)
    net.fit(X, y)  # auto: the node path
    assert net._trainer.last_engine == "nodes"
    with pytest.raises(ValueError, match="TwoLayerNetwork has no compiled kernel"):
        TwoLayerNetwork(solver="sgd", engine="compiled").fit(X, y)
    with pytest.raises(ValueError, match="'engine' parameter"):
        LinearRegression(solver="sgd", engine="numba").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(model.predict(X[:3]), model.predict(X[:3]))
