"""Where ``lingrad predict`` writes: stdout, a file, or a special file, as CSV / TSV
or Parquet, batch by batch.

- The format follows the suffix: ``.csv`` / ``.txt`` (CSV), ``.tsv`` (tab
  separated), ``.parquet`` / ``.pq`` (Parquet); no suffix (``/dev/stdout``, a FIFO)
  is CSV; any other suffix is an error before anything is read.
- A regular file is written atomically (a temp file beside it, renamed over it at
  the end): a failure leaves the old file as it was. A symlink is followed: the
  file it points to is replaced, the link stays.
- ``-`` is stdout. An open descriptor (``/dev/stdout``, ``/dev/stderr``,
  ``/dev/fd/N``) is written through a duplicate of it: a file the shell
  redirected it to is appended to where it stands, never truncated or rewound.
  A FIFO or device is opened without truncating and written in place.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

import numpy as np

from lingrad.errors import LingradError

if TYPE_CHECKING:
    import _csv

    import pyarrow as pa
    import pyarrow.parquet as pq
    from _typeshed import ReadableBuffer

    from lingrad.workflows.types import Values

Column: TypeAlias = "Values | pa.Array | pa.ChunkedArray"  # a column's values

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    "": "csv",
}


def output_format(out: Path | None) -> str:
    """``csv``, ``tsv`` or ``parquet`` for ``--out``; :class:`LingradError` else."""
    if out is None:
        return "csv"
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise LingradError(
            f"{out}: unsupported output type {out.suffix!r}; predictions are written "
            "as .csv, .tsv, .txt or .parquet (or no suffix: CSV)"
        )
    return FORMATS[suffix]


STDOUT = "-"
_FD = re.compile(r"/(?:dev/fd|proc/self/fd)/(\d+)")
_STD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _fd_of(out: Path) -> int | None:
    """The open descriptor ``out`` names: ``-`` (stdout), ``/dev/stdout``,
    ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``; else None."""
    text = str(out)
    if text == STDOUT:
        return 1
    if text in _STD:
        return _STD[text]
    match = _FD.fullmatch(text)
    return int(match.group(1)) if match else None


def is_special(out: Path) -> bool:
    """A path written in place: ``-``, an open descriptor (``/dev/stdout``), or an
    existing device, FIFO or socket."""
    if _fd_of(out) is not None:
        return True
    try:
        mode = os.stat(out).st_mode  # follows symlinks
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def destination(out: Path | None) -> Iterator[BinaryIO]:
    """A binary stream for ``out`` (stdout for None or ``-``), committed when the
    block ends without error.

    stdout and the other open descriptors are written where they stand (a
    duplicate shares the shell's offset: a redirected file is appended to, never
    truncated); a FIFO or device is opened without truncating; a regular file is
    replaced atomically.
    """
    fd = 1 if out is None else _fd_of(out)
    if fd == 1:
        sys.stdout.flush()
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    assert out is not None
    if fd is not None:
        try:
            dup = os.dup(fd)
        except OSError as e:
            raise LingradError(f"cannot write to {out} ({e.strerror})") from e
        with os.fdopen(dup, "wb") as f:
            yield f
        return
    if out.is_dir():
        raise LingradError(f"{out} is a folder; give --out a file name")
    if is_special(out):  # a FIFO or a device: in place, never truncated
        with open(os.open(out, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)), "wb") as f:
            yield f
        return
    from lingrad.persist.atomic import atomic_open

    target = Path(os.path.realpath(out)) if out.is_symlink() else out
    with atomic_open(target) as f:
        yield f


class Writer:
    """Columns of predictions, appended batch by batch to ``stream``."""

    def __init__(self, stream: BinaryIO, kind: str) -> None:
        self.stream, self.kind = stream, kind
        self.rows = 0
        self._csv: _csv.Writer | None = None
        self._text: io.TextIOWrapper | None = None
        self._parquet: pq.ParquetWriter | None = None  # pyarrow's (untyped)

    def write(self, columns: Mapping[str, Column]) -> None:
        """Append a batch: ``{name: values}`` (numpy arrays or pyarrow Arrays)."""
        n = len(next(iter(columns.values())))
        if self.kind == "parquet":
            self._write_parquet(columns)
        else:
            self._write_text(columns)
        self.rows += n

    def _write_text(self, columns: Mapping[str, Column]) -> None:
        if self._csv is None:
            self._text = io.TextIOWrapper(
                self.stream, encoding="utf-8", newline="", write_through=True
            )
            delimiter = "\t" if self.kind == "tsv" else ","
            self._csv = csv.writer(self._text, delimiter=delimiter, lineterminator="\n")
            self._csv.writerow(list(columns))
        values = [_as_list(v) for v in columns.values()]
        self._csv.writerows(zip(*values, strict=True))

    def _write_parquet(self, columns: Mapping[str, Column]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({k: _as_arrow(v) for k, v in columns.items()})
        if self._parquet is None:
            sink = pa.PythonFile(_Counted(self.stream), mode="w")
            self._parquet = pq.ParquetWriter(sink, table.schema)
        self._parquet.write_table(table)

    def close(self) -> None:
        """Finish the file (Parquet footer; CSV buffers) without closing the stream."""
        if self._parquet is not None:
            self._parquet.close()
        if self._text is not None:
            self._text.flush()
            self._text.detach()
        self.stream.flush()


def _as_list(values: Column) -> list[object]:
    to_pylist = getattr(values, "to_pylist", None)  # a pyarrow Array's
    if to_pylist is not None:
        return ["" if v is None else v for v in to_pylist()]
    out: list[object] = np.asarray(values).tolist()
    return out


def _as_arrow(values: Column) -> pa.Array | pa.ChunkedArray:
    import pyarrow as pa

    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    values = np.asarray(values)
    if values.dtype == object:
        return pa.array(values.tolist())
    return pa.array(values)


class _Counted(io.RawIOBase):
    """A write-only stream that knows its position (pipes cannot ``tell``)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.pos = stream, 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        chunk = bytes(data)
        n = self.stream.write(chunk)
        self.pos += len(chunk)
        return n if n is not None else len(chunk)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:  # the stream belongs to the caller
        super().close()
