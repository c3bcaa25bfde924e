"""``lingrad fit --text COL``: free-text columns as sparse features inside the saved
Pipeline (hashed or TF-IDF), hashed categories, and the errors of the options.

The CSVs are written here (real files); the command runs in-process."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from lingrad.cli import main

POSITIVE = "great excellent love wonderful best happy superb".split()
NEGATIVE = "awful terrible hate worst boring sad poor".split()
COMMON = "the movie film plot actor scene was is a and it this".split()
NEW_REVIEWS = [
    "a superb and wonderful film",
    "boring awful zebra quokka",  # unseen words
    "zebra",  # no word seen in training
    "THE PLOT WAS GREAT",
]


def reviews(n: int, seed: int = 0) -> list[tuple[int, str, str, float, str]]:
    """Rows (id, review, venue, stars, label): two sentiment words decide it."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        good = bool(rng.random() < 0.5)
        words = [*rng.choice(COMMON, 4, replace=False)]
        words += [*rng.choice(POSITIVE if good else NEGATIVE, 2, replace=False)]
        words += [str(rng.choice(POSITIVE + NEGATIVE))]
        rng.shuffle(words)
        venue = f"venue{int(rng.integers(0, 40))}"
        rows.append((i, " ".join(words), venue, round(float(rng.random()), 3),
                     "pos" if good else "neg"))  # fmt: skip
    return rows


def write(path: Path, header: list[str], rows: list[Any]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("text")
    return write(
        folder / "reviews.csv", ["id", "review", "venue", "stars", "label"],
        reviews(240),
    )  # fmt: skip


@pytest.fixture(scope="module")
def new_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("new")
    rows = [(900 + i, t, "venue3" if i else "venue999", 0.5)
            for i, t in enumerate(NEW_REVIEWS)]  # fmt: skip
    return write(folder / "new.csv", ["id", "review", "venue", "stars"], rows)


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fit(capsys: pytest.CaptureFixture[str], out: Path, *argv: object) -> Any:
    from lingrad import load

    code, _, err = run(capsys, "fit", *argv, "--out", out, "--no-figures")
    assert code == 0, err
    return load(out / "model.lingrad")


def raw(path: Path, columns: list[str]) -> np.ndarray:
    """The columns of a CSV as the command reads them (object array)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    X = np.empty((len(rows), len(columns)), dtype=object)
    for j, c in enumerate(columns):
        X[:, j] = [float(r[c]) if c == "stars" else r[c] for r in rows]
    return X


def labels(path: Path) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as f:
        return np.array([r["label"] for r in csv.DictReader(f)])


# ------------------------------------------------------------------ the model


def test_fit_text_predictions_equal_the_library_pipeline(
    table: Path, new_rows: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's model is the library's Pipeline: a HashingVectorizer beside the
    one-hot venue and the stars, then the estimator; predict applies it to new
    rows (unseen words, an unseen venue, an empty review)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from lingrad.models import LogisticRegression

    model = fit(
        capsys, tmp_path / "run", "--data", table, "--target", "label", "--id",
        "id", "--text", "review", "--n-features", 256, "--model", "logistic",
        "--solver", "lbfgs",
    )  # fmt: skip
    prep = ColumnTransformer(
        [
            ("num", "passthrough", [2]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [1]),
            ("text0", HashingVectorizer(n_features=256, alternate_sign=False), 0),
        ],
        sparse_threshold=1.0,
    )
    library = Pipeline(
        [("prep", prep), ("model", LogisticRegression(solver="lbfgs", random_state=0))]
    )
    columns = ["review", "venue", "stars"]
    library.fit(raw(table, columns), labels(table))
    out = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", "--model", tmp_path / "run" / "model.lingrad",
                       "--data", new_rows, "--out", out, "--proba")  # fmt: skip
    assert code == 0, err
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    X_new = raw(new_rows, columns)
    want = library.predict_proba(X_new)
    np.testing.assert_allclose(
        [float(r["proba_pos"]) for r in got], want[:, 1], rtol=1e-6, atol=1e-9
    )
    assert [r["prediction"] for r in got] == list(library.predict(X_new))
    assert [r["prediction"] for r in got][:2] == ["pos", "neg"]
    import pandas as pd

    named = pd.DataFrame(X_new, columns=columns)  # the saved model checks names
    np.testing.assert_array_equal(model.predict(named), library.predict(X_new))


def test_the_estimator_is_given_a_sparse_matrix(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Nothing densified between the file and the model: the Pipeline's
    transform is a CSR matrix and the estimator's fit receives it."""
    from lingrad.models import LinearRegression

    seen: list[Any] = []
    original = LinearRegression.fit

    def spy(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(X)
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(LinearRegression, "fit", spy)
    numeric = write(
        tmp_path / "numeric.csv", ["review", "venue", "y"],
        [(r[1], r[2], 1.0 if r[4] == "pos" else 0.0) for r in reviews(120)],
    )  # fmt: skip
    model = fit(capsys, tmp_path / "run", "--data", numeric, "--target", "y",
                "--text", "review", "--model", "linear")  # fmt: skip
    assert seen and all(sp.issparse(X) for X in seen)
    assert 2**20 < seen[0].shape[1] <= 2**20 + 40  # the default width + venues
    import pandas as pd

    frame = pd.DataFrame(raw(numeric, ["review", "venue"]), columns=["review", "venue"])
    Xt = model[:-1].transform(frame)
    assert sp.issparse(Xt) and Xt.format == "csr"
    assert Xt.shape[1] == model[-1].n_features_in_


def test_a_text_model_keeps_no_parameter_snapshots(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A million hashed weights: the in-memory fit takes no snapshots for the
    parameter figure (200 of them made a 1.7 GB history.npz from a 22 MB CSV)."""
    model = fit(capsys, tmp_path / "run", "--data", table, "--target", "label",
                "--text", "review", "--model", "logistic", "--solver", "sgd",
                "--max-iter", 2)  # fmt: skip
    history = model[-1].history_
    assert history.n_steps > 0 and history.params == {}
    weights = model[-1].coef_.nbytes  # the history file holds the final ones
    assert (tmp_path / "run" / "history.npz").stat().st_size < weights + 2**20


def test_tfidf_agrees_with_scikit_learn_on_the_same_objective(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--text-features tfidf + L2 logistic regression (L-BFGS) against
    scikit-learn's TfidfVectorizer + LogisticRegression(C) on the same rows:
    lingrad minimises mean log-loss + alpha ||w||^2, scikit-learn
    ||w||^2 / 2 + C sum log-loss, the same minimiser for alpha = 1 / (2 C N).
    Tolerance: 1e-6 on the probabilities (both solvers stop at 1e-10)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = write(
        tmp_path / "texts.csv", ["review", "label"],
        [(r[1], r[4]) for r in reviews(200, seed=1)],
    )  # fmt: skip
    N, C = 200, 1.0
    alpha = 1.0 / (2 * C * N)
    model = fit(
        capsys, tmp_path / "run", "--data", texts, "--target", "label", "--text",
        "review", "--text-features", "tfidf", "--model", "logistic", "--solver",
        "lbfgs", "--penalty", "l2", "--alpha", alpha, "--tol", 1e-10,
        "--max-iter", 1000,
    )  # fmt: skip
    reference = make_pipeline(
        TfidfVectorizer(), LogisticRegression(C=C, tol=1e-10, max_iter=10_000)
    ).fit(raw(texts, ["review"])[:, 0], labels(texts))
    ours = model.predict_proba(np.array(NEW_REVIEWS, dtype=object)[:, None])
    theirs = reference.predict_proba(NEW_REVIEWS)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    vocab = model[0].transformers_[0][1].vocabulary_
    assert vocab == reference[0].vocabulary_


def test_hashed_categories_take_values_never_seen(
    table: Path, new_rows: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--hash-categories: the venue (40 levels) hashed whole, one 1 per row; an
    unseen venue hashes too (to a column no training row set)."""
    from lingrad import read_meta

    model = fit(
        capsys, tmp_path / "run", "--data", table, "--target", "label", "--id",
        "id", "--exclude", "review", "--hash-categories", "--n-features", 1024,
        "--model", "logistic", "--solver", "lbfgs",
    )  # fmt: skip
    kinds = [type(t).__name__ for _, t, _ in model[0].transformers_]
    assert kinds == ["FunctionTransformer", "HashingVectorizer"]  # stars; venue
    import pandas as pd

    frame = pd.DataFrame(raw(table, ["venue", "stars"]), columns=["venue", "stars"])
    Xt = model[:-1].transform(frame)
    assert sp.issparse(Xt) and Xt.shape[1] == 1 + 1024
    np.testing.assert_array_equal(Xt[:, 1:].sum(axis=1).A.ravel(), 1.0)
    meta = read_meta(tmp_path / "run" / "model.lingrad")
    assert meta["text"]["hash_categories"] is True
    code, out, err = run(capsys, "predict", "--model", tmp_path / "run" /
                         "model.lingrad", "--data", new_rows)  # fmt: skip
    assert code == 0, err
    assert out.count("\n") == len(NEW_REVIEWS) + 1


def test_the_summary_names_the_text_columns(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fit(capsys, tmp_path / "run", "--data", table, "--target", "label", "--id",
        "id", "--text", "review", "--n-features", 512, "--model", "logistic",
        "--solver", "lbfgs")  # fmt: skip
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    data = metrics["data"]
    assert data["free-text columns (hashed into 512 columns)"] == ["review"]
    assert data["text columns (one-hot encoded)"] == ["venue"]


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--text", "title"], ["--text", "'title' is not a feature column"]),
        (["--text", "stars"], ["--text", "'stars'", "holds numbers"]),
        (["--text", "review", "--text", "review"], ["--text", "twice"]),
        (
            ["--text", "review", "--text-features", "tfidf", "--n-features", "64"],
            ["--n-features", "vocabulary"],
        ),
        (["--text", "review", "--n-features", str(2**25)], ["--n-features", "2^24"]),
        (["--text-features", "tfidf"], ["--text", "free-text column"]),
        (["--text", "review", "--text-features", "bag"], ["--text-features"]),
        (
            ["--hash-categories", "--impute", "most_frequent"],
            ["--hash-categories", "--impute"],
        ),
        (["--text", "review", "--impute", "mean"], ["--impute", "free-text"]),
    ],
)
def test_invalid_text_options_are_one_line_errors(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    argv: list[str], words: list[str],
) -> None:  # fmt: skip
    out = tmp_path / "run"
    code, _, err = run(
        capsys, "fit", "--data", table, "--target", "label", "--id", "id",
        "--model", "logistic", "--out", out, *argv,
    )  # fmt: skip
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    message = " ".join(lines)
    assert "Traceback" not in err
    for w in words:
        assert w in message, err
    assert not out.exists()  # nothing half-written
