"""``lingrad explain`` on sparse features (``--text``, ``--hash-categories``): the
step written out on the nonzeros of x and the weights they touch, each named,
the untouched weights in one line; its numbers are a Trainer step on the CSR row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from clirun import explain
from lingrad.core.penalties import penalized
from lingrad.data.lectures import model_settings
from lingrad.models.registry import MODELS
from lingrad.training.train import Trainer
from lingrad.workflows.explain import trainer_steps
from lingrad.workflows.walk import targets, walk

REVIEWS = str(Path(__file__).parents[1] / "examples" / "reviews.csv")
DATA = ["--data", REVIEWS, "--target", "sentiment", "--id", "id"]
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")


def _csr(n: int = 14, D: int = 1 << 16, seed: int = 0) -> sp.csr_matrix:
    """Rows of 3..8 nonzeros in a wide space, one column repeated in a row (its
    entries summed), and an all-zero row."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for i in range(n):
        if i == 4:
            continue  # an empty row: nothing but the bias moves
        k = int(rng.integers(3, 9))
        c = rng.choice(64, size=k, replace=False) * 997 % D  # rows share columns
        rows += [i] * (k + 1)
        cols += [*c.tolist(), int(c[0])]
        vals += rng.normal(size=k + 1).tolist()
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, D))


def _labels(spec: Any, n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    if not spec.is_classifier:
        return rng.normal(size=n)
    k = 3 if spec.name in ("softmax", "multiclass-perceptron", "two-layer") else 2
    return np.arange(n) % k


def _trainer_step(
    spec: Any, est: Any, X: Any, y: Any, classes: Any, K: int, lr: float, engine: str
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Steps 0..K-1 and then step K by the Trainer (per-sample GD, rows in
    order): the parameters before and after step K, and the penalty."""
    D = X.shape[1]
    loss = est.training_problem().loss
    Y = targets(est, loss, y, classes)
    problem = est.training_problem(start="fresh", random_state=0, shape=(D, Y.shape[1]))
    chain = problem.chain

    def run(rows: slice) -> None:
        trainer = Trainer(
            chain, problem.loss, problem.penalty, "gd", lr, "constant", batch_size=1,
            shuffle=False, engine=engine,
        )  # fmt: skip
        trainer.fit(X[rows], Y[rows], max_iter=1, tol=None)

    if K:
        run(slice(0, K))
    before = {k: p.copy() for k, p in chain.params.items()}
    run(slice(K, K + 1))
    return before, {k: p.copy() for k, p in chain.params.items()}, problem.penalty


CASES = [
    (name, penalty, engine)
    for name in ("linear", "logistic", "bipolar", "softmax", "perceptron", "two-layer")
    for penalty in ("none", "l2", "l1")
    for engine in (("nodes",) if name == "two-layer" else ("nodes", "compiled"))
]


@pytest.mark.parametrize(("name", "penalty", "engine"), CASES)
def test_sparse_walk_is_the_trainers_step_on_the_csr_row(
    name: str, penalty: str, engine: str
) -> None:
    """The walk's before, gradient and after on the touched rows of W, and every
    other parameter, are the Trainer's step on the same CSR row (1e-12), its
    steps 0..K-1 run by a loop of Steps or (as explain runs them) the Trainer;
    the untouched rows moved only by the penalty, as the summary says."""
    spec = MODELS[name]
    X = _csr()
    y = _labels(spec, X.shape[0])
    lr = 0.3
    for K in (0, 5, 4, 17):  # row 4 is empty; 17 wraps around to row 3
        est = spec.cls()(penalty=penalty, alpha=0.05, random_state=0,
                         **model_settings(name))  # fmt: skip
        run = trainer_steps if engine == "compiled" else None  # explain's runner
        w = walk(spec, est, X, y, step=K, lr=lr, seed=0, run_steps=run)
        order = np.arange(K + 1) % X.shape[0]  # the same rows, in order
        classes = np.unique(y) if spec.is_classifier else None
        before, after, pen = _trainer_step(
            spec, est, X[order], y[order], classes, K, lr, engine
        )
        key = w.sparse_key
        row = X[K % X.shape[0]]
        row.sum_duplicates()
        cols = row.indices
        assert_allclose(w.columns, cols)
        assert_allclose(w.x, row.data, rtol=1e-15)
        for k in after:
            pick = cols if k == key else slice(None)
            scale = max(np.abs(after[k]).max(), 1e-300)
            assert_allclose(
                w.before[k], before[k][pick], rtol=1e-12, atol=1e-12 * scale
            )
            assert_allclose(w.after[k], after[k][pick], rtol=1e-12, atol=1e-12 * scale)
            assert_allclose(w.after[k], w.before[k] - lr * w.grads[k], rtol=1e-12,
                            atol=1e-12 * scale)  # fmt: skip
        rest = np.setdiff1d(np.arange(X.shape[1]), cols)
        shrink = before[key][rest] - (
            lr * pen.grad(before[key])[rest] if pen is not None and penalized(key)
            else 0.0
        )  # fmt: skip
        assert_allclose(after[key][rest], shrink, rtol=1e-12, atol=1e-14)
        moved = np.any(after[key][rest] != before[key][rest], axis=1)
        assert w.untouched.columns == len(rest)
        assert w.untouched.moved == int(moved.sum())
        assert w.untouched.nonzero == int(np.any(before[key][rest], axis=1).sum())


def _block(out: str, name: str) -> str:
    return out.split(f"# {name}")[1].split("\n\n")[0]


def test_hashed_text_is_explained_on_its_nonzeros_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The reviews example: x's nonzeros each named (the hashed column's number and
    word, the venue), the update of each touched weight, the other weights in one
    line; a short page; its numbers are the walk's to the digits printed."""
    argv = [*DATA, "--text", "review", "--lr", "0.5", "--step", "3"]
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) < 70, out
    assert "example 3 (id R0003) of 400" in out
    x_lines = [ln for ln in lines if ln.startswith("  x[")]
    update = _block(out, "update")
    W_lines = [ln for ln in update.splitlines() if ln.startswith("  W[")]
    assert 3 <= len(x_lines) == len(W_lines) < 20
    assert sum("review: hash #" in ln for ln in x_lines) == len(x_lines) - 1
    assert sum("venue_" in ln for ln in x_lines) == 1  # one-hot, sparse
    for x_ln, W_ln in zip(x_lines, W_lines, strict=True):
        j = x_ln.split("[")[1].split("]")[0]
        assert W_ln.startswith(f"  W[{j}] ")
        assert x_ln.split("   ")[-1].strip() == W_ln.split("   ")[-1].strip()
    # the example's words name their hashed columns (examples/reviews.csv, row 3)
    row3 = "clever script cast movie brilliant acting with is"
    named = {ln.split("(")[-1].rstrip(")") for ln in x_lines if "hash #" in ln}
    assert "hash #k" in out  # a line on x[j] beside a hashed column's own #k
    assert named == set(row3.split()), x_lines
    D = 1 << 20
    (other,) = [ln for ln in update.splitlines() if "the other" in ln]
    n_other = int(other.split("the other ")[1].split(" ")[0].replace(",", ""))
    assert n_other == D + 4 - len(x_lines)  # 2^20 hashed + 4 venues
    assert "x_j = 0" in other and "unchanged" in other
    # the printed update is the walk's (the Trainer's step: the test above)
    from lingrad.workflows.explain import explain_step
    from lingrad.workflows.text import text_options

    w, _, _ = explain_step(
        MODELS["logistic"], REVIEWS, "sentiment", None, lr=0.5, step=3,
        text=text_options(["review"]), id_column="id",
    )  # fmt: skip
    printed = np.array([
        [float(v) for v in NUMBER.findall(ln.split("] ", 1)[1].split("   ")[0])]
        for ln in W_lines
    ])  # fmt: skip
    assert_allclose(printed[:, 1], 0.5)
    for k, key in ((0, "before"), (2, "grads"), (3, "after")):
        value = getattr(w, key)[w.sparse_key][:, 0]
        assert_allclose(printed[:, k], value, rtol=6e-6, atol=1e-12)


def test_the_l2_penalty_says_only_its_shrink_moves_the_other_weights(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [*DATA, "--text", "review", "--lr", "0.5", "--step", "6",
            "--penalty", "l2", "--alpha", "0.01"]  # fmt: skip
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    update = _block(out, "update").splitlines()
    (k,) = [k for k, ln in enumerate(update) if "the other" in ln]
    assert "dJ0_dW_j = 0" in update[k] and "only the L2 term moves them" in update[k]
    assert "W_j := W_j - lr * 2 alpha W_j" in update[k + 1]
    n_moved = int(update[k + 1].split("the ")[1].split(" ")[0])
    assert 10 < n_moved < 60  # the weights rows 0..5 moved, less row 6's


def test_tfidf_names_each_term(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*DATA, "--features", "review", "--text", "review",
            "--text-features", "tfidf", "--step", "0"]  # fmt: skip
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    x_lines = [ln for ln in out.splitlines() if ln.startswith("  x[")]
    names = {ln.split("   ")[-1].strip() for ln in x_lines}
    row0 = "weak movie its wonderful script director charming cast"
    assert names == {f"review: {w}" for w in row0.split()}


def test_hashed_categories_are_named_by_their_hash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [*DATA, "--features", "venue", "--hash-categories", "--n-features", "64",
            "--step", "0"]  # fmt: skip
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    (x_line,) = [ln for ln in out.splitlines() if ln.startswith("  x[")]
    assert "venue: hash #" in x_line and "(festival)" in x_line
    assert "the other 63 weights" in out


def test_a_text_column_without_text_options_is_one_line_naming_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = explain(DATA, capsys)
    assert code == 1 and not out
    assert len(err.strip().splitlines()) == 1
    assert "'review'" in err and "--text review" in err and "--features" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--model", "residual", "--text", "review"], "residual takes no sparse"),
        (["--text", "rating"], "'rating' is not a feature column"),
        (["--text", "review", "--text-features", "tfidf", "--n-features", "8"],
         "--n-features"),
        (["--features", "review", "--exclude", "venue", "--text", "review"],
         "not both"),
    ],
)  # fmt: skip
def test_what_cannot_be_explained_on_sparse_features_is_one_line(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = explain([*DATA, *argv], capsys)
    assert code == 2 and not out, err
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_gradcheck_checks_the_affine_on_sparse_x() -> None:
    """lingrad gradcheck has a row for the Affine on a CSR X: dJ_dW and dJ_db
    agree with central differences (at another seed too)."""
    from lingrad.workflows.gradchecks import run_checks, sparse_affine_check

    reports = {r.subject: r for _, r in run_checks()}
    sparse = reports["Affine (sparse X)"]
    assert [e.name for e in sparse.entries] == ["W", "b"]
    assert all(e.status == "ok" for e in sparse.entries)
    report = sparse_affine_check(np.random.default_rng(3))
    assert report.passed and report.max_rel_err < 1e-6


def test_a_long_row_lists_its_first_nonzeros_and_counts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row of 30 words: 20 listed in x and in the update, then one line each
    for the 10 more; the vectors of the blocks hold all 30 (shortened)."""
    from lingrad.workflows.render_sparse import SHOWN

    words = [f"word{chr(97 + k // 26)}{chr(97 + k % 26)}" for k in range(30)]
    path = tmp_path / "long.csv"
    path.write_text(f"text,label\n{' '.join(words)},1\nshort text,0\n")
    argv = ["--data", str(path), "--target", "label", "--text", "text",
            "--step", "0"]  # fmt: skip
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[4].startswith("x: 30 nonzeros of its 1,048,576 columns")
    assert sum(ln.startswith("  x[") for ln in lines) == SHOWN == 20
    assert sum(ln.startswith("  W[") for ln in lines) == SHOWN
    assert sum("... 10 more nonzeros" in ln for ln in lines) == 2
    assert "the other 1,048,546 weights" in out
    assert len(lines) < 80


def test_two_layer_updates_each_touched_row_of_W_in_a_block(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The network's W has a row of 8 weights per column: each touched row is
    named, then ``= before - lr * grad`` and ``= after`` on lines of their own."""
    argv = [*DATA, "--text", "review", "--model", "two-layer", "--step", "2"]
    code, out, err = explain(argv, capsys)
    assert code == 0, err
    update = _block(out, "update").splitlines()
    n_x = sum(ln.startswith("  x[") for ln in out.splitlines())
    heads = [k for k, ln in enumerate(update) if ln.startswith("  W[")]
    assert len(heads) == n_x == 10  # venue + 9 words of row 2
    for k in heads:
        assert update[k + 1].startswith("    = ") and " - 0.1 * " in update[k + 1]
        after = NUMBER.findall(update[k + 2])
        assert update[k + 2].startswith("    = ") and len(after) == 8
    assert "the other 1,048,570 rows of W (8 weights each)" in out
