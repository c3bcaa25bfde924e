"""Free-text columns as features (``lingrad fit --text COL``), sparse all the way.

Each ``--text`` column becomes its own step of the preprocessing's
ColumnTransformer: a ``HashingVectorizer`` (``--text-features hash``, the default:
no pass over the rows to learn a vocabulary, memory bounded by ``--n-features``,
an unseen word simply hashes to a column; word counts scaled to unit length, all
signs +, so that a word's weight reads with its sign) or a ``TfidfVectorizer``
(``tfidf``: a vocabulary of the training rows' terms, weighted by ``idf_t = ln((1 + N) /
(1 + df_t)) + 1``, rows scaled to unit length). ``--hash-categories`` hashes each
category column's whole value (one token) instead of one-hot encoding it. The
ColumnTransformer then stacks its parts as one CSR matrix (``sparse_threshold``
1, one-hot encoders sparse), so nothing is densified between the file and the
model. All steps are in the model file's allow-list: ``predict`` and
``evaluate`` apply them to new rows.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad.data.table import column
from lingrad.errors import UsageError

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

    from lingrad.workflows.memory import FitResult
    from lingrad.workflows.types import Features, Model, Values

FEATURES = ("hash", "tfidf")
N_FEATURES = 1 << 20  # scikit-learn's HashingVectorizer default
MAX_N_FEATURES = 1 << 24  # what a model file loads (Limits.max_text_features)
WHOLE_VALUE = r"(?s).+"  # one token: the cell's whole text


@dataclass(frozen=True)
class TextOptions:
    """``--text``, ``--text-features``, ``--n-features``, ``--hash-categories``."""

    columns: tuple[str, ...] = ()
    features: str = "hash"
    n_features: int = N_FEATURES
    hash_categories: bool = False

    @property
    def sparse(self) -> bool:
        """Whether the model's input is a sparse matrix."""
        return bool(self.columns) or self.hash_categories


NO_TEXT = TextOptions()


def text_options(
    columns: Sequence[str] | None,
    features: str = "hash",
    n_features: int | None = None,
    hash_categories: bool = False,
) -> TextOptions:
    """The options checked: UsageError (one line, naming the option) if not."""
    columns = tuple(columns or ())
    for name in columns:
        if not name.strip():
            raise UsageError("give a column name", "--text")
    if len(set(columns)) < len(columns):
        raise UsageError("names a column twice", "--text")
    if features not in FEATURES:
        raise UsageError("choose hash or tfidf", "--text-features")
    if n_features is not None:
        if features == "tfidf" and not hash_categories:
            raise UsageError(
                "sets the hashing width; --text-features tfidf learns a vocabulary "
                "instead (leave --n-features out, or use --text-features hash)",
                "--n-features",
            )
        if not 1 <= n_features <= MAX_N_FEATURES:
            raise UsageError(
                f"must be between 1 and {MAX_N_FEATURES} (2^24)", "--n-features"
            )
    if not columns and (features != "hash" or n_features is not None):
        if not hash_categories:
            raise UsageError("needs --text COLUMN (a free-text column)", "--text")
    return TextOptions(columns, features, n_features or N_FEATURES, hash_categories)


def check_columns(
    text: TextOptions, features: Sequence[str], categorical: Sequence[str], source: str
) -> None:
    """Every ``--text`` column a feature read as text; UsageError naming it."""
    for name in text.columns:
        if name not in features:
            shown = ", ".join(list(features)[:20]) + (
                ", ..." if len(features) > 20 else ""
            )
            raise UsageError(
                f"{name!r} is not a feature column of {source}; the features are: "
                f"{shown}",
                "--text",
            )
        if name not in categorical:
            raise UsageError(
                f"{name!r} in {source} holds numbers, not text; give a column of "
                "free text",
                "--text",
            )


@contextlib.contextmanager
def quiet_about_encoding(text: TextOptions) -> Iterator[None]:
    """No warning that one-hot encoding a column of a value per row makes a
    feature per row, for the columns that are not one-hot encoded."""
    with warnings.catch_warnings():
        names = ".*" if text.hash_categories else "|".join(
            re.escape(repr(c)) for c in text.columns
        )  # fmt: skip
        if names:
            warnings.filterwarnings(
                "ignore", message=f".*text column ({names}) has .* distinct values"
            )
        yield


def vectorizer(text: TextOptions) -> TfidfVectorizer | HashingVectorizer:
    """The step that turns one free-text column into sparse features."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

    if text.features == "tfidf":
        return TfidfVectorizer()
    # alternate_sign=False: a word's weight has the word's sign (with 2^20
    # columns collisions are rare, and the signs' cancelling buys little)
    return HashingVectorizer(n_features=text.n_features, alternate_sign=False)


def category_hasher(text: TextOptions) -> HashingVectorizer:
    """A category column hashed whole (``--hash-categories``): one 1 per row."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=text.n_features, token_pattern=WHOLE_VALUE, lowercase=False,
        norm=None, alternate_sign=False,
    )  # fmt: skip


def text_summary(result: FitResult, text: TextOptions) -> None:
    """The data summary and the model file's meta say which columns are text."""
    if not text.sparse:
        return
    d = result.data_summary
    key = "text columns (one-hot encoded)"
    listed = d.pop(key, [])
    assert isinstance(listed, list)  # the data summary's list of column names
    cats = [c for c in listed if c not in text.columns]
    if cats:
        d[key.replace("one-hot encoded", "hashed") if text.hash_categories else key] = (
            cats
        )
    if text.columns:
        how = (
            "TF-IDF over the training rows' vocabulary"
            if text.features == "tfidf"
            else f"hashed into {text.n_features} columns"
        )
        d[f"free-text columns ({how})"] = list(text.columns)
    result.meta["text"] = {
        "columns": list(text.columns), "features": text.features,
        "n_features": text.n_features, "hash_categories": text.hash_categories,
    }  # fmt: skip


def sparse_input(model: Model) -> bool:
    """Whether the model's estimator sees a sparse matrix (its prep stacks one)."""
    steps: list[tuple[str, object]] | None = getattr(model, "steps", None)
    if not steps:
        return False
    return bool(getattr(steps[0][1], "sparse_output_", False))


def column_namer(
    model: Model, inputs: Sequence[str] | None = None, X: Features | None = None
) -> Callable[[int], str] | None:
    """The name of column j of what the model's estimator sees (None: no prep).

    ``inputs``: the table's feature names; ``X``: raw training rows, whose words
    name the hashed columns they land in ("review: hash #12345 (great)"; a
    hashed column otherwise has only its number). TF-IDF and one-hot columns
    name their term or category. Nothing is built for the columns never asked
    about (a hashed part is 2^20 wide)."""
    steps = getattr(model, "steps", None)
    if not steps or steps[0][0] != "prep":
        return None
    prep = steps[0][1]
    names = list(
        inputs if inputs is not None else getattr(prep, "feature_names_in_", [])
    )
    parts: list[tuple[slice, Callable[[int], str]]] = []
    for part, trans, cols in prep.transformers_:
        out = prep.output_indices_[part]
        if trans == "drop" or out.stop == out.start:
            continue
        given = [names[j] if j < len(names) else f"x{j}" for j in np.ravel([cols])]
        rows = None if X is None or np.ndim(cols) else column(X, int(cols))
        parts.append((out, _part_namer(trans, given, out.stop - out.start, rows)))

    def name(j: int) -> str:
        for out, namer in parts:
            if out.start <= j < out.stop:
                return namer(j - out.start)
        return f"x{j}"

    return name


def hashed_words(
    vec: HashingVectorizer, docs: Values, max_rows: int = 5000
) -> dict[int, list[str]]:
    """Column -> the words of ``docs`` (the first ``max_rows``) hashed to it, for a
    word analyzer of single words (other analyzers: ``{}``)."""
    if vec.analyzer != "word" or tuple(vec.ngram_range) != (1, 1):
        return {}
    analyze = vec.build_analyzer()
    tokens: set[str] = set()
    for doc in list(docs[:max_rows]):
        if isinstance(doc, str):
            tokens.update(analyze(doc))
    words = sorted(tokens)
    if not words:
        return {}
    M = vec.transform(words).tocsr()  # one row per word: its column
    found: dict[int, list[str]] = {}
    for i, word in enumerate(words):
        for j in M.indices[M.indptr[i] : M.indptr[i + 1]].tolist():
            found.setdefault(j, []).append(word)
    return found


def _part_namer(
    trans: Any,  # a fitted scikit-learn transformer (or "passthrough"), read by kind
    given: list[str],
    width: int,
    docs: Values | None,
) -> Callable[[int], str]:
    last = trans.steps[-1][1] if hasattr(trans, "steps") else trans
    kind = type(last).__name__
    if kind == "HashingVectorizer":
        words = {} if docs is None else hashed_words(last, docs)

        def hashed(j: int) -> str:
            seen = words.get(j, [])
            shown = ", ".join(seen[:2]) + (", ..." if len(seen) > 2 else "")
            return f"{given[0]}: hash #{j}" + (f" ({shown})" if seen else "")

        return hashed
    if kind in ("TfidfVectorizer", "CountVectorizer"):
        terms = sorted(last.vocabulary_, key=last.vocabulary_.__getitem__)
        return lambda j: f"{given[0]}: {terms[j]}"
    if kind == "OneHotEncoder":
        names = [str(n) for n in last.get_feature_names_out(given)]
        return lambda j: names[j]
    names = given if len(given) == width else [f"x{j}" for j in range(width)]
    return lambda j: names[j]
