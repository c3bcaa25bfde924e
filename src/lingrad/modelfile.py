"""Safe model files (zip of meta.json + arrays.npz; nothing is executed on load).

A ``model.lingrad`` file is one stored (uncompressed) zip archive holding

- ``meta.json``: format_version, lingrad_version, the estimator's class name (looked
  up in an explicit registry, never imported by name), its hyperparameters,
  ``n_features_in_``, ``feature_names_in_``, ``classes_`` (values and dtype), and
  the name, dtype and shape of every array;
- ``arrays.npz``: the fitted numeric arrays (``coef_``, ``intercept_``, ...; a list
  of arrays such as ``coefs_`` is stored as ``coefs___0``, ``coefs___1``, ...),
  read back with ``allow_pickle=False``.

``history_`` is never stored (the CLI saves it separately). The state <-> file
conversion is in :mod:`lingrad._modelstate`; the atomic writes, in
:mod:`lingrad.atomic` (re-exported here).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lingrad import __version__
from lingrad._modelstate import encode, restore_state, split_state
from lingrad.atomic import (  # re-exported: output files
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    ensure_writable_dir,
)
from lingrad.errors import ModelFileError

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
_MAX_META_BYTES = 16 << 20


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
    params = {k: encode(v, k) for k, v in model.get_params(deep=False).items()}
    arrays, state = split_state(model)
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
        params, attrs = restore_state(meta, arrays)
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
