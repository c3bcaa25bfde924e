"""Values of a model file: Python objects <-> tagged JSON + ``.npy`` members.

JSON carries the structure: ``null``, booleans, integers, finite floats, strings and
lists as themselves; everything else as a one-key tagged object:

==========================================  ==========================================
``{"__float__": "nan" | "inf" | "-inf"}``     a non-finite float
``{"__tuple__": [...]}``                      a tuple
``{"__dict__": [[key, value], ...]}``         a dict (keys: str, int, float, bool, None)
``{"__np__": "<f8", "value": 1.5}``           a NumPy scalar of that dtype
``{"__dtype__": "<f8", "type": false}``       a dtype (``"type": true``: its type)
``{"__slice__": [start, stop, step]}``        a slice of integers / None
``{"__array__": "arrays/00003.npy",``         an array held in that member; ``object``:
``"dtype": "<U5", "shape": [3],``             a fixed-width unicode array read back as
``"object": true}``                           an object array of str
``{"__objects__": [...]}``                    a 1-D object array of str / numbers / None
``{"__estimator__": node}``                   an allow-listed estimator (see modelfile)
``{"__history__": {...}, "complete": b}``     a lingrad History (arrays by name)
==========================================  ==========================================

:class:`lingrad.persist.modelfile.Writer` turns values into that form;
:func:`decode` turns JSON back into values in which arrays are still
:class:`ArrayRef` placeholders (declared dtype and shape, nothing read), so that
every shape is checked before any array is allocated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias, TypeGuard

import numpy as np

from lingrad.persist._safezip import Limits, check_dtype, fail

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["IDF", "NONZERO", "NON_NEGATIVE", "OUTPUT_CONFIG", "POSITIVE", "Arr",
           "ArrayRef", "ArrayValue", "Bad", "Decoder", "Estimator", "HistoryRef",
           "Json", "Node", "Rule", "Scalar", "Template", "arr", "choice",
           "finite_arrays", "is_array_like"]  # fmt: skip

OUTPUT_CONFIG = "_sklearn_output_config"  # set by set_output(); a dict of str

_TAGS = ("__float__", "__tuple__", "__dict__", "__np__", "__dtype__", "__slice__",
         "__array__", "__objects__", "__estimator__", "__history__")  # fmt: skip
_WITH = {"__np__": ("value",), "__dtype__": ("type",), "__history__": ("complete",)}

# a scikit-learn or lingrad estimator / transformer being saved or built (each a
# BaseEstimator): scikit-learn is untyped here (so unchecked), and the rules read
# its fitted attributes by name
Estimator: TypeAlias = "BaseEstimator"
Json: TypeAlias = "None | bool | int | float | str | list[Json] | dict[str, Json]"
Scalar: TypeAlias = "None | bool | int | float | str"  # a JSON scalar, decoded


@dataclass
class ArrayRef:
    """An array declared in JSON (dtype, shape) but not read yet."""

    member: str
    dtype: np.dtype[np.generic]
    shape: tuple[int, ...]
    as_object: bool = False

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclass
class HistoryRef:
    """A History declared as arrays by name (``History.to_dict`` keys)."""

    arrays: dict[str, ArrayRef]
    complete: bool


@dataclass
class Node:
    """An estimator declared in a file: allow-listed class name, params, state."""

    name: str
    params: dict[str, object]  # decoded values (arrays as ArrayRef until built)
    state: dict[str, object]
    trainer: dict[str, object] | None = None  # a lingrad estimator's training state
    where: str = "model"
    extra: dict[str, tuple[int, int]] = field(default_factory=dict)  # fitted_shape


ArrayValue: TypeAlias = "ArrayRef | np.ndarray"  # declared (not read yet) or read


def is_array_like(value: object) -> TypeGuard[ArrayValue]:
    return isinstance(value, (ArrayRef, np.ndarray))


Dim = int | str | None  # a size; a symbol (D, C, K, H: bound by its first use); any


Bad = Callable[[np.ndarray], np.ndarray]  # the elements an array may not hold


@dataclass(frozen=True)
class Arr:
    """A declared array's rule: its dims, its dtype kinds, whether it may be absent
    or None (``True``, or the parameter that must then be False), or a scalar;
    whether it must be finite, and which elements it may not hold once built
    (``bad``: what each must be instead)."""

    dims: tuple[Dim, ...]
    kinds: str = "f"
    optional: bool | str = False
    scalar: bool = False
    finite: bool = False
    bad: tuple[Bad, str] | None = None


def arr(
    *dims: Dim,
    kinds: str = "f",
    optional: bool | str = False,
    finite: bool = False,
    bad: tuple[Bad, str] | None = None,
) -> Arr:
    return Arr(dims, kinds, optional, finite=finite, bad=bad)


POSITIVE: tuple[Bad, str] = (
    lambda a: ~np.isfinite(a) | (a <= 0), "a scale must be finite and > 0"
)  # fmt: skip
NON_NEGATIVE: tuple[Bad, str] = (
    lambda a: ~np.isfinite(a) | (a < 0), "a variance must be finite and >= 0"
)  # fmt: skip
NONZERO: tuple[Bad, str] = (
    lambda a: ~np.isfinite(a) | (a == 0), "a scale must be finite and non-zero"
)  # fmt: skip
IDF: tuple[Bad, str] = (POSITIVE[0], "an idf is finite, > 0")


Template = dict[str, "Arr | list[Arr] | range"]  # attribute -> array(s) or integer
Rule = tuple[Callable[[object], bool], str]  # a parameter: (ok, what it must be)


def finite_arrays(template: Template) -> tuple[str, ...]:
    """The attributes ``template`` declares finite."""
    return tuple(k for k, r in template.items() if isinstance(r, Arr) and r.finite)


def choice(*allowed: object, need: str = "") -> Rule:
    """A parameter that must be one of ``allowed`` (compared by type and value)."""
    ok = lambda v: any(v is a or (type(v) is type(a) and v == a) for a in allowed)  # noqa: E731
    return ok, need or f"must be one of {allowed!r}"


# ------------------------------------------------------------------- decoding


class Decoder:
    """JSON -> values with :class:`ArrayRef` placeholders; checks every member.

    ``members`` maps the zip's array members to their declared byte size; each
    must be referenced exactly once (:meth:`unreferenced` lists the rest).
    """

    def __init__(
        self, limits: Limits, members: set[str], node: Callable[[object, str], Node]
    ) -> None:
        self.limits = limits
        self._members, self._used = members, set[str]()
        self._node = node  # (json, where) -> Node, for nested estimators

    def unreferenced(self) -> list[str]:
        return sorted(self._members - self._used)

    def scalar(self, v: object, where: str) -> Scalar:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, dict) and set(v) == {"__float__"}:
            if v["__float__"] in ("nan", "inf", "-inf"):
                return float(v["__float__"])
        raise fail(where, f"holds an unexpected value {str(v)[:60]!r}")

    def shape(self, v: object, where: str) -> tuple[int, ...]:
        if not isinstance(v, list) or len(v) > self.limits.max_ndim:
            raise fail(where, "has an invalid shape")
        if not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40 for n in v
        ):
            raise fail(where, f"has an invalid shape {v}")
        return tuple(v)

    def array(self, v: Mapping[str, object], where: str) -> ArrayRef:
        member = v.get("__array__")
        if set(v) - {"__array__", "dtype", "shape", "object"} or not isinstance(
            member, str
        ):
            raise fail(where, "is a malformed array reference")
        if member not in self._members:
            raise fail(where, f"refers to a missing member {member!r}")
        if member in self._used:
            raise fail(where, f"refers to member {member!r} a second time")
        self._used.add(member)
        descr = v.get("dtype")
        if not isinstance(descr, str):
            raise fail(where, "has no dtype")
        dt = check_dtype(where, descr, self.limits)
        as_object = v.get("object", False)
        if not isinstance(as_object, bool) or (as_object and dt.kind != "U"):
            raise fail(where, "has an invalid object flag")
        return ArrayRef(member, dt, self.shape(v.get("shape"), where), as_object)

    def value(self, v: object, where: str) -> object:
        """Decode one JSON value (tags as in the module docstring)."""
        if isinstance(v, list):
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if not isinstance(v, dict):
            return self.scalar(v, where)
        tag = next(iter(v), None)
        if tag not in _TAGS:
            raise fail(where, f"holds an unknown tag {str(tag)[:40]!r}")
        body = v[tag]
        if tag == "__float__":
            return self.scalar(v, where)
        if tag == "__array__":
            return self.array(v, where)
        if tag == "__estimator__" and len(v) == 1:
            return self._node(body, where)
        need: type = dict if tag == "__history__" else str if tag in _WITH else list
        if set(v) != {tag, *_WITH.get(tag, ())} or not isinstance(body, need):
            raise fail(where, f"holds a malformed {tag} value")
        # (body is of type need: each branch names it, for mypy)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(self.value(x, f"{where}[{i}]") for i, x in enumerate(body))
        if tag == "__dict__" and isinstance(body, list):
            return self._dict(body, where)
        if tag == "__objects__" and isinstance(body, list):
            out = np.empty(len(body), dtype=object)
            out[:] = [self.scalar(x, f"{where}[{i}]") for i, x in enumerate(body)]
            return out
        if tag == "__np__" and isinstance(body, str):
            dt = check_dtype(where, body, self.limits)
            value = self.scalar(v["value"], where)
            try:
                return np.array(value, dtype=dt)[()]
            except (TypeError, ValueError, OverflowError) as e:
                raise fail(where, f"holds {value!r}, not a {dt}") from e
        if tag == "__dtype__" and isinstance(body, str):
            if body in ("|O", "O"):
                dt = np.dtype(object)
            else:
                dt = check_dtype(where, body, self.limits)
            return dt.type if v["type"] is True else dt
        if (
            tag == "__slice__"
            and isinstance(body, list)
            and len(body) == 3
            and all(e is None or type(e) is int for e in body)
        ):
            return slice(*body)
        if (
            tag == "__history__"
            and isinstance(body, dict)
            and isinstance(v["complete"], bool)
        ):
            return HistoryRef(self._history(body, where), v["complete"])
        raise fail(where, f"holds a malformed {tag} value")

    def _dict(self, body: list[object], where: str) -> dict[Scalar, object]:
        out: dict[Scalar, object] = {}
        for item in body:
            if not (isinstance(item, list) and len(item) == 2):
                raise fail(where, "holds a malformed dict")
            key = self.scalar(item[0], f"{where} key")
            if key in out:
                raise fail(where, f"holds key {key!r} twice")
            out[key] = self.value(item[1], f"{where}[{key!r}]")
        return out

    def _history(self, body: dict[str, object], where: str) -> dict[str, ArrayRef]:
        for key, ref in body.items():
            if not isinstance(ref, dict) or "__array__" not in ref:
                raise fail(f"{where}[{key!r}]", "is not an array")
        return {  # (each ref is a dict: checked above)
            k: self.array(ref, f"{where}[{k!r}]")
            for k, ref in body.items()
            if isinstance(ref, dict)
        }
