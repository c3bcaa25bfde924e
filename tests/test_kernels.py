"""The compiled engine's boundaries: what has a kernel, what auto picks, imports."""

import subprocess
import sys

import numpy as np
import pytest

from lingrad.accuracy import CountCorrect
from lingrad.callbacks import Callback
from lingrad.chain import Chain
from lingrad.kernels.plan import plan_for
from lingrad.losses import BinaryCrossEntropy, CrossEntropy, SquaredError
from lingrad.nodes import Affine, Sigmoid, Softmax, Tanh
from lingrad.optim import GD, Adam, Optimizer
from lingrad.penalties import L1
from lingrad.train import Trainer


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

    for engine in ("auto", "compiled"):
        trainer = Trainer(affine(), SquaredError(), lr=0.05, engine=engine)
        if engine == "auto":
            trainer.fit(X, y, max_iter=2, tol=None, callbacks=[Every()])
            assert trainer._run_plan is None  # the callback ran on the node path
            trainer.fit(X, y, max_iter=2, tol=None)
            assert trainer._run_plan is not None
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
