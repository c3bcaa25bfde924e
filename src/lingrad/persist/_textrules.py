"""Text vectorizers in a model file: built-in analyzers only, vocabularies as arrays.

A vectorizer's parameters are data, never code: ``analyzer`` one of "word",
"char", "char_wb"; no ``preprocessor`` or ``tokenizer``; ``input="content"`` (the
others read files named by the rows); ``token_pattern`` a regular expression of
at most :data:`MAX_PATTERN` characters and one group; ``ngram_range`` (lo, hi)
with 1 <= lo <= hi <= :data:`MAX_NGRAM`; ``stop_words`` None, "english" or a
list of strings; ``dtype`` float64/float32/int64/int32. Code is refused at save
(a clear line naming the attribute) and at load.

``vocabulary_`` (term -> column) is stored as two arrays, the terms' UTF-8 bytes
one after another (uint8) and the V + 1 offsets where each term starts
(int64), term j being column j; V is bounded by ``Limits.max_text_features``
before anything is read. A TfidfVectorizer's idf lives in its TfidfTransformer
(``_tfidf``, a node of its own): V entries, finite and > 0.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from lingrad.errors import ModelFileError
from lingrad.persist._values import Node, is_array_like

if TYPE_CHECKING:
    from lingrad.persist._loader import Rules
from lingrad.persist._safezip import DAMAGED, Limits

ANALYZERS = ("word", "char", "char_wb")
CODE = ("analyzer", "preprocessor", "tokenizer")
MAX_PATTERN = 1000  # characters of token_pattern
MAX_NGRAM = 10
MAX_STOP_WORDS = 100_000
DTYPES = tuple(np.dtype(t) for t in (np.float64, np.float32, np.int64, np.int32))
TFIDF = ("norm", "use_idf", "smooth_idf", "sublinear_tf")  # shared with _tfidf
BUILT_IN = (
    "lingrad saves only the built-in analyzers: use analyzer='word', 'char' or "
    "'char_wb' with lowercase, strip_accents, stop_words, token_pattern and "
    "ngram_range (a model file never holds code)"
)
_CHOICES = {
    "input": ("content",),
    "decode_error": ("strict", "ignore", "replace"),
    "strip_accents": (None, "ascii", "unicode"),
    "norm": (None, "l1", "l2"),
}


# ---------------------------------------------------------------------- save


def refuse_code(obj: Any, where: str) -> None:
    """A ModelFileError naming the first callable analyzer / preprocessor /
    tokenizer of vectorizer ``obj``."""
    for attr in CODE:
        value = getattr(obj, attr, None)
        if callable(value):
            name = getattr(value, "__qualname__", type(value).__name__)
            raise ModelFileError(
                f"cannot save {where}: its {attr} is the function {name!r}; {BUILT_IN}"
            )


def hashing_to_file(obj: Any, where: str, state: dict[str, Any]) -> dict[str, Any]:
    refuse_code(obj, where)
    limit = Limits().max_text_features
    if int(obj.n_features) > limit:
        raise ModelFileError(
            f"cannot save {where}: n_features={obj.n_features} is over the "
            f"{limit} columns a model file loads (Limits.max_text_features)"
        )
    return state


def vocabulary_to_file(obj: Any, where: str, state: dict[str, Any]) -> dict[str, Any]:
    """The state with ``vocabulary_`` as (UTF-8 bytes, offsets); the code refused."""
    refuse_code(obj, where)
    if obj.vocabulary is not None:
        raise ModelFileError(
            f"cannot save {where}: its vocabulary parameter is set; lingrad stores "
            "the fitted vocabulary_ only: fit with vocabulary=None (min_df, max_df "
            "and max_features bound what it learns)"
        )
    vocab = state.get("vocabulary_")
    if vocab is None:
        return state
    limit = Limits().max_text_features
    if len(vocab) > limit:
        raise ModelFileError(
            f"cannot save {where}: its vocabulary holds {len(vocab)} terms, over the "
            f"{limit} a model file loads (Limits.max_text_features); refit with "
            "max_features"
        )
    terms = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in terms] != list(range(len(terms))):
        raise ModelFileError(
            f"cannot save {where}: vocabulary_ does not number its terms 0..V-1"
        )
    encoded = [t.encode("utf-8") for t in terms]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return {**state, "vocabulary_": (data, offsets)}


# ---------------------------------------------------------------------- load


def _text_params(r: Rules, *, norm: bool) -> None:
    """The parameters every vectorizer shares: built-in choices only."""
    p = r.params
    analyzer = p.get("analyzer", "word")
    if not (isinstance(analyzer, str) and analyzer in ANALYZERS):
        raise r.fail(
            "params['analyzer']",
            f"is {str(analyzer)[:60]!r}; model files hold only the built-in "
            "analyzers 'word', 'char', 'char_wb' (never code)",
        )
    for name in ("preprocessor", "tokenizer"):
        if p.get(name) is not None:
            raise r.fail(
                f"params[{name!r}]",
                f"is {str(p[name])[:60]!r}; model files hold no {name} (never code)",
            )
    for name, allowed in _CHOICES.items():
        if (name != "norm" or norm) and name in p and p[name] not in allowed:
            shown = ", ".join(map(repr, allowed))
            raise r.fail(f"params[{name!r}]", f"must be one of {shown}")
    for name in ("lowercase", "binary", "alternate_sign", *TFIDF[1:]):
        if name in p and not isinstance(p[name], bool):
            raise r.fail(f"params[{name!r}]", "must be True or False")
    encoding = p.get("encoding", "utf-8")
    if not (isinstance(encoding, str) and 0 < len(encoding) <= 40):
        raise r.fail("params['encoding']", "must be a codec name")
    _token_pattern(r, p.get("token_pattern", r"(?u)\b\w\w+\b"))
    _ngram_range(r, p.get("ngram_range", (1, 1)))
    _stop_words(r, p.get("stop_words"))
    dtype = p.get("dtype", np.float64)
    try:
        ok = isinstance(dtype, type) and np.dtype(dtype) in DTYPES
    except TypeError:
        ok = False
    if not ok:
        raise r.fail("params['dtype']", "must be float64, float32, int64 or int32")


def _token_pattern(r: Rules, pattern: Any) -> None:
    where = "params['token_pattern']"
    if pattern is None:
        return
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
        raise r.fail(where, f"must be a regular expression of <= {MAX_PATTERN} chars")
    try:
        groups = re.compile(pattern).groups
    except re.error as e:
        raise r.fail(where, f"is not a regular expression ({e})") from None
    if groups > 1:
        raise r.fail(where, "has more than one capturing group")


def _ngram_range(r: Rules, ngrams: Any) -> None:
    ok = (
        isinstance(ngrams, tuple)
        and len(ngrams) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in ngrams)
        and 1 <= ngrams[0] <= ngrams[1] <= MAX_NGRAM
    )
    if not ok:
        raise r.fail(
            "params['ngram_range']",
            f"must be (lo, hi) with 1 <= lo <= hi <= {MAX_NGRAM}",
        )


def _stop_words(r: Rules, words: Any) -> None:
    if words is None or words == "english":
        return
    if not (
        isinstance(words, list)
        and len(words) <= MAX_STOP_WORDS
        and all(isinstance(w, str) for w in words)
    ):
        raise r.fail(
            "params['stop_words']",
            f"must be None, 'english' or a list of at most {MAX_STOP_WORDS} strings",
        )


def check_hashing(r: Rules) -> None:
    _text_params(r, norm=True)
    limit = r.dec.limits.max_text_features
    n = r.params.get("n_features", 2**20)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise r.fail(
            "params['n_features']",
            f"is {str(n)[:40]}; it must be in [1, {limit}] (Limits.max_text_features)",
        )
    r.output_config()


def _vocabulary(r: Rules) -> int | None:
    """The declared vocabulary's size V (None: an unfitted template)."""
    r.output_config()
    r.param_is("vocabulary", None)
    for name in ("max_df", "min_df"):
        if name in r.params:
            v = r.params[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise r.fail(f"params[{name!r}]", "must be a number")
    if "vocabulary_" not in r.state:
        if set(r.state) - {"_sklearn_output_config"}:
            raise r.fail("vocabulary_", "is missing")
        return None
    v = r.state["vocabulary_"]
    if not (isinstance(v, tuple) and len(v) == 2 and all(map(is_array_like, v))):
        raise r.fail("vocabulary_", "must be (UTF-8 bytes, offsets) arrays")
    data, offsets = v
    r.check_array("vocabulary_[0]", data, (None,), "u")
    r.check_array("vocabulary_[1]", offsets, (None,), "iu")
    if data.dtype != np.uint8 or offsets.dtype.itemsize != 8:
        raise r.fail("vocabulary_", "must be uint8 bytes and 64-bit offsets")
    V = int(offsets.shape[0]) - 1
    limit = r.dec.limits.max_text_features
    if not 1 <= V <= limit:
        raise r.fail(
            "vocabulary_",
            f"declares {V} terms; a vocabulary holds 1 to {limit} "
            "(Limits.max_text_features)",
        )
    if r.state.get("fixed_vocabulary_", False) is not False:
        raise r.fail("fixed_vocabulary_", "must be False (vocabulary is None)")
    return V


def check_count(r: Rules) -> None:
    _text_params(r, norm=False)
    _vocabulary(r)


def check_tfidf(r: Rules) -> None:
    _text_params(r, norm=True)
    V = _vocabulary(r)
    if V is None:
        return
    inner = r.state.get("_tfidf")
    if not (isinstance(inner, Node) and inner.name == "TfidfTransformer"):
        raise r.fail("_tfidf", "must be a TfidfTransformer")
    if inner.state.get("n_features_in_") != V:
        raise r.fail(
            "_tfidf.n_features_in_",
            f"is {str(inner.state.get('n_features_in_'))[:20]}; the vocabulary "
            f"holds {V} terms",
        )


def check_tfidf_transformer(r: Rules) -> None:
    r.output_config()
    _text_params_tfidf(r)
    if not (set(r.state) - {"_sklearn_output_config"}):
        return
    D = r.integer("n_features_in_", 1, r.dec.limits.max_text_features)
    assert D is not None
    r.names(D)
    use_idf = r.params.get("use_idf", True)
    r.array("idf_", (D,), required=bool(use_idf))


def _text_params_tfidf(r: Rules) -> None:
    if r.params.get("norm", "l2") not in _CHOICES["norm"]:
        raise r.fail("params['norm']", "must be one of None, 'l1', 'l2'")
    for name in TFIDF[1:]:
        if name in r.params and not isinstance(r.params[name], bool):
            raise r.fail(f"params[{name!r}]", "must be True or False")


def _fail(node: Node, attr: str, what: str) -> ModelFileError:
    return ModelFileError(f"{node.where}.{attr} {what}; {DAMAGED}")


def finish_vocabulary(vec: Any, node: Node) -> None:
    """``vocabulary_`` from its arrays: offsets from 0 to the bytes' end, never
    decreasing; each term UTF-8 and unique. A TfidfVectorizer's ``_tfidf`` takes
    the vectorizer's ``norm``, ``use_idf``, ``smooth_idf``, ``sublinear_tf``."""
    stored = vars(vec).get("vocabulary_")
    if stored is None:
        return
    data, offsets = stored
    ends = np.asarray(offsets, dtype=np.int64)
    if ends[0] != 0 or ends[-1] != len(data) or np.any(np.diff(ends) < 0):
        raise _fail(node, "vocabulary_", "has offsets that do not tile its terms")
    raw = np.asarray(data).tobytes()
    vocab: dict[str, int] = {}
    try:
        starts, stops = ends[:-1].tolist(), ends[1:].tolist()
        for j, (a, b) in enumerate(zip(starts, stops, strict=True)):
            vocab[raw[a:b].decode("utf-8")] = j
    except UnicodeDecodeError:
        raise _fail(node, "vocabulary_", f"term {j} is not UTF-8") from None
    if len(vocab) != len(ends) - 1:
        raise _fail(node, "vocabulary_", "holds a term twice")
    vars(vec)["vocabulary_"] = vocab
    inner = vars(vec).get("_tfidf")
    for name in TFIDF if inner is not None else ():
        if getattr(inner, name) != getattr(vec, name):
            raise _fail(
                node, f"_tfidf.{name}",
                f"is {getattr(inner, name)!r} but the vectorizer's {name} is "
                f"{getattr(vec, name)!r}",
            )  # fmt: skip


def finish_idf(t: Any, node: Node) -> None:
    idf = vars(t).get("idf_")
    if idf is None:
        return
    bad = np.flatnonzero(~np.isfinite(idf) | (np.asarray(idf) <= 0))
    if len(bad):
        j = int(bad[0])
        raise _fail(node, f"idf_[{j}]", f"is {float(idf[j])!r}; an idf is finite, > 0")


def vocabulary_width(vec: Any) -> int:
    return len(vec.vocabulary_)


def is_fitted(vec: Any) -> bool:
    return "vocabulary_" in vars(vec)
