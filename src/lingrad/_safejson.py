"""JSON from an untrusted file: size, depth and numbers bounded before parsing.

The nesting depth is counted on the text with strings removed (one regular
expression and a cumulative sum, no recursion), so 200,000 nested brackets are a
one-line error, not a RecursionError; numbers must be finite (``1e400``, ``NaN``
refused) and integers at most 19 digits; an object may not repeat a key.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lingrad._safezip import Limits, fail

__all__ = ["parse_json"]

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _depth(structure: bytes, chunk: int = 1 << 20) -> int:
    """Deepest nesting of ``[`` / ``{`` (strings removed), a megabyte at a time."""
    deepest = level = 0
    for start in range(0, len(structure), chunk):
        codes = np.frombuffer(structure[start : start + chunk], dtype=np.uint8)
        step = np.isin(codes, (91, 123)).astype(np.int32) - np.isin(codes, (93, 125))
        levels = np.cumsum(step, dtype=np.int64) + level
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
    return deepest


def parse_json(path: Path, what: str, data: bytes, limits: Limits) -> Any:
    """JSON with bounded size and depth, finite numbers, no duplicate keys."""
    if len(data) > limits.max_json_bytes:
        raise fail(
            path, f"{what} is {len(data)} bytes (at most {limits.max_json_bytes})"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(path, f"{what} is not UTF-8 text") from e
    structure = _JSON_STRING.sub('""', text).encode("utf-8", "replace")
    items = sum(structure.count(c) for c in (b",", b"[", b"{")) + 1
    if items > limits.max_json_items:
        raise fail(
            path, f"{what} holds {items} values (at most {limits.max_json_items})"
        )
    if _depth(structure) > limits.max_json_depth:
        raise fail(path, f"{what} nests deeper than {limits.max_json_depth} levels")

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
        raise fail(path, f"{what} is not valid ({e})") from e
