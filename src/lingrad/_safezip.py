"""Reading an untrusted zip of ``.npy`` arrays and JSON within a memory budget.

Everything is checked before it is allocated: the zip's end-of-central-directory
record (member count, directory size) before :mod:`zipfile` parses the directory;
every member's flags, compression method, sizes and compression ratio before it
is inflated; every ``.npy`` header (dtype from an allow-list, shape, byte count)
before its array is created; JSON's size, nesting depth and numbers before and
while it is parsed. Each failure is a :class:`ModelFileError` naming the file,
the member and what is wrong.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from lingrad.errors import ModelFileError

__all__ = ["Limits", "SafeZip", "check_dtype", "open_zip", "parse_json"]

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[a-zA-Z]\d{0,5})', 'fortran_order': (True|False), "
    r"'shape': \(((?:\d{1,12}, ?){0,8}(?:\d{1,12})?)\), \}[ ]*\n?"
)
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_CHUNK = 1 << 20
DAMAGED = "the file is damaged or was not written by lingrad"


@dataclass(frozen=True)
class Limits:
    """What a model file may hold; anything beyond is refused before allocation.

    The defaults admit any model lingrad or scikit-learn's preprocessing would
    write for tables of up to millions of features; pass a smaller or larger
    ``Limits`` to :func:`lingrad.load` to change them.
    """

    max_members: int = 100_000  # members in the zip
    max_member_bytes: int = 2 << 30  # one array, uncompressed
    max_total_bytes: int = 4 << 30  # all members, uncompressed
    max_ratio: int = 20  # uncompressed / compressed size of a deflated member
    max_json_bytes: int = 16 << 20
    max_json_depth: int = 64
    max_str_chars: int = 1024  # fixed-width unicode arrays: <U1 ... <U1024
    max_ndim: int = 4


def _fail(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"{path}: {what}; {DAMAGED}")


def check_dtype(path: Path, where: str, descr: str, limits: Limits) -> np.dtype[Any]:
    """The dtype ``descr`` if allowed: bool, ints, float32/64, short unicode."""
    try:
        dt = np.dtype(descr)
    except (TypeError, ValueError) as e:
        raise _fail(path, f"{where} has an unknown dtype {descr!r}") from e
    ok = (
        dt.kind == "b"
        or (dt.kind in "iu" and dt.itemsize in (1, 2, 4, 8))
        or (dt.kind == "f" and dt.itemsize in (4, 8))
        or (dt.kind == "U" and 1 <= dt.itemsize // 4 <= limits.max_str_chars)
    )
    if dt.kind == "O":
        raise ModelFileError(
            f"{path}: {where} holds Python objects (dtype object), which lingrad never "
            "loads (they can run code); save the model again with lingrad"
        )
    if not ok or dt.fields is not None or dt.subdtype is not None:
        raise _fail(
            path,
            f"{where} has dtype {descr!r}; model files hold bool, integer, float32/64 "
            f"and unicode of at most {limits.max_str_chars} characters only",
        )
    return dt


def parse_json(path: Path, what: str, data: bytes, limits: Limits) -> Any:
    """JSON with bounded size and depth, finite numbers, no duplicate keys."""
    if len(data) > limits.max_json_bytes:
        raise _fail(
            path, f"{what} is {len(data)} bytes (at most {limits.max_json_bytes})"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(path, f"{what} is not UTF-8 text") from e
    structure = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    codes = np.frombuffer(structure, dtype=np.uint8)
    depth = np.cumsum(
        np.isin(codes, (91, 123)).astype(np.int64) - np.isin(codes, (93, 125))
    )
    if depth.size and int(depth.max()) > limits.max_json_depth:
        raise _fail(path, f"{what} nests deeper than {limits.max_json_depth} levels")

    def number(s: str) -> float:
        value = float(s)
        if not math.isfinite(value):
            raise ValueError(f"number {s[:30]} is out of range")
        return value

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > 19:
            raise ValueError(f"integer {s[:30]}... is out of range")
        return int(s)

    def constant(s: str) -> Any:
        raise ValueError(f"{s} is not allowed (non-finite numbers are tagged)")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            raise ValueError("an object has duplicate keys")
        return out

    try:
        return json.loads(
            text,
            parse_float=number,
            parse_int=integer,
            parse_constant=constant,
            object_pairs_hook=pairs,
        )
    except (ValueError, RecursionError) as e:
        raise _fail(path, f"{what} is not valid ({e})") from e


def _end_record(f: IO[bytes], size: int) -> tuple[int, int]:
    """(member count, central directory size) from the end records, unparsed zip."""
    tail_len = min(size, _EOCD.size + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    fields = _EOCD.unpack(tail[at : at + _EOCD.size])
    count, cd_size = fields[4], fields[5]
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or fields[6] == 0xFFFFFFFF:
        loc_at = at - _ZIP64_LOCATOR.size
        if loc_at < 0:
            raise zipfile.BadZipFile("zip64 locator missing")
        sig, _, offset, _ = _ZIP64_LOCATOR.unpack(tail[loc_at:at])
        if sig != b"PK\x06\x07" or offset + _ZIP64_EOCD.size > size:
            raise zipfile.BadZipFile("bad zip64 locator")
        f.seek(offset)
        rec = _ZIP64_EOCD.unpack(f.read(_ZIP64_EOCD.size))
        if rec[0] != b"PK\x06\x06":
            raise zipfile.BadZipFile("bad zip64 end record")
        count, cd_size = rec[7], rec[8]
    return count, cd_size


class SafeZip:
    """An untrusted zip archive opened within ``limits`` (see the module doc)."""

    _owned: IO[bytes] | None = None

    def __init__(self, path: Path, f: IO[bytes], limits: Limits) -> None:
        self.path, self.limits = path, limits
        f.seek(0, io.SEEK_END)
        size = f.tell()
        count, cd_size = _end_record(f, size)
        if count > limits.max_members:
            raise _fail(
                path, f"the zip declares {count} members (at most {limits.max_members})"
            )
        if cd_size > min(size, 1024 * (limits.max_members + 1)):
            raise _fail(path, f"the zip's directory declares {cd_size} bytes")
        f.seek(0)
        self.zf = zipfile.ZipFile(f)
        infos = self.zf.infolist()
        self.members = {i.filename: i for i in infos}
        if len(self.members) != len(infos):
            names = [i.filename for i in infos]
            dup = next(n for n in names if names.count(n) > 1)
            raise _fail(path, f"member {dup!r} appears twice in the zip")
        total = 0
        for info in infos:
            self._check_member(info, size)
            total += info.file_size
        if total > limits.max_total_bytes:
            raise _fail(
                path,
                f"the members hold {total} bytes uncompressed "
                f"(at most {limits.max_total_bytes})",
            )

    def _check_member(self, info: zipfile.ZipInfo, size: int) -> None:
        name, lim = info.filename, self.limits
        if info.flag_bits & 0x1:
            raise _fail(self.path, f"member {name!r} is encrypted")
        if info.compress_type not in _METHODS:
            raise _fail(
                self.path,
                f"member {name!r} uses compression method {info.compress_type} "
                "(only stored or deflated)",
            )
        if info.header_offset + info.compress_size > size:
            raise _fail(self.path, f"member {name!r} extends past the end of the file")
        if info.file_size > lim.max_member_bytes:
            raise _fail(
                self.path,
                f"member {name!r} holds {info.file_size} bytes "
                f"(at most {lim.max_member_bytes})",
            )
        stored = info.compress_type == zipfile.ZIP_STORED
        if stored and info.file_size != info.compress_size:
            raise _fail(self.path, f"member {name!r} has inconsistent sizes")
        if not stored and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise _fail(
                self.path,
                f"member {name!r} inflates {info.compress_size} bytes to "
                f"{info.file_size} (a ratio above {lim.max_ratio}: a zip bomb?)",
            )

    def close(self) -> None:
        self.zf.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, name: str) -> bytes:
        """A whole member (its size was checked against the limits)."""
        info = self.members[name]
        with self.zf.open(info) as f:
            data = f.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise _fail(
                self.path,
                f"member {name!r} does not hold its declared {info.file_size} bytes",
            )
        return data

    def npy_header(self, name: str) -> tuple[np.dtype[Any], tuple[int, ...], bool, int]:
        """(dtype, shape, fortran_order, header bytes) of a ``.npy`` member, checked."""
        info, lim = self.members[name], self.limits
        with self.zf.open(info) as f:
            head = f.read(12)
            if head[:6] != b"\x93NUMPY" or len(head) < 10 or head[6] not in (1, 2, 3):
                raise _fail(self.path, f"member {name!r} is not a .npy array")
            wide = head[6] > 1
            n = struct.unpack(
                "<I" if wide else "<H", head[8:12] if wide else head[8:10]
            )[0]
            start = 12 if wide else 10
            if n > 4096:
                raise _fail(self.path, f"member {name!r} has a {n}-byte .npy header")
            text = (head[start:] + f.read(n - (len(head) - start)))[:n]
        match = _NPY_HEADER.fullmatch(text.decode("latin-1"))
        if match is None:
            raise _fail(
                self.path, f"member {name!r} has a .npy header lingrad does not write"
            )
        dt = check_dtype(self.path, f"member {name!r}", match.group(1), lim)
        shape = tuple(int(s) for s in match.group(3).replace(" ", "").split(",") if s)
        if len(shape) > lim.max_ndim:
            raise _fail(self.path, f"member {name!r} has {len(shape)} dimensions")
        nbytes = dt.itemsize * math.prod(shape)
        if start + n + nbytes != info.file_size:
            raise _fail(
                self.path,
                f"member {name!r} declares shape {shape} of {dt.str} ({nbytes} "
                f"bytes) but holds {info.file_size - start - n}",
            )
        return dt, shape, match.group(2) == "True", start + n

    def read_array(self, name: str) -> np.ndarray:
        """A ``.npy`` member's array; allocated only after its header passed."""
        dt, shape, fortran, skip = self.npy_header(name)
        out = np.empty(shape, dtype=dt, order="F" if fortran else "C")
        view = memoryview(out.reshape(-1, order="A").view(np.uint8))  # type: ignore[arg-type]
        with self.zf.open(self.members[name]) as f:
            f.read(skip)
            pos = 0
            while pos < len(view):
                chunk = f.read(min(_CHUNK, len(view) - pos))
                if not chunk:
                    raise _fail(self.path, f"member {name!r} is truncated")
                view[pos : pos + len(chunk)] = chunk
                pos += len(chunk)
            if f.read(1):
                raise _fail(self.path, f"member {name!r} holds trailing bytes")
        if not dt.isnative and dt.itemsize > 1:
            out = out.astype(dt.newbyteorder("="))
        return out


def open_zip(path: Path, data: IO[bytes] | None, limits: Limits) -> SafeZip:
    """:class:`SafeZip` over ``data`` (a file object) or the file at ``path``."""
    f = data if data is not None else open(path, "rb")  # noqa: SIM115
    try:
        safe = SafeZip(path, f, limits)
    except BaseException as e:
        if data is None:
            f.close()
        if isinstance(e, ModelFileError) or not isinstance(e, _ZIP_ERRORS):
            raise
        raise ModelFileError(
            f"{path} is truncated or corrupted ({e}); save the model again"
        ) from e
    safe._owned = None if data is not None else f
    return safe


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    struct.error,
    ValueError,
    NotImplementedError,
)
