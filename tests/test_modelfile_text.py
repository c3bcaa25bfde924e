"""Text vectorizers in model files: HashingVectorizer, CountVectorizer and
TfidfVectorizer (its TfidfTransformer inside) round-trip with their vocabulary and
idf as arrays, a sparse OneHotEncoder too; code (a custom analyzer, preprocessor
or tokenizer) is refused at save and at load, and hostile files (a 10^9-term
vocabulary, an analyzer naming a function, an idf of the wrong length or NaN)
are refused with one line naming the file and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lingrad.errors import ModelFileError
from lingrad.models import LogisticRegression
from lingrad.persist.modelfile import Limits, load, save
from modelfiles import Doc, parts, refused, write

DOCS = [
    "the cat sat on the mat",
    "a dog ran fast in the park",
    "the cat ran after a mouse",
    "dogs bark loud at night",
    "cats purr when happy",
    "the dog chased the cat",
    "café crème and naïve résumé",  # non-ASCII terms survive the round trip
    "",
]
LABELS = [0, 1, 0, 1, 0, 1, 0, 1]
NEW = ["an unseen zebra sat", "the cat and the dog", "résumé"]


def same_sparse(a: Any, b: Any) -> None:
    assert sp.issparse(a) and sp.issparse(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.toarray(), b.toarray())  # tests may densify


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize(
    "vectorizer",
    [
        HashingVectorizer(n_features=2**10),
        HashingVectorizer(
            n_features=64,
            analyzer="char_wb",
            ngram_range=(2, 3),
            norm="l1",
            alternate_sign=False,
            binary=True,
            dtype=np.float32,
        ),
        CountVectorizer(),
        CountVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False),
        TfidfVectorizer(),
        TfidfVectorizer(
            stop_words="english",
            sublinear_tf=True,
            smooth_idf=False,
            min_df=1,
            strip_accents="unicode",
            token_pattern=r"(?u)\b\w+\b",
        ),
        TfidfVectorizer(use_idf=False, norm=None, stop_words=["the", "a"]),
    ],
    ids=lambda v: type(v).__name__,
)
def test_a_vectorizer_transforms_the_same_after_a_round_trip(
    tmp_path: Path, vectorizer: Any
) -> None:
    fitted = vectorizer.fit(DOCS)
    path = tmp_path / "vec.lingrad"
    save(fitted, path)
    back = load(path)
    assert type(back) is type(fitted)
    assert back.get_params() == fitted.get_params()
    same_sparse(back.transform(NEW), fitted.transform(NEW))
    if hasattr(fitted, "vocabulary_"):
        assert back.vocabulary_ == fitted.vocabulary_


def test_a_vocabulary_is_stored_as_arrays_not_as_a_json_dict(tmp_path: Path) -> None:
    path = tmp_path / "tfidf.lingrad"
    save(TfidfVectorizer().fit(DOCS), path)
    doc, members = parts(path)
    text = json.dumps(doc["model"]["state"]["vocabulary_"])
    assert "__dict__" not in text and "cat" not in text
    assert "stop_words_" not in doc["model"]["state"]
    assert "_stop_words_id" not in doc["model"]["state"]


def test_a_text_pipeline_predicts_the_same_after_a_round_trip(tmp_path: Path) -> None:
    prep = ColumnTransformer(
        [
            ("text", TfidfVectorizer(), "text"),
            ("words", HashingVectorizer(n_features=2**8), "title"),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
            ("num", StandardScaler(with_mean=False), ["n"]),
        ],
        sparse_threshold=1.0,
    )
    import pandas as pd

    frame = pd.DataFrame(
        {
            "text": DOCS,
            "title": [d[:9] for d in DOCS],
            "colour": ["red", "blue"] * 4,
            "n": np.arange(8.0),
        }
    )
    Xt = prep.fit_transform(frame)
    assert sp.issparse(Xt)
    model = LogisticRegression(max_iter=50).fit(Xt.toarray(), LABELS)  # test only
    pipe = Pipeline([("prep", prep), ("model", model)])
    path = tmp_path / "pipe.lingrad"
    save(pipe, path)
    back = load(path)
    new = frame.iloc[[0, 3, 6]].assign(text=NEW, colour=["green", "red", "blue"])
    same_sparse(back[:-1].transform(new), pipe[:-1].transform(new))
    np.testing.assert_array_equal(back.predict(new), pipe.predict(new))
    np.testing.assert_allclose(back.predict_proba(new), pipe.predict_proba(new))


def test_a_sparse_one_hot_encoder_round_trips(tmp_path: Path) -> None:
    X = np.array([["a", "x"], ["b", "y"], ["c", "x"]], dtype=object)
    enc = OneHotEncoder(sparse_output=True, handle_unknown="ignore").fit(X)
    path = tmp_path / "onehot.lingrad"
    save(enc, path)
    new = np.array([["c", "y"], ["z", "x"]], dtype=object)
    same_sparse(load(path).transform(new), enc.transform(new))


# ------------------------------------------------------------ code is refused


def _shout(text: str) -> str:
    return text.upper()


@pytest.mark.parametrize(
    ("attr", "vectorizer"),
    [
        ("analyzer", CountVectorizer(analyzer=str.split)),
        ("preprocessor", TfidfVectorizer(preprocessor=_shout)),
        ("tokenizer", HashingVectorizer(tokenizer=str.split, token_pattern=None)),
    ],
)
def test_code_in_a_vectorizer_is_refused_at_save(
    tmp_path: Path, attr: str, vectorizer: Any
) -> None:
    path = tmp_path / "code.lingrad"
    with pytest.raises(ModelFileError) as info:
        save(vectorizer.fit(DOCS), path)
    message = str(info.value)
    assert "\n" not in message
    assert (
        f"{attr}" in message and "built-in" in message and "analyzer='word'" in message
    )
    assert not path.exists()


def test_a_user_vocabulary_parameter_is_refused_at_save(tmp_path: Path) -> None:
    vec = CountVectorizer(vocabulary=["cat", "dog"]).fit(DOCS)
    with pytest.raises(ModelFileError, match="vocabulary"):
        save(vec, tmp_path / "v.lingrad")


# --------------------------------------------------------------- hostile files


@pytest.fixture(scope="module")
def tfidf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text") / "tfidf.lingrad"
    save(TfidfVectorizer().fit(DOCS), path)
    return path


@pytest.fixture(scope="module")
def hashing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text") / "hash.lingrad"
    save(HashingVectorizer(n_features=2**10).fit(DOCS), path)
    return path


def edited(tmp_path: Path, source: Path, edit: Any) -> Path:
    doc, members = parts(source)
    edit(doc, members)
    return write(tmp_path / "hostile.lingrad", doc, members)


def _params(doc: Doc) -> Doc:
    return doc["model"]["params"]  # type: ignore[no-any-return]


def _vocab(doc: Doc) -> list[Doc]:
    return doc["model"]["state"]["vocabulary_"]["__tuple__"]  # type: ignore[no-any-return]


def _idf(doc: Doc) -> Doc:
    return doc["model"]["state"]["_tfidf"]["__estimator__"]["state"]["idf_"]  # type: ignore[no-any-return]


def _npy(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["builtins.eval", "os.system", "WORD", ""])
def test_an_analyzer_naming_a_function_is_refused(
    tmp_path: Path, tfidf: Path, name: str
) -> None:
    path = edited(tmp_path, tfidf, lambda d, m: _params(d).update(analyzer=name))
    refused(path, "analyzer", "'word', 'char', 'char_wb'")


@pytest.mark.parametrize(
    ("param", "value", "words"),
    [
        ("input", "filename", "'content'"),
        ("preprocessor", "os.system", "preprocessor"),
        ("tokenizer", "builtins.eval", "tokenizer"),
        ("token_pattern", "x" * 5000, "token_pattern"),
        ("token_pattern", "(a)(b)", "token_pattern"),
        ("ngram_range", {"__tuple__": [1, 1000]}, "ngram_range"),
        ("ngram_range", {"__tuple__": [3, 1]}, "ngram_range"),
        ("strip_accents", "os.system", "strip_accents"),
        ("stop_words", "builtins.eval", "stop_words"),
        ("stop_words", [1, 2], "stop_words"),
        ("dtype", {"__dtype__": "<U3", "type": True}, "dtype"),
        ("lowercase", "yes", "lowercase"),
        ("norm", "l7", "norm"),
    ],
)
def test_vectorizer_parameters_outside_the_built_ins_are_refused(
    tmp_path: Path, tfidf: Path, param: str, value: Any, words: str
) -> None:
    path = edited(tmp_path, tfidf, lambda d, m: _params(d).update({param: value}))
    refused(path, words)


def test_a_hashing_width_over_the_limit_is_refused(
    tmp_path: Path, hashing: Path
) -> None:
    path = edited(tmp_path, hashing, lambda d, m: _params(d).update(n_features=2**40))
    refused(path, "n_features")
    small = Limits(max_text_features=2**9)
    refused(hashing, "n_features", "max_text_features", limits=small)


def test_a_billion_term_vocabulary_is_refused_before_allocation(
    tmp_path: Path, tfidf: Path
) -> None:
    def grow(doc: Doc, members: dict[str, bytes]) -> None:
        _vocab(doc)[1]["shape"] = [10**9 + 1]  # the offsets: one more than terms

    refused(edited(tmp_path, tfidf, grow), "vocabulary_", "1000000000", "terms")


@pytest.mark.parametrize(
    ("data", "offsets", "words"),
    [
        (b"catdog", [0, 3, 2, 6], "offsets"),  # a term that ends before it starts
        (b"catdog", [1, 3, 6], "offsets"),  # not from 0
        (b"catdog", [0, 3, 5], "offsets"),  # not to the end of the terms
        (b"aa", [0, 1, 2], "twice"),  # the same term at two columns
        (b"\xff\xfe", [0, 1, 2], "UTF-8"),
    ],
)
def test_vocabulary_arrays_that_do_not_decode_are_refused(
    tmp_path: Path, data: bytes, offsets: list[int], words: str
) -> None:
    source = tmp_path / "count.lingrad"
    save(CountVectorizer().fit(DOCS), source)

    def replace(doc: Doc, members: dict[str, bytes]) -> None:
        terms, ends = _vocab(doc)
        members[terms["__array__"]] = _npy(np.frombuffer(data, np.uint8))
        members[ends["__array__"]] = _npy(np.array(offsets, np.int64))
        terms["shape"], ends["shape"] = [len(data)], [len(offsets)]

    refused(edited(tmp_path, source, replace), "vocabulary_", words)


def test_an_idf_of_the_wrong_length_is_refused(tmp_path: Path, tfidf: Path) -> None:
    def shorter(doc: Doc, members: dict[str, bytes]) -> None:
        ref = _idf(doc)
        ref["shape"] = [ref["shape"][0] - 1]
        members[ref["__array__"]] = _npy(np.ones(ref["shape"][0]))

    refused(edited(tmp_path, tfidf, shorter), "idf_")


@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0, 0.0])
def test_an_idf_that_is_not_finite_and_positive_is_refused(
    tmp_path: Path, tfidf: Path, value: float
) -> None:
    def poison(doc: Doc, members: dict[str, bytes]) -> None:
        ref = _idf(doc)
        idf = np.ones(ref["shape"][0])
        idf[1] = value
        members[ref["__array__"]] = _npy(idf)

    refused(edited(tmp_path, tfidf, poison), "idf_")


def test_a_tfidf_transformer_unlike_its_vectorizer_is_refused(
    tmp_path: Path, tfidf: Path
) -> None:
    def other_norm(doc: Doc, members: dict[str, bytes]) -> None:
        inner = doc["model"]["state"]["_tfidf"]["__estimator__"]
        inner["params"]["norm"] = "l1"

    refused(edited(tmp_path, tfidf, other_norm), "_tfidf", "norm")


def test_a_bare_tfidf_transformer_round_trips(tmp_path: Path) -> None:
    counts = CountVectorizer().fit_transform(DOCS)
    t = TfidfTransformer().fit(counts)
    path = tmp_path / "t.lingrad"
    save(t, path)
    same_sparse(load(path).transform(counts), t.transform(counts))
