"""CSR rows as Vowpal Wabbit text (``"1 | 17:0.12345678 901:0.5 ..."``), vectorised.

A column j is written as the feature named ``j`` in the default namespace,
which VW takes as the index j itself (``-b 20`` keeps it): the same columns,
no extra hashing collisions. Values are written with 8 decimals (rows here are
unit-norm, so every value lies in (0, 1]); labels 0/1 become -1/1.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

_DECIMALS = 8
_CHUNK = 100_000


def _digits(v: np.ndarray) -> np.ndarray:
    """Number of decimal digits of each non-negative integer (0 has 1)."""
    out = np.ones(len(v), dtype=np.int64)
    p = 10
    while True:
        more = v >= p
        if not more.any():
            return out
        out += more
        p *= 10


def _chunk_bytes(X: sp.csr_matrix, y: np.ndarray) -> bytes:
    n = X.shape[0]
    idx = X.indices.astype(np.int64)
    val = np.rint(X.data * 10**_DECIMALS).astype(np.int64)  # fixed point
    if val.size and (val.min() < 0 or val.max() > 10 ** (_DECIMALS + 1) - 1):
        raise ValueError("VW text here takes values in [0, 10)")
    nd = _digits(idx)
    f_len = 1 + nd + 1 + (_DECIMALS + 2)  # " " idx ":" d.dddddddd
    per_row = np.diff(X.indptr).astype(np.int64)
    row = np.repeat(np.arange(n), per_row)
    prefix = np.where(y > 0, 3, 4)  # "1 |" or "-1 |"
    f_cum = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(f_len, out=f_cum[1:])
    row_len = prefix + (f_cum[X.indptr[1:]] - f_cum[X.indptr[:-1]]) + 1
    row_start = np.zeros(n, dtype=np.int64)
    np.cumsum(row_len[:-1], out=row_start[1:])
    out = np.full(int(row_start[-1] + row_len[-1]), ord(" "), dtype=np.uint8)
    neg = y <= 0
    out[row_start[neg]] = ord("-")
    out[row_start + prefix - 3] = ord("1")
    out[row_start + prefix - 1] = ord("|")
    out[row_start + row_len - 1] = ord("\n")
    pos = f_cum[:-1] - f_cum[X.indptr[:-1]][row] + row_start[row] + prefix[row] + 1
    for j in range(int(nd.max(initial=1))):
        has = nd > j
        p = 10 ** (nd[has] - 1 - j)
        out[pos[has] + j] = 48 + (idx[has] // p) % 10
    pos = pos + nd
    out[pos] = ord(":")
    out[pos + 1] = 48 + val // 10**_DECIMALS
    out[pos + 2] = ord(".")
    for j in range(_DECIMALS):
        out[pos + 3 + j] = 48 + (val // 10 ** (_DECIMALS - 1 - j)) % 10
    return out.tobytes()


def vw_chunks(X: sp.csr_matrix, y: np.ndarray) -> Iterator[bytes]:
    """The rows of X (labels y in {0, 1}) as VW text, a chunk of rows at a time."""
    for start in range(0, X.shape[0], _CHUNK):
        stop = min(start + _CHUNK, X.shape[0])
        yield _chunk_bytes(X[start:stop], np.asarray(y[start:stop]))


def write_vw(X: sp.csr_matrix, y: np.ndarray, path: str) -> int:
    """Write the VW text file; returns its size in bytes."""
    size = 0
    with open(path, "wb") as f:
        for b in vw_chunks(X, y):
            f.write(b)
            size += len(b)
    return size
