"""A CSV / Parquet file opened for reading: format and header checks, the choice of
target and feature columns, and its record batches as pyarrow reads them.

Rows are counted as a spreadsheet user counts them: data row 1 is the first row after
the header. For CSV the messages also give the line of the file.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Protocol, TypeAlias, TypedDict

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from lingrad.errors import DataError

__all__ = [
    "Source",
    "batches",
    "choose_features",
    "from_memory",
    "open_source",
    "select",
]

# pyarrow is untyped here (``ignore_missing_imports``: mypy checks nothing of its
# classes); the reader's values are named by their pyarrow class, once
Column: TypeAlias = "pa.Array | pa.ChunkedArray"  # one column's cells
Batch: TypeAlias = "pa.Table | pa.RecordBatch"  # columns read together


class _InvalidRow(Protocol):
    """What pyarrow's CSV reader reports of a row with the wrong field count."""

    @property
    def number(self) -> int | None: ...  # its non-empty line, counted from 1
    @property
    def expected_columns(self) -> int: ...
    @property
    def actual_columns(self) -> int: ...


class _CsvOptions(TypedDict):
    """The keyword arguments of ``pyarrow.csv.open_csv``."""

    read_options: pa_csv.ReadOptions
    parse_options: pa_csv.ParseOptions
    convert_options: pa_csv.ConvertOptions


_FORMATS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclasses.dataclass(frozen=True)
class Source:
    """An opened table file: its path, kind, header and column layout."""

    path: Path
    kind: str  # "csv" | "parquet"
    columns: list[str]
    delimiter: str = ","
    n_features: int = 0  # the first n_features selected columns are features
    text_columns: frozenset[str] = frozenset()  # features kept as text (categorical)
    feature_hint: str = ""  # what to do about a missing feature cell ("": generic)
    target_hint: str = ""  # what to do about a missing target cell ("": generic)

    def where(self, row: int) -> str:
        """Position of 0-based data row ``row`` in words."""
        if self.kind != "csv":
            return f"row {row + 1} (data rows counted from 1)"
        return f"row {row + 1} (line {_line_of(self.path, row + 2)} of the file)"


def _line_of(path: Path, k: int) -> int:
    """Physical line number of the k-th non-empty line (pyarrow skips blank lines)."""
    with open(path, "rb") as f:
        for line_number, line in enumerate(f, start=1):
            k -= line.strip(b"\r\n") != b""
            if k == 0:
                return line_number
    return -1


def open_source(path: str | os.PathLike[str]) -> Source:
    """Check that ``path`` is a readable table file and read its header."""
    p = Path(path)
    kind = _FORMATS.get(p.suffix.lower())
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path and the working folder")
    if p.is_dir():
        raise DataError(f"{p} is a folder; give a .csv or .parquet file")
    if kind is None:
        raise DataError(
            f"{p}: unsupported file type {p.suffix!r}; lingrad reads "
            f"{', '.join(_FORMATS)} files (rename the file if it is one of these)"
        )
    if p.stat().st_size == 0:
        raise DataError(f"{p} is empty (0 bytes); it needs a header and data rows")
    if kind == "parquet":
        columns = parquet_file(p).schema_arrow.names
        source = Source(p, kind, columns)
    else:
        delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
        source = Source(p, kind, _csv_header(p, delimiter), delimiter)
        _refuse_other_delimiter(source)
    _refuse_duplicates(source)
    return source


_DELIMITERS = {";": "semicolon", "\t": "tab", ",": "comma", "|": "pipe"}


def _refuse_other_delimiter(src: Source) -> None:
    """A header read as one column that holds another delimiter: say so."""
    if len(src.columns) != 1:
        return
    header = src.columns[0]
    found = [d for d in _DELIMITERS if d != src.delimiter and d in header]
    if not found:
        return
    other = max(found, key=header.count)
    reads = "tab-separated .tsv" if src.delimiter == "\t" else "comma-separated CSV"
    raise DataError(
        f"{src.path}: this file looks {_DELIMITERS[other]}-separated (its header "
        f"{header!r} reads as one column); lingrad reads {reads}: convert it "
        f"(e.g. save it again as CSV with commas)"
    )


def _refuse_duplicates(src: Source) -> None:
    seen: set[str] = set()
    for name in src.columns:
        if name in seen:
            raise DataError(
                f"{src.path}: duplicate column name {name!r} in the header; "
                "give every column a distinct name"
            )
        seen.add(name)


def from_memory(data: object, name: str = "DataFrame") -> tuple[Source, pa.Table]:
    """A pandas DataFrame or pyarrow Table as a :class:`Source` and its table.

    pandas' missing cells (NaN, None, ``pd.NA``) become nulls, so that the one
    missing-value rule of :mod:`lingrad.data.columns` sees them as a file's.
    """
    if isinstance(data, pa.Table):
        table = data
    else:
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as e:
            raise DataError(
                f"{name}: cannot read it as a table ({str(e).splitlines()[0]}); "
                "give each column one type (numbers or text)"
            ) from e
    source = Source(Path(name), "table", [str(c) for c in table.column_names])
    _refuse_duplicates(source)
    return source, table.rename_columns(source.columns)


def _csv_header(p: Path, delimiter: str) -> list[str]:
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f, delimiter=delimiter):
                if row:
                    return row
    except UnicodeDecodeError as e:
        raise DataError(f"{p}: not UTF-8 text ({e.reason}); save it as UTF-8") from e
    except csv.Error as e:
        raise DataError(f"{p}: cannot parse the header line ({e})") from e
    raise DataError(f"{p} has no header line; the first line must name the columns")


def parquet_file(p: Path, **options: bool | int) -> pq.ParquetFile:
    with open(p, "rb") as f:
        head = f.read(4)
        f.seek(-4, os.SEEK_END)
        tail = f.read(4)
    if head != b"PAR1":
        raise DataError(f"{p} is not a Parquet file (no PAR1 magic); is it a CSV?")
    if tail != b"PAR1":
        raise DataError(f"{p}: Parquet file is truncated (no footer); write it again")
    try:
        return pq.ParquetFile(p, **options)
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"{p}: damaged Parquet file ({e}); write it again") from e


def select(
    src: Source, target: str | None, features: Sequence[str] | None
) -> tuple[str | None, list[str]]:
    """The target and feature columns to read (features default to all the others)."""
    available = ", ".join(repr(c) for c in src.columns)
    if target is not None and target not in src.columns:
        raise DataError(
            f"{src.path}: target column {target!r} not found; columns: {available}"
        )
    if features is None:
        features = [c for c in src.columns if c != target]
    missing = [f for f in features if f not in src.columns]
    if missing:
        raise DataError(
            f"{src.path}: feature column(s) {', '.join(map(repr, missing))} not "
            f"found; columns: {available}"
        )
    if target is not None and target in features:
        raise DataError(f"{src.path}: column {target!r} is both target and feature")
    if not features:
        raise DataError(f"{src.path}: no feature columns left besides the target")
    if "" in features:
        raise DataError(
            f"{src.path}: a column has no name in the header (a saved index?); "
            "name it, or list the features to use"
        )
    return target, list(features)


def choose_features(
    columns: Sequence[str],
    source: object,
    target: str | None,
    features: Sequence[str] | None,
    exclude: Sequence[str] = (),
    id_column: str | None = None,
) -> list[str]:
    """The feature columns: ``features``, else every column but the target, the ID
    and ``exclude``. :class:`DataError` for names that are not columns."""
    listed = ", ".join(map(repr, columns))
    named = [*exclude, *([id_column] if id_column else [])]
    unknown = [c for c in named if c not in columns]
    if unknown:
        raise DataError(
            f"{source}: column {unknown[0]!r} (from --exclude / --id) not found; "
            f"columns: {listed}"
        )
    if id_column is not None and id_column == target:
        raise DataError(f"{source}: column {id_column!r} is both the target and the ID")
    if features is None:
        drop = {target, id_column, *exclude}
        return [c for c in columns if c not in drop]
    if id_column is not None and id_column in features:
        raise DataError(
            f"{source}: column {id_column!r} is the ID column and also a feature; "
            "leave it out of --features"
        )
    return list(features)


def _csv_options(
    src: Source, columns: list[str], bad_rows: list[_InvalidRow], block: int, fast: bool
) -> _CsvOptions:
    # fast: numeric features parsed as float64 on all cores, with no Python callback
    # (a pyarrow thread holding one at interpreter exit aborts the process: exit 134);
    # slow: every cell as text, on one thread, with a handler that records the rows
    # pyarrow rejects (so that errors can name the line)
    types = {c: pa.string() for c in columns}
    if fast:
        numeric = [c for c in columns[: src.n_features] if c not in src.text_columns]
        types.update({c: pa.float64() for c in numeric})
        parse = pa_csv.ParseOptions(delimiter=src.delimiter)
    else:

        def on_invalid(row: _InvalidRow) -> str:
            bad_rows.append(row)
            return "error"

        parse = pa_csv.ParseOptions(
            delimiter=src.delimiter, invalid_row_handler=on_invalid
        )
    return _CsvOptions(
        read_options=pa_csv.ReadOptions(use_threads=fast, block_size=block),
        parse_options=parse,
        convert_options=pa_csv.ConvertOptions(
            column_types=types, include_columns=columns, strings_can_be_null=False
        ),
    )


def _read_error(src: Source, e: Exception, bad_rows: list[_InvalidRow]) -> DataError:
    number = bad_rows[0].number if bad_rows else None  # counts non-empty lines
    if number is not None:
        bad = bad_rows[0]
        return DataError(
            f"{src.path}: line {_line_of(src.path, number)} has {bad.actual_columns} "
            f"fields but the header has {bad.expected_columns} (data row "
            f"{number - 1}); fix that row (a missing or extra delimiter?)"
        )
    return DataError(f"{src.path}: cannot read the file ({str(e).splitlines()[0]})")


def batches(
    src: Source, columns: list[str], batch_size: int, fast: bool = True
) -> Generator[pa.RecordBatch, None, None]:
    """Record batches of the selected columns (features first), as read.

    The reader is closed when the iteration ends, fails or is abandoned (close the
    generator), so that no pyarrow thread outlives it.
    """
    bad_rows: list[_InvalidRow] = []
    reader: pa.RecordBatchReader | pa_csv.CSVStreamingReader | None = None
    pf: pq.ParquetFile | None = None
    try:
        if src.kind == "parquet":
            # a buffered stream: memory follows the batch, not the row group
            pf = parquet_file(src.path, pre_buffer=False, buffer_size=1 << 20)
            reader = pf.iter_batches(batch_size=batch_size, columns=columns)
            yield from reader
        else:
            block = min(max(1 << 16, 64 * batch_size), 1 << 26)
            options = _csv_options(src, columns, bad_rows, block, fast)
            reader = pa_csv.open_csv(src.path, **options)
            yield from reader
    except (pa.ArrowException, OSError) as e:
        raise _read_error(src, e, bad_rows) from e
    finally:
        for opened in (reader, pf):
            if opened is not None:
                opened.close()
        del reader, pf
        bad_rows.clear()
