"""Safe model files: a fitted lingrad estimator or scikit-learn Pipeline, as data.

``save(obj, path, meta=None)`` writes a zip (every member stored, fixed
timestamps: the same model gives the same bytes) of ``model.json`` (``format``
"lingrad-model", ``format_version`` 2, the lingrad / scikit-learn / NumPy versions,
the caller's JSON ``meta`` and ``model``: a tree of nodes ``{"class", "params",
"state"}``, lingrad estimators adding ``"trainer"``) and one ``arrays/NNNNN.npy``
per array. ``load(path)`` executes nothing from the file: allow-listed classes
only, every byte checked before it is allocated (:mod:`lingrad.persist._loader`).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from lingrad import __version__
from lingrad.errors import ModelFileError
from lingrad.persist._allowlist import ALLOWED, spec_of
from lingrad.persist._estimators import state_of, trainer_state
from lingrad.persist._loader import Loader, check_finite
from lingrad.persist._safejson import parse_json
from lingrad.persist._safezip import Limits, SafeZip, cannot_save, check_dtype, open_zip
from lingrad.persist._values import OUTPUT_CONFIG, Estimator, Json
from lingrad.persist.atomic import (  # re-exported: output files
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    ensure_writable_dir,
)

__all__ = [
    "FORMAT_VERSION",
    "Limits",
    "allowed_classes",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "ensure_writable_dir",
    "load",
    "read_meta",
    "save",
]

FORMAT_VERSION = 2
HISTORY_MAX_BYTES = 8 << 20  # a larger History is stored as its per-epoch summary
META_MAX_BYTES = 1 << 20
_DOC = "model.json"
_SCALAR_KINDS, _TAG_DTYPE_KINDS = "biufU", "biufUO"  # NumPy scalars, dtypes stored
_HISTORY = "lingrad.training.history.History"
_PER_STEP = (  # emptied in a long History's summary (final/: the fitted parameters)
    "step_", "params/", "final/", "grad_norm", "accumulated_accuracy", "snapshot_step",
)  # fmt: skip


def allowed_classes() -> tuple[str, ...]:
    """The class names a model file may hold."""
    return tuple(sorted(ALLOWED))


# ---------------------------------------------------------------------- save


class Writer:
    """The model's tree -> tagged JSON (:mod:`lingrad.persist._values`); its arrays
    collected in :attr:`arrays` as members."""

    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray]] = []

    def array(self, a: np.ndarray, where: str) -> dict[str, Json]:
        as_object = a.dtype.kind == "O"
        if as_object:
            strings = a.ndim == 1 and all(isinstance(v, str) for v in a)
            if not strings or max(map(len, a), default=1) > Limits().max_str_chars:
                if a.ndim != 1:
                    raise cannot_save(where, f"a {a.ndim}-d object array")
                return {"__objects__": [self.scalar(v, where) for v in a.tolist()]}
            a = a.astype(str) if len(a) else np.empty(0, dtype="<U1")
        try:
            check_dtype("the array", a.dtype.str, Limits())
        except ModelFileError as e:
            raise cannot_save(
                where, f"arrays of dtype {a.dtype} are not supported (model files "
                "hold bool, integer, float32/64 and short strings)",
            ) from e  # fmt: skip
        member = f"arrays/{len(self.arrays):05d}.npy"
        self.arrays.append((member, a))
        tag: dict[str, Json] = {
            "__array__": member, "dtype": a.dtype.str, "shape": list(a.shape)
        }  # fmt: skip
        return {**tag, "object": True} if as_object else tag

    def scalar(self, v: object, where: str) -> Json:
        if isinstance(v, np.generic) and v.dtype.kind in _SCALAR_KINDS:
            v = v.item()
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int) and abs(v) < 2**63:
            return v
        if isinstance(v, int):
            raise cannot_save(where, f"integer {v} is too large")
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__float__": str(v)}
        raise cannot_save(
            f"{where} = {v!r}", "model files hold numbers, strings, booleans, None, "
            "arrays, and lists / tuples / dicts of these",
        )  # fmt: skip

    def value(self, v: object, where: str) -> Json:
        """A supported value as JSON (recursively; tags as in :mod:`_values`)."""
        if isinstance(v, np.ndarray):
            return self.array(v, where)
        if isinstance(v, np.generic):
            if v.dtype.kind not in _SCALAR_KINDS:
                raise cannot_save(where, f"a {v.dtype} scalar")
            return {"__np__": v.dtype.str, "value": self.scalar(v.item(), where)}
        if isinstance(v, np.dtype) or (
            isinstance(v, type) and issubclass(v, np.generic)
        ):
            if (dt := np.dtype(v)).kind not in _TAG_DTYPE_KINDS:
                raise cannot_save(where, f"dtype {dt}")
            return {"__dtype__": dt.str, "type": isinstance(v, type)}
        if isinstance(v, (list, tuple)):
            items = [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
            return items if isinstance(v, list) else {"__tuple__": items}
        if isinstance(v, dict):
            pairs = [[self.scalar(k, f"{where} key"), x] for k, x in v.items()]
            return {
                "__dict__": [[k, self.value(x, f"{where}[{k!r}]")] for k, x in pairs]
            }
        if isinstance(v, slice):
            ends = [v.start, v.stop, v.step]
            if not all(e is None or isinstance(e, int) for e in ends):
                raise cannot_save(where, f"slice {v!r}")
            return {"__slice__": ends}
        if f"{type(v).__module__}.{type(v).__name__}" == _HISTORY:
            raise cannot_save(where, "a History outside history_")
        if hasattr(v, "get_params"):
            return {"__estimator__": self.node(v, where)}
        return self.scalar(v, where)

    def node(self, obj: Estimator, where: str) -> dict[str, Json]:
        name, spec = type(obj).__name__, spec_of(obj)
        if spec is None:
            raise cannot_save(
                where, f"{name} is not allowed in model files (allowed: "
                f"{', '.join(allowed_classes())})",
            )  # fmt: skip
        params = obj.get_params(deep=False)
        if spec.extra_attrs:
            state = state_of(obj)
            if "coef_" not in state and "coefs_" not in state:
                raise cannot_save(
                    where, f"{name} is not fitted (it has no parameters: its last "
                    "fit diverged or stopped before it ended); fit it again, e.g. "
                    "with a smaller lr",
                )  # fmt: skip
        else:
            keep = spec.keep_private(obj)  # else the loader derives them again
            private = spec.private if keep else frozenset({OUTPUT_CONFIG})
            fitted = {k: v for k, v in vars(obj).items() if k not in params}
            state = {k: v for k, v in fitted.items() if k in spec.attrs | private}
            if unknown := sorted(
                set(fitted) - spec.attrs - spec.private - spec.dropped
            ):
                raise cannot_save(
                    where, f"{name} holds {unknown[0]!r}, which model files do not "
                    "store (a newer scikit-learn, or an option lingrad does not "
                    "support)",
                )  # fmt: skip
            if spec.to_file is not None:
                state = spec.to_file(obj, where, state)
        for key, v in params.items():
            need = spec.problem(name, key, v)
            if need is not None:
                raise cannot_save(f"{where}.{key} = {repr(v)[:60]}", need)
        check_finite(
            spec.finite, state, f"cannot save {where}: ",
            "training diverged? refit, e.g. with a smaller lr",
        )  # fmt: skip
        out: dict[str, Json] = {
            "class": name,
            "params": {k: self.value(v, f"{where}.{k}") for k, v in params.items()},
            "state": {
                k: (self.history if k == "history_" else self.value)(v, f"{where}.{k}")
                for k, v in state.items()
            },
        }
        if spec.extra_attrs:
            out["trainer"] = trainer_state(obj, self, f"{where}.trainer")
        return out

    def history(self, h: object, where: str) -> dict[str, Json] | None:
        from lingrad.training.history import History

        if not isinstance(h, History):
            raise cannot_save(where, f"it is a {type(h).__name__}, not a History")
        d = {k: np.asarray(a) for k, a in h.to_dict().items()}
        complete = sum(a.nbytes for a in d.values()) <= HISTORY_MAX_BYTES
        if not complete:
            d = {k: _no_steps(k, a) for k, a in d.items()}
            if sum(a.nbytes for a in d.values()) > Limits().max_history_bytes:
                return None  # even its per-epoch summary is over the load limit
        arrays: dict[str, Json] = {
            k: self.array(a, f"{where}[{k!r}]") for k, a in d.items()
        }
        return {"__history__": arrays, "complete": complete}


def _no_steps(key: str, a: np.ndarray) -> np.ndarray:
    """A per-step record emptied (the summary of a long History), else as is."""
    return a[:0] if a.ndim and key.startswith(_PER_STEP) else a


def _check_meta(meta: object) -> dict[str, object]:
    if meta is None:
        return {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta):
        raise ModelFileError("cannot save: meta must be a dict with string keys")
    try:
        text = json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ModelFileError(
            "cannot save: meta must hold JSON values (str, finite numbers, bool, "
            f"None, lists, dicts): {e}"
        ) from e
    if len(text) > META_MAX_BYTES:
        raise ModelFileError(f"cannot save: meta is over {META_MAX_BYTES} bytes")
    checked: dict[str, object] = json.loads(text)  # a dict: checked above
    return checked


def save(
    obj: Estimator,
    path: str | os.PathLike[str],
    *,
    meta: Mapping[str, object] | None = None,
) -> None:
    """Save a fitted estimator or Pipeline to ``path`` (a ``.lingrad`` zip), atomically.

    ``obj``: a lingrad estimator, or a scikit-learn ``Pipeline`` of allowed steps
    (see :func:`allowed_classes`). ``meta``: JSON facts to keep beside the model
    (returned by :func:`read_meta`). Raises :class:`ModelFileError` for an
    unfitted or unsupported object and leaves no partial file.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    name = type(obj).__name__
    if spec_of(obj) is None:
        raise ModelFileError(
            f"cannot save {name}: not a lingrad estimator or an allowed scikit-learn "
            f"Pipeline (allowed: {', '.join(allowed_classes())})"
        )
    try:
        check_is_fitted(obj)
    except (NotFittedError, TypeError) as e:
        raise ModelFileError(
            f"cannot save {name}: it is not fitted; fit it first"
        ) from e
    doc_meta = _check_meta(meta)
    writer = Writer()
    root = writer.node(obj, "model")
    import sklearn

    doc = {
        "format": "lingrad-model",
        "format_version": FORMAT_VERSION,
        "lingrad_version": __version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "meta": doc_meta,
        "model": root,
    }
    text = json.dumps(doc, indent=1, allow_nan=False).encode()
    with atomic_open(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_info(_DOC), text)
        for member, a in writer.arrays:
            big = a.nbytes > (1 << 31)
            with zf.open(_info(member), "w", force_zip64=big) as w:
                np.lib.format.write_array(w, a, allow_pickle=False)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    return info


# ---------------------------------------------------------------------- load


def _not_a_model(p: Path) -> ModelFileError:
    with open(p, "rb") as f:
        head = f.read(8)
    if not head:
        return ModelFileError(f"{p} is empty (0 bytes); save the model again")
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"cc"):
        return ModelFileError(
            f"{p} looks like a Python pickle; lingrad never unpickles (it can run "
            "arbitrary code): refit the model and save it with lingrad"
        )
    if head[:4] == b"PK\x03\x04":
        return ModelFileError(f"{p} is truncated or corrupted; save the model again")
    return ModelFileError(f"{p} is not a lingrad model file (not a zip archive)")


def _read_doc(p: Path, z: SafeZip) -> dict[str, object]:
    name = _DOC if _DOC in z.members else "meta.json"
    if name not in z.members:
        raise ModelFileError(f"{p}: not a lingrad model file (no {_DOC})")
    doc = parse_json(name, z.read(name), z.limits)
    if not isinstance(doc, dict):
        raise ModelFileError(f"{p}: not a lingrad model file ({name} is not an object)")
    version = doc.get("format_version")
    if doc.get("format") != "lingrad-model" or not isinstance(version, int):
        raise ModelFileError(f"{p}: not a lingrad model file (bad {name})")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{p} was written by lingrad {doc.get('lingrad_version')} in model file "
            f"format {version}; this lingrad {__version__} reads formats 1 to "
            f"{FORMAT_VERSION}: upgrade lingrad (pip install -U lingrad)"
        )
    if version < 1 or (version == 1) != (name == "meta.json"):
        raise ModelFileError(f"{p}: invalid format_version {version}")
    return doc


def read_meta(
    path: str | os.PathLike[str], *, limits: Limits | None = None
) -> dict[str, object]:
    """The ``meta`` dict saved with a model (``{}`` for none, or format 1 files);
    reads ``model.json`` only: no arrays, no estimator classes."""
    with _reading(path, limits) as (p, z):
        meta = _read_doc(p, z).get("meta", {})
    if not isinstance(meta, dict):
        raise ModelFileError(f"{p}: meta is not an object")
    return meta


def load(path: str | os.PathLike[str], *, limits: Limits | None = None) -> Estimator:
    """Load a model saved by :func:`save`; executes nothing from the file.

    Raises :class:`ModelFileError` for a missing, truncated, tampered, oversized or
    foreign file, a class outside the allow-list, state that breaks its class's
    shape rules, or a file from a newer lingrad. ``limits`` bounds what the file
    may make lingrad allocate (:class:`Limits`).
    """
    with _reading(path, limits) as (p, z):
        doc = _read_doc(p, z)
        if doc["format_version"] == 1:
            from lingrad.persist._modelfile_v1 import load_v1

            return load_v1(p, z, doc, Loader)
        loader = Loader(p, z, set(z.members) - {_DOC})
        return loader.finish(loader.declare(doc.get("model"), "model"))


@contextmanager
def _reading(
    path: str | os.PathLike[str], limits: Limits | None
) -> Iterator[tuple[Path, SafeZip]]:
    """The file opened as a :class:`SafeZip`; every refusal names the file, once."""
    p = Path(path)
    if not p.is_file():
        what = "is a folder" if p.is_dir() else "not found"
        raise ModelFileError(f"model file {p} {what}; check the path")
    if not zipfile.is_zipfile(p):
        raise _not_a_model(p)
    try:
        with open_zip(p, None, limits or Limits()) as z:
            yield p, z
    except ModelFileError as e:
        if str(p) in str(e):
            raise
        raise ModelFileError(f"{p}: {e}") from e
    except _DAMAGED as e:  # a corrupted member (CRC, deflate stream), or a case
        # the rules did not foresee: still one line, never a traceback
        raise ModelFileError(
            f"{p}: damaged model file ({type(e).__name__}: {e}); save it again"
        ) from e


_DAMAGED = (
    zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, IndexError,
    AttributeError, TypeError, ValueError, OverflowError, RecursionError,
)  # fmt: skip
