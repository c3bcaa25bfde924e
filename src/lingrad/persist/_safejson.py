"""JSON from an untrusted file: size, depth and numbers bounded before parsing.

Before :func:`json.loads` sees the text, one linear pass (NumPy, 256 KiB at a
time, no regular expression, no recursion) finds which bytes lie outside strings:
a quote is escaped when an odd run of backslashes precedes it, and the unescaped
quotes alternate opening and closing. Outside strings it counts the values
(commas and brackets) and the nesting depth (a cumulative sum of ``[{`` minus
``]}``), so 200,000 nested brackets or a megabyte of ``\\"`` are a one-line error,
not a RecursionError or minutes of backtracking. Numbers must be finite
(``1e400``, ``NaN`` refused) and integers at most 19 digits; an object may not
repeat a key.
"""

from __future__ import annotations

import json
import math
from typing import NoReturn

import numpy as np

from lingrad.persist._safezip import Limits, fail, within

__all__ = ["parse_json"]

_QUOTE, _BACKSLASH = 34, 92
_OPEN, _CLOSE, _COMMA = (91, 123), (93, 125), 44


def _structure(data: bytes, chunk: int = 1 << 18) -> tuple[int, int]:
    """(values, deepest nesting) of JSON text, counting only what is outside strings.

    Linear in ``len(data)``; the state carried from chunk to chunk is the run of
    backslashes at its end, whether it ends inside a string, and the depth.
    """
    run = inside = level = deepest = 0
    items = 1
    for start in range(0, len(data), chunk):
        codes = np.frombuffer(data[start : start + chunk], dtype=np.uint8)
        index = np.arange(len(codes), dtype=np.int64)
        slash = codes == _BACKSLASH
        # the last non-backslash at or before each byte (-1 - run: the carried run)
        last = np.maximum.accumulate(np.where(slash, -1 - run, index))
        runs = index - last  # backslashes ending at each byte
        before = np.concatenate(([run], runs[:-1]))  # ... ending just before it
        quote = (codes == _QUOTE) & (before % 2 == 0)
        opened = (np.cumsum(quote, dtype=np.int64) + inside) % 2 == 1
        outside = ~opened & ~quote
        step = np.isin(codes, _OPEN).astype(np.int64) - np.isin(codes, _CLOSE)
        step *= outside
        levels = np.cumsum(step) + level
        deepest = max(deepest, int(levels.max()))
        level, inside, run = int(levels[-1]), int(opened[-1]), int(runs[-1])
        items += int(np.count_nonzero(step > 0)) + int(
            np.count_nonzero((codes == _COMMA) & outside)
        )
    return items, deepest


def parse_json(what: str, data: bytes, limits: Limits) -> object:
    """JSON with bounded size and depth, finite numbers, no duplicate keys."""
    within(len(data), limits.max_json_bytes, f"{what} is {len(data)} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(f"{what} is not UTF-8 text") from e
    items, depth = _structure(data)
    within(items, limits.max_json_items, f"{what} holds {items} values")
    if depth > limits.max_json_depth:
        raise fail(f"{what} nests deeper than {limits.max_json_depth} levels")

    def number(s: str) -> float:
        value = float(s)
        if not math.isfinite(value):
            raise ValueError(f"number {s[:30]} is out of range")
        return value

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > 19:
            raise ValueError(f"integer {s[:30]}... is out of range")
        return int(s)

    def constant(s: str) -> NoReturn:
        raise ValueError(f"{s} is not allowed (non-finite numbers are tagged)")

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
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
        raise fail(f"{what} is not valid ({e})") from e
