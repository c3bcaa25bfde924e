"""A synthetic text-like classification problem, built directly as CSR.

Each row is a "document" of ``L ~ Poisson(λ)`` tokens (λ chosen so that a row
holds about ``nnz`` distinct hashed features). Every token is drawn, with
probability ``1 - topic_share``, from a Zipf background over a vocabulary of
``vocab`` words (``p(r) ∝ r^-zipf_s``, r = 1 .. vocab: a few very common words,
a long tail of rare ones), and otherwise from the row's class topic: a Zipf over
``topic_words`` words of its own (ranks ≥ 100 of the vocabulary, no two classes
share one). A token r lands in column ``hash(r) = ((r + 1) · 2654435761 mod
2³²) · d >> 32`` (multiplicative hashing; collisions happen, as with a real
hashing vectorizer); a column's value is its count in the row, and each row is
scaled to unit L2 norm (``HashingVectorizer``'s ``norm="l2"``).

Everything is vectorised NumPy over chunks of rows, seeded: the same seed gives
the same matrices bit for bit. ``text_problem`` returns a train and held-out
split (i.i.d. rows from one generator); ``csv_chunks`` writes the same kind of
documents as words (``"label,text"`` lines) for the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_GOLDEN = np.uint64(2654435761)  # Knuth's multiplicative hash constant
_CHUNK = 100_000  # rows generated at a time (bounds the temporary arrays)


@dataclass
class TextWorld:
    """The fixed part of a problem: word distributions and the hash."""

    n_features: int
    n_classes: int
    bg_cdf: np.ndarray  # (vocab,) cumulative Zipf background
    topic_ids: np.ndarray  # (n_classes, topic_words) token ids of each topic
    topic_cdf: np.ndarray  # (topic_words,) cumulative Zipf within a topic
    topic_share: float
    mean_tokens: float  # λ of the Poisson row length


def _zipf_p(n: int, s: float) -> np.ndarray:
    p = np.arange(1, n + 1, dtype=np.float64) ** -s
    return p / p.sum()


def _cdf(p: np.ndarray) -> np.ndarray:
    c = np.cumsum(p)
    c[-1] = 1.0
    return c


def _expected_distinct(p: np.ndarray, L: float) -> float:
    """E[#distinct] of L draws from p: Σ 1 - (1 - p_r)^L."""
    return float(np.sum(-np.expm1(L * np.log1p(-p))))


def make_world(
    n_features: int = 2**20,
    n_classes: int = 2,
    nnz: float = 50.0,
    vocab: int = 250_000,
    zipf_s: float = 1.05,
    topic_words: int = 1000,
    topic_share: float = 0.04,
    seed: int = 0,
) -> TextWorld:
    """The distributions; λ solved (bisection) so a row has ``nnz`` distinct tokens."""
    rng = np.random.default_rng([seed, 1])
    bg = _zipf_p(vocab, zipf_s)
    tp = _zipf_p(topic_words, 1.0)
    ids = rng.choice(np.arange(100, vocab), n_classes * topic_words, replace=False)
    topic_ids = ids.reshape(n_classes, topic_words).astype(np.int64)
    mix = (1 - topic_share) * bg  # one class's token distribution (all alike)
    mix[topic_ids[0]] += topic_share * tp
    lo, hi = nnz, 20.0 * nnz
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _expected_distinct(mix, mid) < nnz else (lo, mid)
    return TextWorld(
        n_features, n_classes, _cdf(bg), topic_ids, _cdf(tp), topic_share, lo
    )


def sample_tokens(
    world: TextWorld, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` documents: (token ids, flat int64; tokens per row; labels)."""
    y = rng.integers(world.n_classes, size=n)
    lengths = np.maximum(rng.poisson(world.mean_tokens, n), 1)
    T = int(lengths.sum())
    row = np.repeat(np.arange(n), lengths)
    topic = rng.random(T) < world.topic_share
    tok = np.searchsorted(world.bg_cdf, rng.random(T), side="right")
    n_topic = int(topic.sum())
    rank = np.searchsorted(world.topic_cdf, rng.random(n_topic), side="right")
    tok[topic] = world.topic_ids[y[row[topic]], rank]
    return tok.astype(np.int64), lengths, y


def hash_tokens(tok: np.ndarray, n_features: int) -> np.ndarray:
    """Column of each token: ``((r + 1) · 2654435761 mod 2³²) · d >> 32``."""
    h = ((tok.astype(np.uint64) + np.uint64(1)) * _GOLDEN) & np.uint64(0xFFFFFFFF)
    return ((h * np.uint64(n_features)) >> np.uint64(32)).astype(np.int64)


def tokens_to_csr(
    tok: np.ndarray, lengths: np.ndarray, n_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, indices, counts per row): counts summed per column, rows unit-L2."""
    n = len(lengths)
    row = np.repeat(np.arange(n, dtype=np.int64), lengths)
    key = np.sort(row * n_features + hash_tokens(tok, n_features))
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[start, len(key)]).astype(np.float64)
    key = key[start]
    r = key // n_features
    per_row = np.bincount(r, minlength=n)
    norm = np.sqrt(np.bincount(r, weights=counts * counts, minlength=n))
    return counts / norm[r], (key % n_features).astype(np.int32), per_row


def make_rows(
    world: TextWorld, n: int, seed: int, stream: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """``n`` rows as (CSR float64 with int32 indices, labels int64)."""
    rng = np.random.default_rng([seed, 2, stream])
    datas, indices, per_rows, ys = [], [], [], []
    for start in range(0, n, _CHUNK):
        tok, lengths, y = sample_tokens(world, min(_CHUNK, n - start), rng)
        d, i, r = tokens_to_csr(tok, lengths, world.n_features)
        datas.append(d)
        indices.append(i)
        per_rows.append(r)
        ys.append(y)
    per_row = np.concatenate(per_rows)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    if indptr[-1] < 2**31:
        indptr = indptr.astype(np.int32)
    X = sp.csr_matrix(
        (np.concatenate(datas), np.concatenate(indices), indptr),
        shape=(n, world.n_features),
    )
    return X, np.concatenate(ys)


@dataclass
class TextProblem:
    """Train and held-out rows of one world."""

    X: sp.csr_matrix
    y: np.ndarray
    X_test: sp.csr_matrix
    y_test: np.ndarray
    world: TextWorld


def text_problem(
    n_rows: int = 1_000_000, n_test: int = 100_000, seed: int = 0, **world_kw: object
) -> TextProblem:
    """A train set of ``n_rows`` and an i.i.d. held-out set of ``n_test`` rows."""
    world = make_world(seed=seed, **world_kw)  # type: ignore[arg-type]
    X, y = make_rows(world, n_rows, seed, 0)
    X_test, y_test = make_rows(world, n_test, seed, 1)
    return TextProblem(X, y, X_test, y_test, world)


def csr_bytes(X: sp.csr_matrix) -> int:
    """The CSR's own size: data + indices + indptr bytes."""
    return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


def _words(vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Word r as bytes: bijective base 26 of r + 27 ("ab", "ac", ...: ≥ 2 letters).

    Returns (padded byte matrix (vocab, width), lengths); frequent words are short.
    """
    r = np.arange(vocab, dtype=np.int64) + 27
    letters = []
    while np.any(r > 0):
        alive = r > 0
        digit = (r - 1) % 26
        letters.append(np.where(alive, 97 + digit, 0))
        r = np.where(alive, (r - 1) // 26, 0)
    mat = np.array(letters[::-1], dtype=np.uint8).T  # most significant first
    lengths = (mat > 0).sum(axis=1)
    shift = mat.shape[1] - lengths  # left-align: drop the leading zeros
    cols = (np.arange(mat.shape[1]) + shift[:, None]) % mat.shape[1]
    return np.take_along_axis(mat, cols, axis=1), lengths


def csv_chunks(
    world: TextWorld, n: int, seed: int, chunk: int = _CHUNK
) -> Iterator[bytes]:
    """``n`` documents as CSV lines ``"text,label"`` (words space-separated)."""
    mat, wlen = _words(len(world.bg_cdf))
    rng = np.random.default_rng([seed, 3])
    yield b"text,label\n"
    for start in range(0, n, chunk):
        tok, lengths, y = sample_tokens(world, min(chunk, n - start), rng)
        last = np.cumsum(lengths) - 1  # each row's last token
        size = wlen[tok] + 1  # word + " "
        size[last] += 2  # word + ",k\n"
        pos = np.zeros(len(tok), dtype=np.int64)
        np.cumsum(size[:-1], out=pos[1:])
        out = np.full(int(pos[-1] + size[-1]), ord(" "), dtype=np.uint8)
        for j in range(mat.shape[1]):
            has = wlen[tok] > j
            out[pos[has] + j] = mat[tok[has], j]
        end = pos[last] + wlen[tok[last]]
        out[end] = ord(",")
        out[end + 1] = 48 + y.astype(np.uint8)
        out[end + 2] = ord("\n")
        yield out.tobytes()
