"""The first compiled fit: engine="auto" never waits for numba.

With the kernel not yet compiled, an ``engine="auto"`` fit starts a background
compile (``lingrad.training.compiled.warm``) and runs the node path, handing
the rest of a run to the kernels once the compile has filled numba's cache
(``lingrad.training.compiled.handover``): same numbers as either engine, no
process left behind, and the next process loads the kernel from the cache,
also where the installed package's folder is not writable.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import config
from numpy.testing import assert_allclose

from lingrad.core.accuracy import CountCorrect
from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.core.nodes import Affine
from lingrad.core.penalties import L1, L2
from lingrad.training.compiled import handover, warm
from lingrad.training.train import DivergenceError, Trainer

HISTORY = ("step_loss", "step_lr", "grad_norm", "epoch_loss", "accumulated_accuracy")
SRC = Path(warm.__file__).resolve().parents[3]  # the folder holding lingrad/


def _data(N=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = (X @ np.array([1.5, -1.0, 0.5]) + 0.5 * rng.normal(size=N) > 0).astype(int)
    return X, y


def _trainer(engine):
    chain = Chain([Affine.init(3, 1, np.random.default_rng(1))])
    return Trainer(
        chain, BinaryCrossEntropy(from_logits=True), penalty=L1(1e-3), optimizer="adam",
        lr=0.05, batch_size=2, random_state=0, snapshot_every=7, grad_norm_every=3,
        engine=engine,
    )  # fmt: skip


@pytest.fixture
def cold(monkeypatch):
    """The kernel "not ready": no background process; the compile finishes after
    the node path's third slice of a run. Returns the engines each slice ran."""
    polls, ran = [], []
    monkeypatch.setattr(warm, "ready", lambda dtype, form: False)
    monkeypatch.setattr(warm, "start", lambda dtype, form: not polls.append("start"))
    monkeypatch.setattr(
        warm, "finished", lambda dtype, form: polls.append(1) or len(polls) > 4
    )
    monkeypatch.setattr(handover, "SLICE_ROWS", 10)  # 5 batches of 2 per slice
    slice_ = handover.HandoverEngine._slice

    def spy(self, eng, *args):
        ran.append(type(eng).__name__)
        return slice_(self, eng, *args)

    monkeypatch.setattr(handover.HandoverEngine, "_slice", spy)
    return ran


def test_a_cold_auto_fit_runs_the_nodes_then_the_kernels_with_the_nodes_numbers(cold):
    X, y = _data()
    nodes, auto = _trainer("nodes"), _trainer("auto")
    for trainer in (nodes, auto):
        trainer.fit(X, y, max_iter=3, tol=None, n_correct=CountCorrect())
    assert auto.last_engine == "nodes, then compiled"
    assert cold[:3] == ["NodeEngine"] * 3  # slices of 5 batches; then the kernels
    assert set(cold[3:]) == {"CompiledEngine"}
    for key, p in nodes.chain.params.items():
        assert_allclose(auto.chain.params[key], p, rtol=1e-12, atol=1e-14)
    for key in HISTORY:
        a, b = getattr(auto.history, key), getattr(nodes.history, key)
        assert_allclose(a, b, rtol=1e-12, equal_nan=True)
    for key, p in nodes.history.params.items():  # the snapshots, every 7 steps
        assert_allclose(auto.history.params[key], p, rtol=1e-12, atol=1e-14)
    assert (auto.t, auto.epoch) == (nodes.t, nodes.epoch)


def test_a_cold_auto_fit_that_diverges_rolls_back_as_the_nodes_do(cold):
    X, y = _data()
    X, y = 1000.0 * X + 500.0, X @ np.array([1.0, -1.0, 0.5])  # unscaled inputs
    outcome = {}
    for engine in ("nodes", "auto"):
        chain = Chain([Affine(np.zeros((3, 1)), np.zeros(1))])
        trainer = Trainer(chain, SquaredError(), penalty=L2(0.1), lr=1e6,
                          batch_size=5, random_state=0, engine=engine)  # fmt: skip
        with pytest.raises(DivergenceError, match="the loss became") as error:
            trainer.fit(X, y, max_iter=50, tol=None)
        e = error.value
        outcome[engine] = ((e.epoch, e.step, e.t, e.lr), chain.params)
    assert cold[:3] == ["NodeEngine"] * 3 and cold[-1] == "CompiledEngine"
    assert outcome["auto"][0] == outcome["nodes"][0]
    for key, p in outcome["nodes"][1].items():  # the last finite parameters
        assert np.isfinite(p).all()
        assert_allclose(outcome["auto"][1][key], p, rtol=1e-12)


def test_an_explicit_compiled_fit_compiles_in_process_even_when_cold(monkeypatch):
    monkeypatch.setattr(warm, "ready", lambda dtype, form: False)
    monkeypatch.setattr(warm, "start", lambda *a: pytest.fail("no background"))
    X, y = _data()
    trainer = _trainer("compiled")
    trainer.fit(X, y, max_iter=1, tol=None)
    assert trainer.last_engine == "compiled"
    if not config.DISABLE_JIT:
        assert warm.kernel().signatures  # the kernel ran, compiled here


def test_auto_compiles_in_process_where_no_background_compile_can_start(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(warm, "ready", lambda dtype, form: False)
    monkeypatch.setattr(warm, "_children", {})  # no compile left by an earlier test
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    X, y = _data()
    trainer = _trainer("auto")
    trainer.fit(X, y, max_iter=1, tol=None)
    assert trainer.last_engine == "compiled"
    assert not warm._children


FIT = """
import json, os, sys, warnings
import numpy as np
from lingrad.models import LogisticRegression
from lingrad.training.compiled import warm
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
y = (X @ np.array([1.5, -1.0, 0.5]) > 0).astype(int)
model = LogisticRegression(solver="sgd", optimizer="momentum", max_iter=4, tol=None,
                           random_state=0).fit(X, y)
kernel = warm.kernel()
out = {"engine": model._trainer.last_engine, "coef": model.coef_.tolist(),
       "intercept": model.intercept_.tolist(), "compiled_here": len(kernel.signatures),
       "hits": sum(kernel.stats.cache_hits.values()),
       "misses": sum(kernel.stats.cache_misses.values()),
       "cache": kernel.stats.cache_path,
       "child": [c.pid for c in warm._children.values()]}
if sys.argv[1] == "wait":
    out["codes"] = warm.wait()
print(json.dumps(out))
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
    )


@pytest.mark.skipif(config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT: nothing compiles")
def test_a_cold_fit_leaves_no_process_and_a_background_compile_fills_the_cache(
    tmp_path,
):
    """An installed copy whose folders take no cache (as a read-only site-packages):
    numba caches in the user's cache folder; the first process runs the nodes,
    the next loads the kernel from the cache, with the same numbers."""
    site = tmp_path / "site"
    shutil.copytree(SRC / "lingrad", site / "lingrad",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    compiled = site / "lingrad" / "training" / "compiled"
    (compiled / "__pycache__").write_text("not a folder: numba's in-tree cache fails")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "xdg"),
               HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")  # fmt: skip

    def fit(mode):
        proc = subprocess.run([sys.executable, "-c", FIT, mode], env=env,
                              capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)

    first = fit("exit")  # exits while its background compile runs
    assert first["engine"] == "nodes, then compiled"
    assert first["compiled_here"] == 0  # the kernel never compiled in-process
    assert Path(first["cache"]).is_relative_to(tmp_path / "xdg" / "numba")
    assert not any(_alive(pid) for pid in first["child"])  # ended and reaped
    second = fit("wait")  # waits for its background compile to finish
    assert second["engine"] == "nodes, then compiled"
    assert second["codes"] == {"float64:2:0": 0}  # log-loss, no activation
    assert list(Path(second["cache"]).glob("*.run_batches-*.nbi"))  # the cache filled
    third = fit("exit")
    assert third["engine"] == "compiled"  # loaded from the cache, not compiled
    assert (third["hits"], third["misses"], third["child"]) == (1, 0, [])
    for run in (second, third):
        for key in ("coef", "intercept"):
            assert_allclose(run[key], first[key], rtol=1e-12)


FORMS = """
import json, sys
import numpy as np
from lingrad.core.chain import Chain
from lingrad.core.losses import Hinge, Huber
from lingrad.core.nodes import Affine
from lingrad.training.compiled import warm
from lingrad.training.compiled.plan import FORMS
from lingrad.training.train import Trainer
hinge, huber = (FORMS.index(Hinge().form), 0), (FORMS.index(Huber().form), 0)
out = {"hinge": hinge, "ready": [warm.ready(np.float64, hinge),
                                 warm.ready(np.float64, huber)]}
X = np.random.default_rng(0).normal(size=(40, 2))
trainer = Trainer(Chain([Affine(np.zeros((2, 1)), np.zeros(1))]), Hinge(),
                  engine="auto")
trainer.fit(X, np.sign(X[:, 0]), max_iter=1, tol=None)
kernel = warm.kernel()
out.update(engine=trainer.last_engine, misses=sum(kernel.stats.cache_misses.values()),
           children=len(warm._children))
print(json.dumps(out))
"""


@pytest.mark.skipif(config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT: nothing compiles")
def test_the_kernel_is_ready_per_loss_form_and_precompiled_by_name(tmp_path):
    """``precompile float64:LOSS:ACT`` fills the cache for that form: a later
    process finds it ready and loads it; another form is not ready (auto would
    hand over while a background compile runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(SRC))

    def run(*argv):
        proc = subprocess.run([sys.executable, *argv], env=env, capture_output=True,
                              text=True, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    hinge = json.loads(run("-c", "from lingrad.training.compiled.plan import FORMS\n"
                           "from lingrad.core.losses import Hinge\n"
                           "print(FORMS.index(Hinge().form))"))  # fmt: skip
    form = f"float64:{hinge}:0"
    assert f"the {form} kernel is compiled" in run(
        "-m", "lingrad.training.compiled.precompile", form
    )
    out = json.loads(run("-c", FORMS))
    assert out["ready"] == [True, False]
    assert (out["engine"], out["misses"], out["children"]) == ("compiled", 0, 0)
