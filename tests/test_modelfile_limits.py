"""Hostile model files that cost time or memory before they are refused (issue 17):
each is refused with one ModelFileError line, within a CPU bound far above the
linear cost (a quadratic scan exceeds it) and within 50 MB of peak memory (a
subprocess measures both); the JSON pre-scan counts what is outside strings."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lingrad.errors import ModelFileError
from lingrad.models import LinearRegression
from lingrad.persist._safejson import parse_json
from lingrad.persist.modelfile import Limits, load, save

MB = 1 << 20
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # central directory entry
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")


def raw_zip(
    names: list[bytes],
    *,
    declared: int | None = None,
    zip64_count: int | None = None,
    data: bytes = b"",
    local: bool = True,
) -> bytes:
    """A zip of empty stored members ``names`` (the first holds ``data``), written
    byte by byte; ``declared``: the member count its plain end record claims;
    ``zip64_count``: add zip64 end records that claim this many members (both
    records give the directory's true size); ``local=False``: no member bodies,
    only the directory (what is parsed before any member is read)."""
    bodies, central = [], []
    offset = 0
    for i, name in enumerate(names):
        body = data if i == 0 else b""
        crc = zlib.crc32(body)
        head = _LOCAL.pack(
            b"PK\x03\x04", 20, 0, 0, 0, 0, 0, crc, len(body), len(body), len(name), 0
        )
        fields = (
            b"PK\x01\x02", 20, 0, 20, 0, 0, 0, 0, 0, crc, len(body), len(body),
            len(name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central.append(_CENTRAL.pack(*fields) + name)
        if local:
            bodies.append(head + name + body)
            offset += len(head) + len(name) + len(body)
    directory = b"".join(central)
    count = len(names) if declared is None else declared
    tail = b""
    if zip64_count is not None:
        at = offset + len(directory)
        tail = _ZIP64_EOCD.pack(
            b"PK\x06\x06", 44, 45, 45, 0, 0, zip64_count, zip64_count,
            len(directory), offset,
        ) + _ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, at, 1)  # fmt: skip
    end = _EOCD.pack(
        b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), len(directory),
        offset, 0,
    )  # fmt: skip
    return b"".join(bodies) + directory + tail + end


def many_names(n: int) -> list[bytes]:
    return [f"arrays/{i:07d}.npy".encode() for i in range(n)]


def short_names(n: int) -> list[bytes]:
    """``n`` distinct 3-byte names: a large directory in a small file."""
    return [i.to_bytes(3, "big") for i in range(n)]


def model_doc() -> bytes:
    model = {"class": "LinearRegression", "params": {}, "state": {}}
    doc = {"format": "lingrad-model", "format_version": 2, "model": model}
    return json.dumps(doc).encode()


def history_bomb(path: Path, nbytes: int) -> Path:
    """A small model whose History's step_loss holds ``nbytes`` (deflated about 4x,
    inside the ratio limit): the history, not the parameters, is what is large."""
    X = np.arange(12.0).reshape(6, 2)
    source = path.with_suffix(".source")
    save(LinearRegression(solver="batch", max_iter=3, tol=None).fit(X, X[:, 0]), source)
    with zipfile.ZipFile(source) as zf:
        doc = json.loads(zf.read("model.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "model.json"}
    ref = doc["model"]["state"]["history_"]["__history__"]["step_loss"]
    n = nbytes // 8
    values = np.random.default_rng(0).integers(0, 1 << 16, n).astype(np.float64)
    head = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}"
    head += " " * (63 - len(head) % 64) + "\n"
    members[ref["__array__"]] = (
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode()
    ) + values.tobytes()
    ref["shape"] = [n]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.json", json.dumps(doc))
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def long_history(path: Path) -> Path:
    """A legitimate model whose complete History (snapshots) is about 7.5 MB."""
    X = np.random.default_rng(1).normal(size=(8, 1000)) / 30
    model = LinearRegression(solver="batch", max_iter=900, tol=None, snapshot_every=1)
    save(model.fit(X, X[:, 0]), path)
    return path


# ------------------------------------------------------------ the JSON pre-scan


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b'["[[[[", "{{{{"]', 1),
        (b'["a\\"[[[[", "b\\\\", [["c"]]]', 3),
        (b'{"k\\\\\\"[": [{"v": "]]]]"}]}', 3),
        (b'["\\u005b\\\\\\\\", [[]]]', 3),
    ],
    ids=["brackets-in-strings", "escaped-quote", "escaped-backslash", "even-escapes"],
)
def test_brackets_inside_strings_do_not_count_as_depth(text: bytes, depth: int) -> None:
    exact, shallower = Limits(max_json_depth=depth), Limits(max_json_depth=depth - 1)
    assert parse_json("model.json", text, exact) == json.loads(text)
    with pytest.raises(ModelFileError, match=f"nests deeper than {depth - 1} levels"):
        parse_json("model.json", text, shallower)


@pytest.mark.parametrize("escapes", [1, 2, 3])
def test_an_escape_across_the_scan_s_chunk_boundary(escapes: int) -> None:
    """Backslashes end one 256 KiB chunk, their quote starts the next: an odd run
    escapes it (the string goes on over the brackets), an even one does not."""
    boundary = 1 << 18
    head = b'["' + b"a" * (boundary - 2 - escapes) + b"\\" * escapes + b'"'
    assert head.index(b'"', 2) == boundary
    text = head + (b'[[[[", [[1]]]' if escapes % 2 else b', "[[[[", [[1]]]')
    value = parse_json("model.json", text, Limits(max_json_depth=3))
    assert value == json.loads(text)
    with pytest.raises(ModelFileError, match="nests deeper than 2"):
        parse_json("model.json", text, Limits(max_json_depth=2))


def test_commas_inside_strings_do_not_count_as_values() -> None:
    text = json.dumps(["," * 1000, "[{" * 1000]).encode()
    value = parse_json("model.json", text, Limits(max_json_items=3))
    assert value == ["," * 1000, "[{" * 1000]
    with pytest.raises(ModelFileError, match=r"holds 3 values \(at most 2\)"):
        parse_json("model.json", text, Limits(max_json_items=2))


def test_an_unterminated_string_of_escaped_quotes_is_refused() -> None:
    text = b'"' + b'\\"' * 1000
    with pytest.raises(ModelFileError, match="model.json is not valid"):
        parse_json("model.json", text, Limits())


# ------------------------------------------------------ the zip's end records


def test_the_directory_must_hold_what_the_end_record_declares(tmp_path: Path) -> None:
    path = tmp_path / "more.lingrad"
    path.write_bytes(raw_zip([b"model.json", *many_names(40)], declared=5))
    with pytest.raises(ModelFileError, match="declares 5 members") as info:
        load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_zip64_end_records_must_agree_with_the_plain_one(tmp_path: Path) -> None:
    path = tmp_path / "zip64.lingrad"
    names = [b"model.json", *many_names(40)]
    path.write_bytes(raw_zip(names, declared=5, zip64_count=41))
    with pytest.raises(ModelFileError, match="end records disagree"):
        load(path)
    path.write_bytes(raw_zip(names, zip64_count=41, data=model_doc()))
    with pytest.raises(ModelFileError, match="model.n_features_in_ is missing"):
        load(path)  # agreeing records: the directory and model.json are read


def test_a_repeated_member_name_is_named(tmp_path: Path) -> None:
    path = tmp_path / "dup.lingrad"
    names = [b"model.json", *many_names(50), b"arrays/0000007.npy"]
    path.write_bytes(raw_zip(names, data=model_doc()))
    with pytest.raises(ModelFileError, match="'arrays/0000007.npy' appears twice"):
        load(path)


def test_a_history_larger_than_its_budget_is_refused_before_reading(
    tmp_path: Path,
) -> None:
    path = history_bomb(tmp_path / "h.lingrad", 2 * MB)
    with pytest.raises(ModelFileError, match=r"history_ .*\(at most 1048576\)"):
        load(path, limits=Limits(max_history_bytes=MB))


# ------------------------------------------------------- time and peak memory

MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time, tracemalloc
    import lingrad
    from lingrad.errors import ModelFileError

    cpu_s = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s) + 120, resource.RLIM_INFINITY))
    lingrad.load(sys.argv[1])  # every import the loader needs, first

    def peak():  # VmHWM, reset before each file (clear_refs 5)
        with open("/proc/self/status") as f:
            return 1024 * int(next(l for l in f if l.startswith("VmHWM")).split()[1])

    out = {}
    for path in sys.argv[1:]:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base, cpu = peak(), time.process_time()
        tracemalloc.start()
        try:
            lingrad.load(path)
            message = None
        except ModelFileError as e:
            message = str(e)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[path] = {"message": message, "rss": peak() - base, "traced": traced,
                     "cpu": time.process_time() - cpu}
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("limits")
    files: dict[str, Path] = {}
    n = Limits().max_members
    quotes = folder / "quotes.lingrad"
    with zipfile.ZipFile(quotes, "w") as zf:
        zf.writestr("model.json", b'"' + b'\\"' * 1_000_000)
    files["escaped-quotes"] = quotes
    for name, content in {
        "duplicate-among-many": raw_zip(
            [b"model.json", *many_names(n - 2), b"arrays/0000000.npy"],
            data=model_doc(),
        ),
        "directory-beyond-its-count": raw_zip(
            short_names(300_000), declared=5, local=False
        ),
        "zip64-count-unlike-the-plain": raw_zip(
            short_names(300_000), declared=5, zip64_count=300_000, local=False
        ),
    }.items():
        (folder / f"{name}.lingrad").write_bytes(content)
        files[name] = folder / f"{name}.lingrad"
    files["history-of-32-MiB"] = history_bomb(folder / "history.lingrad", 32 * MB)
    legit = long_history(folder / "legit.lingrad")
    paths = [str(legit), *map(str, files.values())]
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    return {"legit": (legit, out[str(legit)])} | {
        k: (p, out[str(p)]) for k, p in files.items()
    }


HOSTILE = {
    "escaped-quotes": "model.json is not valid",
    "duplicate-among-many": "appears twice",
    "directory-beyond-its-count": "declares 5 members",
    "zip64-count-unlike-the-plain": "end records disagree",
    "history-of-32-MiB": "history_",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_in_bounded_time_and_memory(
    measured: dict[str, Any], case: str
) -> None:
    path, got = measured[case]
    message = got["message"]
    assert message is not None, (case, got)
    assert str(path) in message and "\n" not in message and HOSTILE[case] in message
    assert got["rss"] < 50 * MB, (case, got)
    assert got["cpu"] < 10, (case, got)  # a quadratic scan takes minutes here


def test_a_long_history_is_read_once_not_copied(measured: dict[str, Any]) -> None:
    path, got = measured["legit"]
    assert got["message"] is None, got
    with zipfile.ZipFile(path) as zf:  # what the arrays hold: the History, mostly
        arrays = sum(i.file_size for i in zf.infolist() if i.filename != "model.json")
    assert arrays > 7_000_000
    assert got["traced"] < 1.5 * arrays, (got, arrays)
