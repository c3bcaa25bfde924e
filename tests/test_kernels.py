"""The compiled engine's boundaries: what has a kernel, what auto picks, imports."""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from lingrad.core.accuracy import CountCorrect
from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, CrossEntropy, SquaredError
from lingrad.core.nodes import Affine, Sigmoid, Softmax, Tanh
from lingrad.core.penalties import L1
from lingrad.training.callbacks import Callback
from lingrad.training.compiled.plan import plan_for
from lingrad.training.optim import GD, Adam, Optimizer
from lingrad.training.train import Trainer


def affine(D=2, K=1, *nodes):
    return Chain([Affine(np.zeros((D, K)), np.zeros(K)), *nodes])


@pytest.mark.parametrize(
    ("chain", "loss", "optimizer", "n_correct", "why"),
    [
        (affine(2, 3, Sigmoid(), Affine(np.zeros((3, 1)))), SquaredError(), GD(),
         None, "kernels cover Chain([Affine])"),
        (affine(2, 1, Tanh()), SquaredError(), GD(), None, "kernels cover"),
        (affine(2, 1, Sigmoid()), BinaryCrossEntropy(), GD(), None, "the loss"),
        (affine(2, 3, Softmax()), CrossEntropy(), GD(), None, "kernels cover"),
        (affine(), SquaredError(), Optimizer(), None, "the optimizer"),
        (affine(), SquaredError(), Adam(), lambda out, y: 0, "a Python function"),
    ],
)  # fmt: skip
def test_chains_without_a_kernel_say_why(chain, loss, optimizer, n_correct, why):
    plan, reason = plan_for(chain, loss, None, optimizer, n_correct)
    assert plan is None and why in reason


def test_single_layer_chains_have_a_kernel():
    for chain, loss in [
        (affine(), SquaredError()),
        (affine(2, 1, Sigmoid()), SquaredError(half=True)),
        (affine(), BinaryCrossEntropy(from_logits=True)),
        (affine(2, 3), CrossEntropy(from_logits=True)),
    ]:
        plan, reason = plan_for(chain, loss, L1(0.1), Adam(), CountCorrect())
        assert plan is not None and reason == ""


def test_auto_falls_back_to_nodes_for_step_callbacks_and_compiled_refuses():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = X @ [1.0, -1.0]

    class Every(Callback):
        def on_step_end(self, trainer, t, J):
            return False

    Trainer(affine(), SquaredError(), engine="compiled").fit(X, y, max_iter=1, tol=None)
    for engine in ("auto", "compiled"):  # the kernel compiled here: auto runs it
        trainer = Trainer(affine(), SquaredError(), lr=0.05, engine=engine)
        if engine == "auto":
            trainer.fit(X, y, max_iter=2, tol=None, callbacks=[Every()])
            assert trainer.last_engine == "nodes"  # the callback ran on the node path
            trainer.fit(X, y, max_iter=2, tol=None)
            assert trainer.last_engine == "compiled"
        else:
            with pytest.raises(ValueError, match="per-step callbacks"):
                trainer.fit(X, y, max_iter=2, tol=None, callbacks=[Every()])
    with pytest.raises(ValueError, match="engine must be one of"):
        Trainer(affine(), SquaredError(), engine="numba")


def test_importing_and_predicting_do_not_import_numba():
    code = (
        "import sys, numpy as np, lingrad, lingrad.cli\n"
        "from lingrad.models import LogisticRegression\n"
        "X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = [0, 0, 1, 1]\n"
        "m = LogisticRegression(solver='sgd', engine='nodes', max_iter=2, tol=None)\n"
        "m.fit(X, y).predict(X)\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _regression(N=120, D=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    return X, X @ rng.normal(size=D) + 0.3 * rng.normal(size=N)


def _same_fit(a, b):
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-12)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-12)
    for key in ("step_loss", "epoch_loss", "epoch_val_loss", "accumulated_accuracy"):
        np.testing.assert_allclose(
            getattr(b.history_, key), getattr(a.history_, key), rtol=1e-12
        )
    assert (b.n_iter_, b.t_) == (a.n_iter_, a.t_)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_tolerance_and_early_stopping_stop_both_engines_at_the_same_epoch(
    early_stopping,
):
    from lingrad.models import LinearRegression, SoftmaxRegression

    X, y = _regression()
    classes = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    for cls, target in ((LinearRegression, y), (SoftmaxRegression, classes)):
        fits = [
            cls(solver="minibatch", batch_size=16, lr=0.05, max_iter=200, tol=1e-3,
                n_iter_no_change=2, early_stopping=early_stopping, random_state=3,
                optimizer="nesterov", engine=engine).fit(X, target)
            for engine in ("nodes", "compiled")
        ]  # fmt: skip
        assert fits[0].n_iter_ < 200  # the rule stopped it
        _same_fit(*fits)


def test_partial_fit_continues_the_optimizer_state_across_engines():
    """Adam's moments and step count live in the optimizer: engines may alternate."""
    from lingrad.models import LogisticRegression

    X, y = _regression()
    y = (y > 0).astype(int)
    runs = {}
    for engines in (["nodes"] * 4, ["compiled", "nodes", "compiled", "compiled"]):
        model = LogisticRegression(
            solver="sgd", optimizer="adam", penalty="l1", lr=0.05, random_state=0
        )
        for engine in engines:
            model.set_params(engine=engine).partial_fit(X, y, classes=[0, 1])
            assert (model._trainer.last_engine == "nodes") == (engine == "nodes")
        runs[tuple(engines)] = model
    _same_fit(*runs.values())


def test_chunked_epochs_give_the_same_steps(monkeypatch):
    """Snapshots and the progress bar cut an epoch into several kernel calls."""
    import lingrad.training.train as engine_module

    monkeypatch.setattr(engine_module, "SNAPSHOT_BYTES", 200)  # a few steps a call
    X, y = _regression(N=50)
    histories = []
    for engine in ("nodes", "compiled"):
        chain = affine(3, 1)
        trainer = Trainer(
            chain, SquaredError(), optimizer="momentum", lr=0.05, batch_size=3,
            random_state=0, snapshot_every=2, engine=engine,
        )  # fmt: skip
        trainer.fit(X, y, max_iter=2, tol=None)
        histories.append(trainer.history)
    a, b = histories
    assert len(a.snapshot_step) == len(b.snapshot_step) == 17  # 34 steps, every 2nd
    np.testing.assert_allclose(b.params["affine.W"], a.params["affine.W"], rtol=1e-12)
    np.testing.assert_allclose(b.grad_norm, a.grad_norm, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(b.step_loss, a.step_loss, rtol=1e-12)


def _formula_args(fn, rng):
    """Arrays for each argument of a formula: z, pred, w, ... with ±1e6 among them."""
    import inspect

    args = []
    for name in inspect.signature(fn).parameters:
        if name in ("y",):
            a = rng.integers(0, 2, size=12).astype(np.float64)
        elif name in ("pred",):
            a = rng.uniform(0.01, 0.99, size=12)
        elif name in ("t", "every"):
            a = rng.integers(1, 50, size=12)
        elif name in ("lr", "beta", "beta1", "beta2", "eps", "l1_ratio", "drop",
                      "gamma", "power", "k", "u", "v", "epsilon"):  # fmt: skip
            a = rng.uniform(0.05, 0.95, size=12)
        else:  # z, w, p, g, m, q
            a = rng.normal(scale=3.0, size=12)
            a[:2] = (1e6, -1e6)
        args.append(a)
    return args


def _calling(fn, n):
    """A function of n arguments calling the formula, as a kernel does."""
    return {
        1: lambda a: fn(a),
        2: lambda a, b: fn(a, b),
        3: lambda a, b, c: fn(a, b, c),
        4: lambda a, b, c, d: fn(a, b, c, d),
        5: lambda a, b, c, d, e: fn(a, b, c, d, e),
        8: lambda a, b, c, d, e, f, g, h: fn(a, b, c, d, e, f, g, h),
    }[n]


def test_every_formula_compiled_on_scalars_equals_numpy_on_arrays():
    """The kernels run the node path's formulas: compiled on one entry, NumPy on all."""
    from numba import njit

    import lingrad.training.compiled._jit  # noqa: F401  (registers the formulas)
    import lingrad.training.schedules  # noqa: F401  (its formulas are marked too)
    from lingrad.core.nodes import FORMULAS

    assert len(FORMULAS) >= 20
    rng = np.random.default_rng(0)
    for fn in FORMULAS:
        args = _formula_args(fn, rng)
        with np.errstate(over="ignore"):  # σ(-1e6) = 1 / inf, as in the node path
            expected = np.broadcast_to(fn(*args), args[0].shape)
        kernel = njit(_calling(fn, len(args)))
        with np.errstate(over="ignore"):  # (NUMBA_DISABLE_JIT=1: NumPy on scalars)
            got = np.array([kernel(*(a[i].item() for a in args)) for i in range(12)])
        np.testing.assert_allclose(got, expected, rtol=1e-14, err_msg=fn.__name__)


def test_the_kernels_dispatch_every_registered_loss_form_to_its_formulas():
    """``loss_value`` is built from the registry: kind k runs form k of ``FORMS``
    (compiled on one entry) and gives what the form gives on arrays."""
    from numba import njit

    from lingrad.core.losses import LOSSES
    from lingrad.training.compiled._rows import loss_value
    from lingrad.training.compiled.plan import FORMS

    assert FORMS == tuple(f for cls in LOSSES.values() for f in cls.forms)
    kernel = njit(lambda k, pred, y, arg: loss_value(k, pred, y, arg))
    rng = np.random.default_rng(0)
    pred, y = rng.normal(scale=2.0, size=8), rng.integers(0, 2, 8).astype(float)
    for kind, form in enumerate(FORMS):
        args = (0.7,) if len(inspect.signature(form.J0).parameters) == 3 else ()
        with np.errstate(over="ignore"):
            want = (form.J0(pred, y, *args), form.dJ0_dpred(pred, y, *args))
        got = np.array(
            [kernel(kind, p, t, 0.7) for p, t in zip(pred, y, strict=True)]
        ).T
        np.testing.assert_allclose(got, want, rtol=1e-14, err_msg=form.J0.__name__)
    assert np.isnan(kernel(len(FORMS), 0.5, 1.0, 0.7)).all()  # past the table


def test_a_plain_loss_class_in_the_registry_gets_a_kernel(monkeypatch):
    """Adding an elementwise loss is one class: registered, it has a kernel plan."""
    import lingrad.training.compiled.plan as plan_module
    from lingrad.core.losses import LOSSES, Elementwise, Loss, squared_error_J0
    from lingrad.core.losses import squared_error_dJ0_dpred as dJ0

    class Squared(Loss):
        name = "squared_again"
        forms = (Elementwise(squared_error_J0, dJ0),)

    assert plan_for(affine(), Squared(), None, GD(), None)[0] is None  # unregistered
    monkeypatch.setitem(LOSSES, "squared_again", Squared)
    monkeypatch.setattr(plan_module, "FORMS", (*plan_module.FORMS, *Squared.forms))
    plan, reason = plan_for(affine(2, 1, Sigmoid()), Squared(), None, GD(), None)
    assert plan is not None and reason == ""


def test_kernels_cached_from_other_formulas_are_not_loaded(tmp_path):
    """numba's disk cache keys a kernel on its own file only: once a formula module
    changes (a loss added or edited), the kernels compiled before are dropped."""
    import os

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NUMBA_DISABLE_JIT", None)  # the disk cache of the compiled kernels
    code = (
        "import sys, numpy as np\n"
        "import lingrad.training.compiled.plan\n"
        "if len(sys.argv) > 1:  # the formulas as they are after an edit\n"
        "    sys.modules['lingrad.core.losses'].__file__ = sys.argv[1]\n"
        "from lingrad.training.compiled._rows import argmax\n"
        "argmax(np.zeros(3))\n"
        "print(sum(argmax.stats.cache_hits.values()))\n"
    )
    edited = tmp_path / "losses.py"
    edited.write_text("# the losses, and one more\n", encoding="utf-8")

    def loaded(*args):
        out = subprocess.run([sys.executable, "-c", code, *args], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return int(out.stdout)

    assert [loaded(), loaded()] == [0, 1]  # compiled, then loaded from the cache
    assert [loaded(str(edited)), loaded(str(edited))] == [0, 1]  # recompiled


def test_every_formula_is_compilable_whatever_was_imported_first():
    """Importing the kernels' decorators first registers the formulas of every
    formula module (a schedule's too), not only those imported before."""
    code = (
        "import lingrad.training.compiled._jit\n"
        "from numba import njit\n"
        "from lingrad.training.schedules import inverse_time_lr\n"
        "lr_t = njit(lambda t, lr, k, p: inverse_time_lr(t, lr, k, p))\n"
        "print(lr_t(0.5, 3, 1.0, 0.5))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, capture_output=True, text=True, env=env, check=True)
    from lingrad.training.schedules import inverse_time_lr

    assert float(out.stdout) == inverse_time_lr(0.5, 3, 1.0, 0.5)


@pytest.mark.skipif(
    bool(__import__("numba").config.DISABLE_JIT), reason="NUMBA_DISABLE_JIT: no kernel"
)
def test_each_loss_form_has_its_own_kernel_found_without_retyping(monkeypatch):
    """run_batches is compiled per (loss form, activation) as constants, and a
    later call finds that kernel in numba's dispatch (no typing in Python)."""
    from numba import types

    from lingrad.training.compiled._loop import run_batches
    from lingrad.training.compiled.plan import FORMS

    X, y = _regression()
    losses = [SquaredError(), SquaredError(half=True)]
    for loss in losses:
        Trainer(affine(3), loss, engine="compiled").fit(X, y, max_iter=1, tol=None)
    pairs = {tuple(sig.args[-2:]) for sig in run_batches.nopython_signatures}
    for loss in losses:
        assert (types.literal(FORMS.index(loss.form)), types.literal(0)) in pairs

    def retype(*args, **kwargs):
        raise AssertionError("the kernel was typed again")

    monkeypatch.setattr(run_batches, "_compile_for_args", retype)
    for loss in losses:
        trainer = Trainer(affine(3), loss, engine="compiled")
        trainer.fit(X, y, max_iter=2, tol=None)
        assert trainer.last_engine == "compiled"


def test_a_constant_is_typed_by_numba_as_its_value_and_is_an_int():
    from numba import typeof, types

    from lingrad.training.compiled._jit import Constant

    assert typeof(Constant(3)) == types.literal(3)
    assert Constant(3) == 3 and Constant(3) + 1 == 4 and isinstance(Constant(0), int)
