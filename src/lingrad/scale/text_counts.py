"""Free-text columns read in pieces: the counting pass of TF-IDF, nothing for hashing.

``HashingVectorizer`` (``--text-features hash``) is stateless: each batch is
hashed as it comes, with no pass. ``TfidfVectorizer`` (``tfidf``) learns a
vocabulary and ``idf_t = ln((1 + N) / (1 + df_t)) + 1`` from the training
rows; read in pieces, one pass counts each term's document frequency ``df_t``
and the documents N (:class:`TermCounts`, mergeable), and :func:`set_terms`
gives the vectorizer the state its in-memory ``fit`` on the same rows learns:
the sorted vocabulary and the same idf, computed as scikit-learn computes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


class Analyzes(Protocol):
    """A text vectorizer's analyzer: a document's terms (scikit-learn's
    ``build_analyzer``)."""

    def build_analyzer(self) -> Callable[[str], list[str]]: ...


class TermCounts:
    """Document frequencies of a vectorizer's terms over training rows."""

    def __init__(self, vectorizer: Analyzes) -> None:
        self.analyze = vectorizer.build_analyzer()
        self.df: Counter[str] = Counter()
        self.n_docs = 0

    def update(self, docs: Collection[str]) -> None:
        """Count the terms of ``docs`` (one text cell a row), each once a row."""
        for doc in docs:
            self.df.update(set(self.analyze(doc)))
        self.n_docs += len(docs)

    def merge(self, other: TermCounts) -> TermCounts:
        self.df.update(other.df)
        self.n_docs += other.n_docs
        return self

    def vocabulary(self) -> list[str]:
        """The terms, sorted (a fitted vectorizer numbers them in this order)."""
        return sorted(self.df)

    def synthetic_docs(self, k: int) -> list[str]:
        """``k`` documents whose terms are the vocabulary (the first holds them
        all): fitting on them gives the vectorizer its output width."""
        return [" ".join(self.vocabulary())] + [""] * (k - 1)


def set_terms(vectorizer: TfidfVectorizer, counts: TermCounts) -> None:
    """Give a TfidfVectorizer (fitted on :meth:`TermCounts.synthetic_docs`) the
    vocabulary and idf its ``fit`` on the counted rows learns."""
    terms = counts.vocabulary()
    if not terms:
        raise ValueError(
            "empty vocabulary; the training rows of a --text column hold no words"
        )
    vectorizer.vocabulary_ = {t: i for i, t in enumerate(terms)}
    if vectorizer.use_idf:  # as sklearn's TfidfTransformer.fit, operation for operation
        df = np.array([counts.df[t] for t in terms], dtype=np.float64)
        df += float(vectorizer.smooth_idf)
        n = counts.n_docs + int(vectorizer.smooth_idf)
        idf = np.full_like(df, fill_value=n, dtype=np.float64)
        idf /= df
        np.log(idf, out=idf)
        idf += 1.0
        vectorizer.idf_ = idf
