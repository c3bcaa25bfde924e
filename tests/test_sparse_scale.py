"""Sparse blocks out of core: ``fit --text`` streamed and on Dask, and estimators
on Dask arrays whose blocks are CSR, against the in-memory fit.

A CSV of short texts with labels: ``--stream`` and ``--engine dask`` (the
session's real LocalCluster, through ``--scheduler``) hold out the same rows
and give the in-memory coefficients to 1e-10 for the exact solvers (hashed and
TF-IDF features; the TF-IDF vocabulary and idf from one counting pass) and,
on Dask, for full-batch gradient descent. Estimators fit on a Dask array of
CSR blocks give the in-memory CSR fit; SGD the in-memory ``partial_fit``
sequence over the blocks (docs/scale.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from lingrad import load  # noqa: E402
from lingrad.cli import main  # noqa: E402
from lingrad.models import (  # noqa: E402
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
)
from lingrad.scale.dask_sgd import block_order, order_seed  # noqa: E402
from lingrad.workflows.pipeline import final_estimator  # noqa: E402

WORDS = ("good great fine nice happy bad awful poor sad dull plot actor scene "
         "music film story slow fast long short").split()  # fmt: skip


def reviews_csv(path: Path, n: int = 400) -> Path:
    """x (a number), t (a few words, class-dependent), label (pos / neg)."""
    rng = np.random.default_rng(11)
    lines = ["x,t,label"]
    for _ in range(n):
        pos = rng.random() < 0.5
        k = rng.integers(2, 7)
        p = np.full(len(WORDS), 1.0)
        p[:5] += 3 * pos
        p[5:10] += 3 * (not pos)
        words = rng.choice(WORDS, size=k, p=p / p.sum())
        x = rng.normal() + 0.5 * pos
        lines.append(f"{x:.6f},{' '.join(words)},{'pos' if pos else 'neg'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> None:
    code = main([str(a) for a in argv])
    _, err = capsys.readouterr()
    assert code == 0, err


def n_rows(out: Path) -> tuple[int, int]:
    doc = json.loads((out / "metrics.json").read_text())["metrics"]
    return doc["train"]["n"], doc["test"]["n"]


def fit_engines(
    capsys: Any, client: Any, data: Path, tmp_path: Path, engines: tuple[str, ...],
    *args: Any,
) -> dict[str, Any]:  # fmt: skip
    how = {
        "memory": ["--no-stream"],
        "stream": ["--stream", "--chunk-rows", "64"],
        "dask": ["--engine", "dask", "--scheduler", client.scheduler.address],
    }
    fitted = {}
    for engine in ("memory", *engines):
        out = tmp_path / engine
        run(capsys, "fit", "-d", data, "-t", "label", "-m", "logistic", "--text",
            "t", "--test-size", "0.25", "--seed", "5", "--no-figures", "-o", out,
            *args, *how[engine])  # fmt: skip
        fitted[engine] = (load(out / "model.lingrad"), n_rows(out))
    return fitted


def assert_same_model(fitted: dict[str, Any], engine: str) -> None:
    (model, n), (ref, n_ref) = fitted[engine], fitted["memory"]
    assert n == n_ref, engine  # the same training and held-out rows
    est, want = final_estimator(model), final_estimator(ref)
    assert_allclose(est.coef_, want.coef_, rtol=1e-10, atol=1e-10, err_msg=engine)
    assert_allclose(est.intercept_, want.intercept_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("features", ["hash", "tfidf"])
def test_fit_text_streamed_and_on_dask_gives_the_in_memory_model(
    features: str, client: Any, tmp_path: Path, capsys: Any
) -> None:
    data = reviews_csv(tmp_path / "reviews.csv")
    width = ["--n-features", "256"] if features == "hash" else []
    fitted = fit_engines(
        capsys, client, data, tmp_path, ("stream", "dask"), "--text-features",
        features, *width, "--solver", "lbfgs", "--alpha", "0.01", "--tol", "1e-12",
    )  # fmt: skip
    for engine in ("stream", "dask"):
        assert_same_model(fitted, engine)
    if features == "tfidf":  # the counting pass: the in-memory vocabulary and idf
        vecs = {e: fitted[e][0].steps[0][1].named_transformers_["text0"]
                for e in fitted}  # fmt: skip
        for engine in ("stream", "dask"):
            assert vecs[engine].vocabulary_ == vecs["memory"].vocabulary_
            assert_allclose(vecs[engine].idf_, vecs["memory"].idf_, rtol=1e-15)


def test_batch_gradient_descent_on_dask_text_is_the_in_memory_one(
    client: Any, tmp_path: Path, capsys: Any
) -> None:
    data = reviews_csv(tmp_path / "reviews.csv")
    fitted = fit_engines(
        capsys, client, data, tmp_path, ("dask",), "--n-features", "128",
        "--solver", "batch", "--lr", "0.5", "--max-iter", "20", "--tol", "0",
    )  # fmt: skip
    assert_same_model(fitted, "dask")


CHUNKS = (37, 1, 0, 52, 30)  # unequal, one row, an empty block


@pytest.fixture(scope="module")
def csr_data() -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(4)
    X = sp.random(120, 40, density=0.1, format="csr", random_state=rng)
    w = rng.normal(size=40)
    y = X @ w + 0.2 * rng.normal(size=120)
    labels = np.digitize(X @ w, [-0.3, 0.3])
    return X, y, labels


def csr_blocks(X: Any) -> Any:
    return da.from_array(X, chunks=(CHUNKS, (X.shape[1],)), asarray=False)


@pytest.mark.parametrize(
    "est,target",
    [
        (LinearRegression(), "y"),
        (LinearRegression(solver="lbfgs", penalty="l2", alpha=0.01, tol=1e-12), "y"),
        (
            LogisticRegression(solver="lbfgs", penalty="l2", alpha=0.01, tol=1e-12),
            "labels",
        ),  # fmt: skip
        (SoftmaxRegression(solver="newton", tol=1e-12), "labels"),
        (
            LogisticRegression(
                solver="batch", lr=0.5, max_iter=15, tol=None, penalty="l1", alpha=1e-3
            ),
            "labels",
        ),  # fmt: skip
    ],
    ids=["normal", "lbfgs-l2", "logistic-lbfgs", "softmax-newton", "batch-l1"],
)
def test_a_dask_array_of_csr_blocks_fits_the_in_memory_csr_model(
    est: Any, target: str, client: Any, csr_data: Any
) -> None:
    X, y, labels = csr_data
    t = y if target == "y" else labels
    ours = clone(est).fit(csr_blocks(X), da.from_array(t, chunks=(CHUNKS,)))
    ref = clone(est).fit(X, t)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
    pred = ours.predict(csr_blocks(X)).compute()
    assert_allclose(pred, ref.predict(X))
    assert float(ours.score(csr_blocks(X), t)) == pytest.approx(ref.score(X, t))


def test_sgd_on_csr_blocks_follows_partial_fit_over_shuffled_blocks(
    client: Any, csr_data: Any
) -> None:
    X, _, labels = csr_data
    est = LogisticRegression(solver="sgd", lr=0.1, max_iter=3, tol=None,
                             random_state=2)  # fmt: skip
    ours = clone(est).fit(csr_blocks(X), da.from_array(labels, chunks=(CHUNKS,)))
    ref = clone(est)
    seed = order_seed(2)
    bounds = np.concatenate([[0], np.cumsum(CHUNKS)])
    for epoch in range(3):
        for i in block_order(seed, epoch, len(CHUNKS)):
            if CHUNKS[i]:
                rows = slice(bounds[i], bounds[i + 1])
                ref.partial_fit(X[rows], labels[rows], classes=[0, 1, 2])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    assert ours.t_ == ref.t_


def test_hashed_categories_with_an_id_streamed_and_on_dask_give_the_in_memory_model(
    client: Any, tmp_path: Path, capsys: Any
) -> None:
    """``--hash-categories`` (a many-levelled column hashed, not one-hot) beside a
    ``--text`` column and a text ``--id``: the same rows and model everywhere."""
    rng = np.random.default_rng(3)
    plain = reviews_csv(tmp_path / "plain.csv").read_text().splitlines()
    venues = [f"v{k}" for k in range(60)]
    lines = ["rid,venue," + plain[0]]
    for i, line in enumerate(plain[1:]):
        lines.append(f"r{i},{venues[rng.integers(len(venues))]},{line}")
    data = tmp_path / "reviews_venue.csv"
    data.write_text("\n".join(lines) + "\n")
    fitted = fit_engines(
        capsys, client, data, tmp_path, ("stream", "dask"), "--id", "rid",
        "--hash-categories", "--n-features", "512", "--solver", "lbfgs",
        "--alpha", "0.01", "--tol", "1e-12",
    )  # fmt: skip
    for engine in ("stream", "dask"):
        assert_same_model(fitted, engine)
    est = final_estimator(fitted["memory"][0])
    assert est.coef_.size >= 512  # hashed features, not 60 one-hot columns


def test_a_streamed_epoch_hashes_each_row_once(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training and the last epoch's metrics share one transform of a batch (the
    text's hashing was run three times a batch: fit, predict, predict_proba)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hashed: list[int] = []
    original = HashingVectorizer.transform

    def spy(self: Any, X: Any) -> Any:
        hashed.append(len(X))
        return original(self, X)

    monkeypatch.setattr(HashingVectorizer, "transform", spy)
    data = reviews_csv(tmp_path / "reviews.csv")  # 400 rows
    out = tmp_path / "run"
    run(capsys, "fit", "-d", data, "-t", "label", "-m", "logistic", "--text", "t",
        "--solver", "sgd", "--max-iter", "1", "--test-size", "0.25", "--no-figures",
        "--stream", "--chunk-rows", "64", "-o", out)  # fmt: skip
    assert sum(n_rows(out)) == 400
    assert 400 <= sum(hashed) < 2 * 400  # each row once, and the saved model's check
