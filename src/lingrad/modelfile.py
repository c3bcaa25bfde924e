"""Safe model files (zip of meta.json + arrays.npz; nothing is executed on load) and
atomic writes of output files.

A ``model.lingrad`` file is one stored (uncompressed) zip archive holding

- ``meta.json``: format_version, lingrad_version, the estimator's class name (looked
  up in an explicit registry, never imported by name), its hyperparameters,
  ``n_features_in_``, ``feature_names_in_``, ``classes_`` (values and dtype), and
  the name, dtype and shape of every array;
- ``arrays.npz``: the fitted numeric arrays (``coef_``, ``intercept_``, ...; a list
  of arrays such as ``coefs_`` is stored as ``coefs___0``, ``coefs___1``, ...),
  read back with ``allow_pickle=False``.

``history_`` is never stored (the CLI saves it separately).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from lingrad import __version__
from lingrad.errors import LingradError, ModelFileError

__all__ = [
    "FORMAT_VERSION",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "ensure_writable_dir",
    "load",
    "model_classes",
    "register_model",
    "save",
]

FORMAT_VERSION = 1
_MODELS = (  # the estimators of lingrad.models that may be saved and loaded
    "LinearRegression",
    "LogisticRegression",
    "BipolarSigmoidClassifier",
    "Perceptron",
    "MulticlassPerceptron",
    "SoftmaxRegression",
    "TwoLayerNetwork",
    "ResidualNetwork",
    "Standardized",
)
_REGISTERED: dict[str, type] = {}
_META_ATTRS = ("classes_", "feature_names_in_", "n_features_in_", "history_")
_MAX_META_BYTES = 16 << 20
_DIAGNOSTICS = ("loss_curve_", "validation_scores_")  # exempt from finiteness
_DTYPE_KINDS = "biuf"  # bool, int, uint, float: the only array kinds stored


def register_model(cls: type) -> type:
    """Allow estimator class ``cls`` in model files (usable as a decorator)."""
    _REGISTERED[cls.__name__] = cls
    return cls


def model_classes() -> dict[str, type]:
    """Estimator classes that model files may name: lingrad.models' and registered."""
    models: Any = None
    try:
        import lingrad.models as models
    except ModuleNotFoundError as e:  # lingrad.models itself absent, not its deps
        if e.name not in ("lingrad.models", "lingrad"):
            raise
    found = {n: getattr(models, n) for n in _MODELS if hasattr(models, n)}
    return {**found, **_REGISTERED}


# ---------------------------------------------------------------- output files


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create folder ``path`` if needed; raise :class:`LingradError` if it cannot be
    written (it is a file, or permissions forbid it)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise LingradError(f"{p} is a file, not a folder; give a folder for output")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LingradError(
            f"cannot create output folder {p} ({e.strerror}); choose another folder"
        ) from e
    if not os.access(p, os.W_OK | os.X_OK):
        raise LingradError(
            f"output folder {p} is not writable; choose another folder or fix its "
            "permissions"
        )
    return p


@contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing, atomically: a temp file in the same folder,
    fsync, ``os.replace``. On any error no partial file remains and an old file at
    ``path`` is left as it was."""
    p = Path(path)
    folder = ensure_writable_dir(p.parent)
    if p.is_dir():
        raise LingradError(f"{p} is a folder; give a file name to write")
    umask = os.umask(0)
    os.umask(umask)
    mode = p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise LingradError(f"cannot write {p} ({e.strerror or e})") from e
        raise
    with suppress(OSError):  # make the rename durable; not possible everywhere
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_open`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ----------------------------------------------------------------- JSON values


def _encode(value: Any, what: str) -> Any:
    """A hyperparameter as JSON; tuples, dicts and non-finite floats tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else {"__float__": str(value)}
    if isinstance(value, list):
        return [_encode(v, what) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, what) for v in value]}
    if isinstance(value, dict):
        return {
            "__dict__": [[_encode(k, what), _encode(v, what)] for k, v in value.items()]
        }
    raise ModelFileError(
        f"cannot save {what} = {value!r}: model files hold numbers, strings, "
        "booleans, None, and lists / tuples / dicts of these"
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v) for v in value["__tuple__"])
    if set(value) == {"__float__"} and value["__float__"] in ("nan", "inf", "-inf"):
        return float(value["__float__"])
    if set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = [_decode(kv) for kv in value["__dict__"]]
        if all(isinstance(kv, list) and len(kv) == 2 for kv in pairs):
            return {_hashable(k): v for k, v in pairs}
    raise ValueError(f"unexpected value {value!r}")


def _hashable(key: Any) -> Any:
    hash(key)
    return key


def _scalar(value: Any) -> tuple[bool, Any]:
    """(True, JSON value) for a finite number / str / bool / None or a flat list of
    them, else (False, None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        items = [_scalar(v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if isinstance(value, float):
        return math.isfinite(value), value
    return value is None or isinstance(value, (bool, int, str)), value


# ------------------------------------------------------------------- save/load


def _finite(key: str, a: np.ndarray) -> bool:
    """Parameters must be finite; diagnostics such as loss_curve_ may hold NaN."""
    return key in _DIAGNOSTICS or a.dtype.kind != "f" or bool(np.isfinite(a).all())


def _numeric(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in _DTYPE_KINDS


def _split_state(model: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Fitted state -> (arrays for the npz, meta entries)."""
    name = type(model).__name__
    state = {k: v for k, v in vars(model).items() if k.endswith("_") and k[0] != "_"}
    if not state:
        raise ModelFileError(f"cannot save {name}: it is not fitted; fit it first")
    arrays: dict[str, np.ndarray] = {}
    lists: dict[str, int] = {}
    scalars: dict[str, Any] = {}
    skipped: list[str] = []
    for key, value in sorted(state.items()):
        if key in _META_ATTRS:
            continue
        if _numeric(value):
            arrays[key] = value
        elif isinstance(value, (list, tuple)) and value and all(map(_numeric, value)):
            arrays.update({f"{key}__{i}": a for i, a in enumerate(value)})
            lists[key] = len(value)
        elif (found := _scalar(value))[0]:
            scalars[key] = found[1]
        else:
            skipped.append(key)
    for key, a in arrays.items():
        if not _finite(key, a):
            raise ModelFileError(
                f"cannot save {name}: {key} holds NaN or infinite values (training "
                "diverged?); refit, e.g. with a smaller lr"
            )
    meta: dict[str, Any] = {
        "arrays": {
            k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()
        },
        "array_lists": lists,
        "scalars": scalars,
        "skipped": skipped,
        "n_features_in": _scalar(getattr(model, "n_features_in_", None))[1],
        "feature_names_in": None,
        "classes": None,
    }
    if (names := getattr(model, "feature_names_in_", None)) is not None:
        meta["feature_names_in"] = [str(n) for n in names]
    if (classes := getattr(model, "classes_", None)) is not None:
        classes = np.asarray(classes)
        ok, values = _scalar(list(classes.ravel()))
        if not ok or classes.dtype.kind not in "biufUO" or classes.ndim != 1:
            raise ModelFileError(
                f"cannot save {name}: classes_ {classes!r} unsupported"
            )
        meta["classes"] = {"values": values, "dtype": classes.dtype.str}
    return arrays, meta


def save(model: Any, path: str | os.PathLike[str]) -> None:
    """Save a fitted estimator to ``path`` (a ``.lingrad`` zip), atomically."""
    cls = type(model)
    name = cls.__name__
    known = model_classes()
    if known.get(name) is not cls:
        raise ModelFileError(
            f"cannot save {name}: not a lingrad estimator (known: {', '.join(known)}); "
            "register it with lingrad.modelfile.register_model"
        )
    params = {k: _encode(v, k) for k, v in model.get_params(deep=False).items()}
    arrays, state = _split_state(model)
    meta = {
        "format": "lingrad-model",
        "format_version": FORMAT_VERSION,
        "lingrad_version": __version__,
        "estimator": name,
        "params": params,
        **state,
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy stub quirk
    with atomic_open(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        for member, data in (
            ("meta.json", json.dumps(meta, indent=1, allow_nan=False).encode()),
            ("arrays.npz", buffer.getvalue()),
        ):
            zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), data)


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


def load(path: str | os.PathLike[str]) -> Any:
    """Load an estimator saved by :func:`save`; executes nothing from the file.

    Raises :class:`ModelFileError` for a missing, truncated, tampered or foreign file,
    an unknown estimator class, or a file from a newer lingrad.
    """
    p = Path(path)
    if not p.is_file():
        what = "is a folder" if p.is_dir() else "not found"
        raise ModelFileError(f"model file {p} {what}; check the path")
    if not zipfile.is_zipfile(p):
        raise _not_a_model(p)
    try:
        with zipfile.ZipFile(p) as zf:
            members = {i.filename: i for i in zf.infolist()}
            if not {"meta.json", "arrays.npz"} <= set(members):
                raise ModelFileError(f"{p}: not a lingrad model file (no meta.json)")
            if members["meta.json"].file_size > _MAX_META_BYTES:
                raise ModelFileError(f"{p}: meta.json is implausibly large")
            meta = json.loads(zf.read("meta.json"))
            if not isinstance(meta, dict):
                raise ValueError("meta.json is not an object")
            _check_version(p, meta)
            arrays = _read_npz(p, zf.read("arrays.npz"))
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as e:
        raise ModelFileError(f"{p}: damaged model file ({e}); save it again") from e
    return _restore(p, meta, arrays)


def _read_npz(p: Path, data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ModelFileError(
            f"{p}: arrays.npz is damaged or holds Python objects, which lingrad never "
            "loads (they can run code); save the model again with lingrad"
        ) from e


def _check_version(p: Path, meta: dict[str, Any]) -> None:
    version = meta.get("format_version")
    if meta.get("format") != "lingrad-model" or not isinstance(version, int):
        raise ModelFileError(f"{p}: not a lingrad model file (bad meta.json)")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{p} was written by lingrad {meta.get('lingrad_version')} in model file "
            f"format {version}; this lingrad {__version__} reads format "
            f"{FORMAT_VERSION}: upgrade lingrad (pip install -U lingrad)"
        )
    if version < 1:
        raise ModelFileError(f"{p}: invalid format_version {version}")


def _restore(p: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    name = meta.get("estimator")
    known = model_classes()
    if name not in known:
        raise ModelFileError(
            f"{p}: unknown estimator class {name!r} (known: {', '.join(known)}); "
            f"it was saved by lingrad {meta.get('lingrad_version')}"
        )
    try:
        spec, lists = meta["arrays"], meta["array_lists"]
        if set(arrays) != set(spec):
            raise ValueError("arrays.npz does not match meta.json")
        for key, a in arrays.items():
            if a.dtype.kind not in _DTYPE_KINDS or a.dtype.str != spec[key]["dtype"]:
                raise ValueError(f"array {key} has dtype {a.dtype}")
            if list(a.shape) != spec[key]["shape"]:
                raise ValueError(f"array {key} has shape {a.shape}")
            if not _finite(key, a):
                raise ValueError(f"array {key} holds NaN or infinite values")
        attrs: dict[str, Any] = {k: v for k, v in arrays.items() if k.endswith("_")}
        for key, count in lists.items():
            attrs[key] = [arrays[f"{key}__{i}"] for i in range(count)]
        if set(meta["scalars"]) & set(attrs):
            raise ValueError("scalars and arrays share a name")
        attrs.update(meta["scalars"])
        if meta["n_features_in"] is not None:
            attrs["n_features_in_"] = int(meta["n_features_in"])
        if (names := meta["feature_names_in"]) is not None:
            if not all(isinstance(n, str) for n in names):
                raise ValueError("feature_names_in holds non-strings")
            attrs["feature_names_in_"] = np.array(names, dtype=object)
        if (classes := meta["classes"]) is not None:
            attrs["classes_"] = _classes(classes["values"], classes["dtype"])
        for key in attrs:
            if not (key.isidentifier() and key.endswith("_") and key[0] != "_"):
                raise ValueError(f"bad attribute name {key!r}")
        params = {k: _decode(v) for k, v in meta["params"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModelFileError(f"{p}: damaged model file ({e}); save it again") from e
    try:
        model = known[name](**params)
    except TypeError as e:
        raise ModelFileError(
            f"{p}: the saved hyperparameters do not fit {name} ({e}); was it saved "
            "by another lingrad version?"
        ) from e
    for key, value in attrs.items():
        setattr(model, key, value)
    return model


def _classes(values: list[Any], dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    flat = all(_scalar(v)[0] and not isinstance(v, (list, type(None))) for v in values)
    if dt.kind not in "biufUO" or not flat:
        raise ValueError(f"bad classes {values!r} of dtype {dtype}")
    if dt.kind == "O":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.array(values, dtype=dt)
