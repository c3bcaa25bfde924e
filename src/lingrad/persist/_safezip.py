"""Reading an untrusted zip of ``.npy`` arrays and JSON within a memory budget.

Everything is checked before it is allocated: the zip's end-of-central-directory
records (the plain one and a zip64 one, which must agree: member count, directory
size), then the directory itself, walked entry by entry (exactly the declared
members in exactly the declared bytes), before :mod:`zipfile` parses it;
every member's flags, compression method, sizes and compression ratio before it
is inflated; every ``.npy`` header (dtype from an allow-list, shape, byte count)
before its array is created; JSON's size, nesting depth and numbers before and
while it is parsed. Each failure is a :class:`ModelFileError` naming the file,
the member and what is wrong.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from lingrad.errors import ModelFileError

__all__ = [
    "DAMAGED", "Limits", "SafeZip", "cannot_save", "check_dtype", "fail", "open_zip",
    "within",
]  # fmt: skip

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory
_EndRecord = tuple[bytes, int, int, int, int, int, int, int]  # _EOCD's fields
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # a central directory entry
_MAX_ENTRY = _CENTRAL.size + 3 * 1024  # name, extra field, comment: 1 KiB each
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[a-zA-Z]\d{0,5})', 'fortran_order': (True|False), "
    r"'shape': \(((?:\d{1,19}, ?){0,8}(?:\d{1,19})?)\), \}[ ]*\n?"
)
_CHUNK = 1 << 20
DAMAGED = "the file is damaged or was not written by lingrad"


@dataclass(frozen=True)
class Limits:
    """What a model file may hold; anything beyond is refused before allocation.

    The defaults admit any model lingrad or scikit-learn's preprocessing would
    write for tables of up to millions of features; pass a smaller or larger
    ``Limits`` to :func:`lingrad.load` to change them.
    """

    max_members: int = 20_000  # members in the zip
    max_directory_bytes: int = 8 << 20  # the zip's central directory
    max_member_bytes: int = 2 << 30  # one array, uncompressed
    max_total_bytes: int = 4 << 30  # all members, uncompressed
    max_ratio: int = 20  # uncompressed / compressed size of a deflated member
    max_json_bytes: int = 16 << 20
    max_json_depth: int = 64
    max_json_items: int = 500_000  # values in the JSON (each a Python object)
    max_str_chars: int = 1024  # fixed-width unicode arrays: <U1 ... <U1024
    max_ndim: int = 4
    max_history_bytes: int = 16 << 20  # a lingrad estimator's History, all arrays
    max_text_features: int = 1 << 24  # a text vectorizer's columns (hashing width,
    # vocabulary terms)


def fail(*words: str) -> ModelFileError:
    """A refused file: ``words`` (where, what is wrong), the path added by ``load``."""
    return ModelFileError(" ".join(words) + f"; {DAMAGED}")


def cannot_save(where: str, what: str) -> ModelFileError:
    """An object ``save`` refuses: "cannot save WHERE: WHAT"."""
    return ModelFileError(f"cannot save {where}: {what}")


def within(n: int, most: int, *words: str) -> None:
    """Refuse ``n`` over its budget ``most``: "WORDS (at most MOST)"."""
    if n > most:
        raise fail(*words, f"(at most {most})")


def check_dtype(where: str, descr: str, limits: Limits) -> np.dtype[np.generic]:
    """The dtype ``descr`` if allowed: bool, ints, float32/64, short unicode."""
    try:
        dt = np.dtype(descr)
    except (TypeError, ValueError) as e:
        raise fail(f"{where} has an unknown dtype {descr!r}") from e
    ok = (
        dt.kind == "b"
        or (dt.kind in "iu" and dt.itemsize in (1, 2, 4, 8))
        or (dt.kind == "f" and dt.itemsize in (4, 8))
        or (dt.kind == "U" and 1 <= dt.itemsize // 4 <= limits.max_str_chars)
    )
    if dt.kind == "O":
        raise ModelFileError(
            f"{where} holds Python objects (dtype object), which lingrad never "
            "loads (they can run code); save the model again with lingrad"
        )
    if not ok or dt.fields is not None or dt.subdtype is not None:
        raise fail(
            f"{where} has dtype {descr!r}; model files hold bool, integer, float32/64 "
            f"and unicode of at most {limits.max_str_chars} characters only"
        )
    return dt


_SIG_EOCD, _SIG_LOCATOR, _SIG_ZIP64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"


@dataclass(frozen=True)
class _Directory:
    """Where the central directory is and what it holds, as :mod:`zipfile` reads it."""

    count: int  # members
    size: int  # bytes
    start: int  # offset in the file


def _plain_end(f: IO[bytes], size: int) -> tuple[int, _EndRecord]:
    """(offset, fields) of the end record :mod:`zipfile` uses: the last 22 bytes if
    they are one without a comment, else the last signature in the final 64 KiB."""
    if size < _EOCD.size:
        raise zipfile.BadZipFile("no end of central directory")
    f.seek(size - _EOCD.size)
    last = f.read(_EOCD.size)
    if last[:4] == _SIG_EOCD and last[-2:] == b"\0\0":
        return size - _EOCD.size, _EOCD.unpack(last)
    low = max(size - (1 << 16) - _EOCD.size, 0)
    f.seek(low)
    tail = f.read()
    at = tail.rfind(_SIG_EOCD)
    if at < 0 or at + _EOCD.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    return low + at, _EOCD.unpack(tail[at : at + _EOCD.size])


def _end_records(f: IO[bytes], size: int) -> _Directory:
    """The directory the end record declares, and the zip64 end record if one
    precedes it (:mod:`zipfile` then trusts the zip64 one): the two must agree
    wherever the plain record is not saturated (0xFFFF, 0xFFFFFFFF)."""
    at, (_, disk, cd_disk, n_disk, count, cd_size, _, _) = _plain_end(f, size)
    start = at - cd_size
    if at >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size:
        f.seek(at - _ZIP64_LOCATOR.size)
        loc = _ZIP64_LOCATOR.unpack(f.read(_ZIP64_LOCATOR.size))
        f.seek(at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size)
        rec = _ZIP64_EOCD.unpack(f.read(_ZIP64_EOCD.size))
        if loc[0] == _SIG_LOCATOR and rec[0] == _SIG_ZIP64:
            plain = (disk, cd_disk, n_disk, count, cd_size)
            wide = (rec[4], rec[5], rec[6], rec[7], rec[8])
            for p, w, full in zip(
                plain, wide, (0xFFFF,) * 4 + (0xFFFFFFFF,), strict=True
            ):
                if p != full and p != w:
                    raise fail(
                        f"the zip's end records disagree ({count} members in "
                        f"{cd_size} bytes, zip64: {rec[7]} in {rec[8]})"
                    )
            disk, cd_disk, n_disk, count, cd_size = wide
            start = at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size - cd_size
    if disk != 0 or cd_disk != 0 or n_disk != count:
        raise fail("the zip spans several disks")
    if start < 0:
        raise fail(f"the zip's directory declares {cd_size} bytes")
    return _Directory(count, cd_size, start)


def _scan_directory(f: IO[bytes], d: _Directory) -> None:
    """Walk the directory's entries (a megabyte at a time): exactly ``d.count`` of
    them in exactly ``d.size`` bytes, else refused before :mod:`zipfile` parses it."""
    f.seek(d.start)
    buf, pos, done, n = b"", 0, 0, 0

    def have(k: int) -> bool:
        nonlocal buf, pos
        held = len(buf) - pos
        if held < k:
            buf = buf[pos:] + f.read(min(max(k, _CHUNK), d.size - done - held))
            pos = 0
        return len(buf) >= k

    while done < d.size:
        if n == d.count:
            break
        if not have(_CENTRAL.size):
            break
        head = _CENTRAL.unpack_from(buf, pos)
        length = _CENTRAL.size + head[12] + head[13] + head[14]
        if head[0] != b"PK\x01\x02" or length > _MAX_ENTRY or not have(length):
            raise fail(f"the zip's directory entry {n + 1} is malformed")
        pos, done, n = pos + length, done + length, n + 1
    if n != d.count or done != d.size:
        raise fail(
            f"the zip's end record declares {d.count} members in {d.size} bytes but "
            "its directory holds more, or less"
        )


class SafeZip:
    """An untrusted zip archive opened within ``limits`` (see the module doc)."""

    _owned: IO[bytes] | None = None

    def __init__(self, f: IO[bytes], limits: Limits) -> None:
        self.limits = limits
        f.seek(0, io.SEEK_END)
        size = f.tell()
        d = _end_records(f, size)
        within(d.count, limits.max_members, f"the zip declares {d.count} members")
        cap = min(limits.max_directory_bytes, d.count * _MAX_ENTRY)
        within(
            d.size,
            cap,
            f"the zip's end record declares {d.count} members in {d.size} "
            "directory bytes",
        )
        _scan_directory(f, d)
        f.seek(0)
        self.zf = zipfile.ZipFile(f)
        infos = self.zf.infolist()
        if len(infos) != d.count:  # zipfile read what was scanned; never otherwise
            raise fail(f"the zip's directory does not hold {d.count} members")
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename in self.members:
                raise fail(f"member {info.filename!r} appears twice in the zip")
            self.members[info.filename] = info
        total = 0
        for info in infos:
            self._check_member(info, size)
            total += info.file_size
        within(total, limits.max_total_bytes, f"the members hold {total} bytes")

    def _check_member(self, info: zipfile.ZipInfo, size: int) -> None:
        name, lim = info.filename, self.limits
        if info.flag_bits & 0x1:
            raise fail(f"member {name!r} is encrypted")
        if info.compress_type not in _METHODS:
            raise fail(
                f"member {name!r} uses compression method {info.compress_type} "
                "(only stored or deflated)"
            )
        if info.header_offset + info.compress_size > size:
            raise fail(f"member {name!r} extends past the end of the file")
        got = info.file_size
        within(got, lim.max_member_bytes, f"member {name!r} holds {got} bytes")
        stored = info.compress_type == zipfile.ZIP_STORED
        if stored and info.file_size != info.compress_size:
            raise fail(f"member {name!r} has inconsistent sizes")
        if not stored and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise fail(
                f"member {name!r} inflates {info.compress_size} bytes to "
                f"{info.file_size} (a ratio above {lim.max_ratio}: a zip bomb?)"
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
            raise fail(
                f"member {name!r} does not hold its declared {info.file_size} bytes"
            )
        return data

    def npy_header(
        self, name: str
    ) -> tuple[np.dtype[np.generic], tuple[int, ...], bool, int]:
        """(dtype, shape, fortran_order, header bytes) of a ``.npy`` member, checked."""
        info, lim = self.members[name], self.limits
        with self.zf.open(info) as f:
            head = f.read(12)
            if head[:6] != b"\x93NUMPY" or len(head) < 10 or head[6] not in (1, 2, 3):
                raise fail(f"member {name!r} is not a .npy array")
            wide = head[6] > 1
            n = struct.unpack(
                "<I" if wide else "<H", head[8:12] if wide else head[8:10]
            )[0]
            start = 12 if wide else 10
            if n > 4096:
                raise fail(f"member {name!r} has a {n}-byte .npy header")
            text = (head[start:] + f.read(n - (len(head) - start)))[:n]
        match = _NPY_HEADER.fullmatch(text.decode("latin-1"))
        if match is None:
            raise fail(f"member {name!r} has a .npy header lingrad does not write")
        dt = check_dtype(f"member {name!r}", match.group(1), lim)
        shape = tuple(int(s) for s in match.group(3).replace(" ", "").split(",") if s)
        if len(shape) > lim.max_ndim:
            raise fail(f"member {name!r} has {len(shape)} dimensions")
        nbytes = dt.itemsize * math.prod(shape)
        if start + n + nbytes != info.file_size:
            raise fail(
                f"member {name!r} declares shape {shape} of {dt.str} ({nbytes} "
                f"bytes) but holds {info.file_size - start - n}"
            )
        return dt, shape, match.group(2) == "True", start + n

    def read_array(self, name: str) -> np.ndarray:
        """A ``.npy`` member's array; allocated only after its header passed."""
        dt, shape, fortran, skip = self.npy_header(name)
        out = np.empty(shape, dtype=dt, order="F" if fortran else "C")
        view = out.reshape(-1, order="A").view(np.uint8).data  # its bytes, writable
        with self.zf.open(self.members[name]) as f:
            f.read(skip)
            pos = 0
            while pos < len(view):
                chunk = f.read(min(_CHUNK, len(view) - pos))
                if not chunk:
                    raise fail(f"member {name!r} is truncated")
                view[pos : pos + len(chunk)] = chunk
                pos += len(chunk)
            if f.read(1):
                raise fail(f"member {name!r} holds trailing bytes")
        if not dt.isnative and dt.itemsize > 1:
            out = out.astype(dt.newbyteorder("="))
        return out


def open_zip(path: Path, data: IO[bytes] | None, limits: Limits) -> SafeZip:
    """:class:`SafeZip` over ``data`` (a file object) or the file at ``path``."""
    f = data if data is not None else open(path, "rb")  # noqa: SIM115
    try:
        safe = SafeZip(f, limits)
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
