"""Text vectorizers in a model file: built-in analyzers only, vocabularies as arrays.

A vectorizer's parameters are data, never code (:data:`TEXT_PARAMS`): built-in
analyzers only, no preprocessor or tokenizer, ``input="content"`` (the others read
files named by the rows), a bounded ``token_pattern`` of one group, ``ngram_range``
and ``stop_words``. Code is refused at save (a line naming the attribute) and at
load. ``vocabulary_`` (term -> column) is stored as the terms' UTF-8 bytes one
after another (uint8) and the V + 1 offsets where each starts (int64), V bounded
by ``Limits.max_text_features`` before anything is read. A TfidfVectorizer's idf
lives in its TfidfTransformer (``_tfidf``, a node of its own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from lingrad.persist._params import BOOL, count, share
from lingrad.persist._safezip import Limits, cannot_save, fail
from lingrad.persist._values import (
    OUTPUT_CONFIG,
    Estimator,
    Node,
    Rule,
    choice,
    is_array_like,
)  # fmt: skip

if TYPE_CHECKING:
    from lingrad.persist._loader import Rules

MAX_PATTERN, MAX_NGRAM, MAX_STOP_WORDS = 1000, 10, 100_000
DTYPES = tuple(np.dtype(t) for t in (np.float64, np.float32, np.int64, np.int32))
TFIDF = ("norm", "use_idf", "smooth_idf", "sublinear_tf")  # shared with _tfidf
CODE = ("analyzer", "preprocessor", "tokenizer")
BUILT_IN = (
    "lingrad saves only the built-in analyzers: use analyzer='word', 'char' or "
    "'char_wb' with lowercase, strip_accents, stop_words, token_pattern and "
    "ngram_range (a model file never holds code)"
)


def _pattern(v: object) -> bool:
    if v is None:
        return True
    try:
        return isinstance(v, str) and len(v) <= MAX_PATTERN and re.compile(v).groups < 2
    except re.error:
        return False


def _dtype(v: object) -> bool:
    try:
        return isinstance(v, type) and np.dtype(v) in DTYPES
    except TypeError:
        return False


def _no(what: str) -> Rule:
    return (lambda v: v is None), f"model files hold no {what} (never code)"


TEXT_PARAMS: dict[str, Rule] = {
    "analyzer": (
        choice("word", "char", "char_wb")[0],
        "model files hold only the built-in analyzers 'word', 'char', 'char_wb' "
        "(never code)",
    ),
    "preprocessor": _no("preprocessor"),
    "tokenizer": _no("tokenizer"),
    "input": choice("content"),
    "decode_error": choice("strict", "ignore", "replace"),
    "strip_accents": choice(None, "ascii", "unicode"),
    "norm": choice(None, "l1", "l2"),
    **dict.fromkeys(("lowercase", "binary", "alternate_sign", *TFIDF[1:]), BOOL),
    **dict.fromkeys(("max_df", "min_df"), share()),
    "max_features": count(none=True),
    "n_features": count(),  # its bound: check_hashing
    "encoding": (lambda v: isinstance(v, str) and 0 < len(v) <= 40, "must be a codec"),
    "token_pattern": (
        _pattern, f"must be a regular expression of <= {MAX_PATTERN} chars, 1 group"
    ),
    "ngram_range": (
        lambda v: isinstance(v, tuple) and len(v) == 2
        and all(type(n) is int for n in v) and 1 <= v[0] <= v[1] <= MAX_NGRAM,
        f"must be (lo, hi) with 1 <= lo <= hi <= {MAX_NGRAM}",
    ),
    "stop_words": (
        lambda v: v is None or v == "english" or (
            isinstance(v, list) and len(v) <= MAX_STOP_WORDS
            and all(isinstance(w, str) for w in v)
        ),
        f"must be None, 'english' or a list of at most {MAX_STOP_WORDS} strings",
    ),
    "dtype": (_dtype, "must be float64, float32, int64 or int32"),
}  # fmt: skip
VOCAB_PARAMS = {**TEXT_PARAMS, "vocabulary": choice(None)}


def refuse_code(obj: Estimator, where: str) -> None:
    """A ModelFileError naming the first callable analyzer / preprocessor /
    tokenizer of vectorizer ``obj``."""
    for attr in CODE:
        value = getattr(obj, attr, None)
        if callable(value):
            name = getattr(value, "__qualname__", type(value).__name__)
            raise cannot_save(where, f"its {attr} is the function {name!r}; {BUILT_IN}")


def hashing_to_file(
    obj: Estimator, where: str, state: dict[str, object]
) -> dict[str, object]:
    refuse_code(obj, where)
    limit = Limits().max_text_features
    if int(obj.n_features) > limit:
        raise cannot_save(
            where, f"n_features={obj.n_features} is over the {limit} columns a model "
            "file loads (Limits.max_text_features)",
        )  # fmt: skip
    return state


def vocabulary_to_file(
    obj: Estimator, where: str, state: dict[str, object]
) -> dict[str, object]:
    """The state with ``vocabulary_`` as (UTF-8 bytes, offsets); the code refused."""
    refuse_code(obj, where)
    if obj.vocabulary is not None:
        raise cannot_save(
            where, "its vocabulary parameter is set; lingrad stores the fitted "
            "vocabulary_ only: fit with vocabulary=None (min_df, max_df and "
            "max_features bound what it learns)",
        )  # fmt: skip
    vocab = state.get("vocabulary_")  # scikit-learn's dict: term -> column
    if not isinstance(vocab, Mapping):
        return state  # None: not fitted
    limit = Limits().max_text_features
    if len(vocab) > limit:
        raise cannot_save(
            where, f"its vocabulary holds {len(vocab)} terms, over the {limit} a "
            "model file loads (Limits.max_text_features); refit with max_features",
        )  # fmt: skip
    terms = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in terms] != list(range(len(terms))):
        raise cannot_save(where, "vocabulary_ does not number its terms 0..V-1")
    encoded = [t.encode("utf-8") for t in terms]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return {**state, "vocabulary_": (data, offsets)}


def check_hashing(r: Rules) -> None:
    limit = r.dec.limits.max_text_features
    n = r.params.get("n_features", 2**20)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise r.fail(
            "params['n_features']",
            f"is {str(n)[:40]}; it must be in [1, {limit}] (Limits.max_text_features)",
        )


def check_vectorizer(r: Rules) -> None:
    """The declared vocabulary: V in [1, max_text_features] terms as (bytes,
    offsets); a TfidfVectorizer's ``_tfidf`` a TfidfTransformer of V columns."""
    if "vocabulary_" not in r.state:
        if set(r.state) - {OUTPUT_CONFIG}:
            raise r.fail("vocabulary_", "is missing")
        return  # an unfitted template
    v = r.state["vocabulary_"]
    if not (isinstance(v, tuple) and len(v) == 2 and all(map(is_array_like, v))):
        raise r.fail("vocabulary_", "must be (UTF-8 bytes, offsets) arrays")
    data = r.check_array("vocabulary_[0]", v[0], (None,), "u")
    offsets = r.check_array("vocabulary_[1]", v[1], (None,), "iu")
    if data.dtype != np.uint8 or offsets.dtype.itemsize != 8:
        raise r.fail("vocabulary_", "must be uint8 bytes and 64-bit offsets")
    V, limit = int(offsets.shape[0]) - 1, r.dec.limits.max_text_features
    if not 1 <= V <= limit:
        raise r.fail(
            "vocabulary_",
            f"declares {V} terms; a vocabulary holds 1 to {limit} "
            "(Limits.max_text_features)",
        )
    if r.state.get("fixed_vocabulary_", False) is not False:
        raise r.fail("fixed_vocabulary_", "must be False (vocabulary is None)")
    if r.node.name != "TfidfVectorizer":
        return
    inner = r.state.get("_tfidf")
    if not (isinstance(inner, Node) and inner.name == "TfidfTransformer"):
        raise r.fail("_tfidf", "must be a TfidfTransformer")
    if (n := inner.state.get("n_features_in_")) != V:
        raise r.fail(
            "_tfidf.n_features_in_", f"is {str(n)[:20]}; the vocabulary holds {V} terms"
        )


def check_tfidf_transformer(r: Rules) -> None:
    limit = r.dec.limits.max_text_features
    if r.dims.get("D", 0) > limit:
        raise r.fail("n_features_in_", f"is over {limit} (Limits.max_text_features)")


def finish_vocabulary(vec: Estimator, node: Node) -> None:
    """``vocabulary_`` from its arrays: offsets from 0 to the bytes' end, never
    decreasing; each term UTF-8 and unique. A TfidfVectorizer's ``_tfidf`` takes
    the vectorizer's ``norm``, ``use_idf``, ``smooth_idf``, ``sublinear_tf``."""
    stored = vars(vec).get("vocabulary_")
    if stored is None:
        return
    data, offsets = stored
    ends = np.asarray(offsets, dtype=np.int64)
    if ends[0] != 0 or ends[-1] != len(data) or np.any(np.diff(ends) < 0):
        raise fail(
            f"{node.where}.vocabulary_", "has offsets that do not tile its terms"
        )
    raw = np.asarray(data).tobytes()
    vocab: dict[str, int] = {}
    try:
        starts, stops = ends[:-1].tolist(), ends[1:].tolist()
        for j, (a, b) in enumerate(zip(starts, stops, strict=True)):
            vocab[raw[a:b].decode("utf-8")] = j
    except UnicodeDecodeError:
        raise fail(f"{node.where}.vocabulary_", f"term {j} is not UTF-8") from None
    if len(vocab) != len(ends) - 1:
        raise fail(f"{node.where}.vocabulary_", "holds a term twice")
    vars(vec)["vocabulary_"] = vocab
    inner = vars(vec).get("_tfidf")
    for name in TFIDF if inner is not None else ():
        if getattr(inner, name) != getattr(vec, name):
            raise fail(
                f"{node.where}._tfidf.{name}",
                f"is {getattr(inner, name)!r} but the vectorizer's {name} is "
                f"{getattr(vec, name)!r}"
            )  # fmt: skip


def vocabulary_width(vec: Estimator) -> int:
    return len(vec.vocabulary_)


def is_fitted(vec: Estimator) -> bool:
    return "vocabulary_" in vars(vec)
