"""The held-out split of every engine: a hash of the seed, the file's name and
the row's place in it.

A row is held out when ``u < test_size``, where ``u`` in [0, 1) is splitmix64 of
(seed, crc32 of the file's name, the row's 0-based data row in its file). The
rule needs nothing but the row itself, so in memory, streamed (every pass,
batch size and order) and on Dask (every block, on any worker) the same rows
are held out, and ``evaluate --split`` draws them again from the model file's
seed and test size.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["SPLIT", "held_out", "held_out_at", "ids_digest"]

SPLIT = "hash"  # the split kind the model file records (meta["split"])


def held_out_at(
    seed: int, name: str, rows: ArrayLike, test_size: float | None
) -> NDArray[np.bool_]:
    """True for the held-out rows among data rows ``rows`` (0-based, in the file
    named ``name``; "" for a table without a file)."""
    at = np.asarray(rows, dtype=np.uint64)
    if not test_size:
        return np.zeros(len(at), dtype=bool)
    salt = zlib.crc32(name.encode()) + (seed << 32)
    z = at + np.uint64(salt & (2**64 - 1))
    z += np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return np.asarray((z >> np.uint64(11)) * 2.0**-53 < test_size)


def held_out(
    seed: int, path: Path, row0: int, n: int, test_size: float | None
) -> NDArray[np.bool_]:
    """:func:`held_out_at` of the ``n`` rows from data row ``row0`` of ``path``."""
    return held_out_at(seed, Path(path).name, np.arange(row0, row0 + n), test_size)


def ids_digest(ids: pa.Array | pa.ChunkedArray | Iterable[object]) -> int:
    """An order-free digest of ID values (a pyarrow Array or a sequence): the sum
    mod 2^64 of each value's blake2b hash, so a table's held-out IDs digest the
    same whichever order the pieces are read in; combine parts by addition."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = ids
    if isinstance(ids, (pa.Array, pa.ChunkedArray)):
        values = pc.cast(ids, pa.string()).to_pylist()
    total = 0
    for value in values:
        h = hashlib.blake2b(str(value).encode(), digest_size=8).digest()
        total += int.from_bytes(h, "little")
    return total % (1 << 64)
