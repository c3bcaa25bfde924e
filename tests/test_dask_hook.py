"""models → scale by a hook, never an import: the estimators hand Dask collections
to the dispatch that lingrad.scale installs, and load it by name when needed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from lingrad.models import LinearRegression, LogisticRegression, dask_hook


class _FakeCollection:
    """Looks like a Dask collection to the duck-type test (no Dask needed)."""

    def __dask_graph__(self) -> dict[str, Any]:
        return {}


X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [1.0, 3.0], [2.0, 0.0]])
Y = np.array([0, 0, 1, 1, 0, 1])


def test_is_dask_is_a_duck_type_test() -> None:
    assert dask_hook.is_dask(_FakeCollection())
    assert not dask_hook.is_dask(_FakeCollection)  # the class, not a collection
    assert not dask_hook.is_dask(X)


@pytest.mark.parametrize("method", ["fit", "predict", "score"])
def test_a_dask_collection_goes_to_the_installed_dispatch(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(dask_hook, "_dispatch", lambda *a, **k: calls.append(a))
    model = LinearRegression().fit(X, X[:, 0])
    collection = _FakeCollection()
    args = (X[:, 0],) if method != "predict" else ()
    getattr(model, method)(collection, *args)
    assert calls == [(model, method, collection, *args)]
    getattr(model, method)(X, *args)  # NumPy: the method itself, no dispatch
    assert len(calls) == 1


def test_a_dask_y_alone_also_goes_to_the_dispatch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        dask_hook, "_dispatch", lambda est, name, *a: calls.append(name)
    )
    LogisticRegression().fit(X, _FakeCollection())
    assert calls == ["fit"]


def test_models_load_scale_by_name_only_for_dask_input() -> None:
    """Fitting NumPy never loads lingrad.scale; the first Dask input loads it,
    which installs its dispatch, and the Dask fit equals the in-memory one."""
    pytest.importorskip("dask.array")
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import dask.array as da
        from lingrad.models import dask_hook
        from lingrad.models.logistic import LogisticRegression

        rng = np.random.RandomState(0)
        X = rng.randn(40, 3)
        y = (X[:, 0] + 0.5 * rng.randn(40) > 0).astype(int)
        here = LogisticRegression().fit(X, y)
        assert "lingrad.scale" not in sys.modules and dask_hook._dispatch is None
        there = LogisticRegression().fit(
            da.from_array(X, chunks=10), da.from_array(y, chunks=10)
        )
        assert dask_hook._dispatch is sys.modules["lingrad.scale"].dispatch
        np.testing.assert_allclose(there.coef_, here.coef_, rtol=1e-6, atol=1e-9)
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
