"""The data of a run: a lecture generator, a scikit-learn set, or an uploaded CSV.

Uploads are checked before they are kept: a size limit, a ``.csv`` name, UTF-8
text with a header line of at least two columns. Every problem is a
:class:`SettingsError` naming the field the page shows it beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lingrad.errors import DataError
from lingrad.models.registry import ModelSpec
from lingrad.playground.settings import Settings, SettingsError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 MiB: the page says so
MAX_UPLOAD_ROWS = 20_000
MAX_CLASSES = 20


@dataclass
class Dataset:
    """Features X (N, D) float64, target y (N,), and what the page says about them."""

    X: NDArray[np.float64]
    y: NDArray[np.generic]  # labels (any dtype) or numbers
    feature_names: list[str]
    target: str
    source: str  # "synthetic:linear-1d", "sklearn:iris", "upload:houses.csv"
    description: str
    classes: NDArray[np.generic] | None  # sorted labels (classifiers) or None
    true_W: NDArray[np.float64] | None = None  # (D, 1) where the generator drew it
    true_b: NDArray[np.float64] | None = None
    init_W: NDArray[np.float64] | None = None  # the lecture's initial values, if drawn
    init_b: NDArray[np.float64] | None = None


def check_upload(name: str, body: bytes) -> list[str]:
    """The column names of an uploaded CSV; SettingsError("upload") if it is not one."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise SettingsError(
            {
                "upload": f"{name} is {len(body) / 2**20:.1f} MiB; the playground "
                f"takes CSV files up to {MAX_UPLOAD_BYTES // 2**20} MiB "
                "(use lingrad fit for larger ones)"
            }
        )
    if not name.lower().endswith(".csv"):
        raise SettingsError(
            {"upload": f"{name} is not a .csv file; upload a CSV with a header line"}
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(
            {"upload": f"{name} is not UTF-8 text (a CSV saved as binary?)"}
        ) from None
    if "\x00" in text:
        raise SettingsError({"upload": f"{name} holds binary data, not CSV text"})
    header = text.splitlines()[0] if text.strip() else ""
    import csv

    columns = next(csv.reader([header]), []) if header else []
    columns = [c.strip() for c in columns]
    if len(columns) < 2 or not all(columns):
        raise SettingsError(
            {
                "upload": f"{name}: the first line must name at least two columns "
                "(features and the target), separated by commas"
            }
        )
    return columns


def load(settings: Settings, spec: ModelSpec, upload: Path | Dataset | None) -> Dataset:
    """The data ``settings`` name, checked against the model's task."""
    source, _, key = settings.data.partition(":")
    if source == "synthetic":
        from lingrad.data.datasets import SYNTHETIC

        d = SYNTHETIC[key](**settings.gen)
        names = [f"x{j + 1}" for j in range(d.X.shape[1])]
        data = Dataset(
            d.X, d.y, names, "y", settings.data, d.description, None,
            d.true_W, d.true_b, d.init_W, d.init_b,
        )  # fmt: skip
    elif source == "sklearn":
        from lingrad.data.datasets import load as load_builtin

        X, y, names, target, _task = load_builtin(settings.data)
        text = f"scikit-learn's {key} data set ({len(X)} rows, {X.shape[1]} features)"
        data = Dataset(X, y, list(names), target, settings.data, text, None)
    else:
        data = _uploaded(settings, upload)
    return _check_task(data, spec)


def _uploaded(settings: Settings, upload: Path | Dataset | None) -> Dataset:
    if isinstance(upload, Dataset):  # arrays given in Python (lingrad.notebook)
        return upload
    if upload is None:
        raise SettingsError({"upload": "upload a CSV file first"})
    from lingrad.data.io import read_table

    try:
        table = read_table(upload, target=settings.target)
    except DataError as e:
        raise SettingsError({"target": _without_path(str(e), upload)}) from None
    if len(table.X) > MAX_UPLOAD_ROWS:
        raise SettingsError(
            {
                "upload": f"{len(table.X)} rows; the playground takes up to "
                f"{MAX_UPLOAD_ROWS} (use lingrad fit for more)"
            }  # fmt: skip
        )
    text = f"{upload.name}: {len(table.X)} rows, target {table.target_name!r}"
    return Dataset(
        np.asarray(table.X, dtype=np.float64),
        np.asarray(table.y),
        list(table.feature_names),
        str(table.target_name),
        f"upload:{upload.name}",
        text,
        None,
    )


def _without_path(message: str, path: Path) -> str:
    return message.replace(f"{path}: ", "").replace(str(path), path.name)


def _check_task(data: Dataset, spec: ModelSpec) -> Dataset:
    """The target as the model needs it: numbers for a regressor, 2+ classes."""
    from lingrad.data.targets import as_regression_target, check_classification_target

    field = "target" if data.source.startswith("upload:") else "data"
    try:
        if spec.task == "regression":
            data.y = as_regression_target(data.y, data.source, data.target)
            return data
        data.classes = check_classification_target(data.y, data.source, data.target)
    except DataError as e:
        raise SettingsError({field: f"{e}; choose a classifier or other data"}) from e
    K = len(data.classes)
    if K > MAX_CLASSES:
        raise SettingsError(
            {
                field: f"the target has {K} different values; a classifier here takes "
                f"up to {MAX_CLASSES} classes. Is it a number to predict? Choose the "
                "linear model"
            }
        )
    if spec.task == "binary" and K > 2:
        shown = ", ".join(map(str, np.asarray(data.classes[:6]).tolist()))
        raise SettingsError(
            {
                "model": f"the {spec.summary.split(' (')[0]} separates two classes; "
                f"these data have {K} ({shown}{', ...' if K > 6 else ''}). Choose "
                "softmax, multiclass-perceptron or two-layer, or other data"
            }
        )
    return data
