"""What every demo shares: the registry entry, the run context and small helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from lingrad.core.chain import Chain
from lingrad.core.losses import Loss
from lingrad.core.nodes import Array
from lingrad.core.penalties import Penalty
from lingrad.data.datasets import Synthetic
from lingrad.notebook.display import DemoDisplay
from lingrad.plot.style import FigureLike, root_figure, save
from lingrad.report.values import jsonable
from lingrad.training.optim import Seed
from lingrad.training.schedules import Schedule
from lingrad.training.train import Trainer

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Demo:
    """A registered lecture experiment: ``func(run) -> DemoOutput``."""

    name: str
    summary: str  # one line, shown by ``lingrad demo --list``
    lecture: str  # the seed note and section it rebuilds
    func: Callable[[DemoRun], DemoOutput]


@dataclass
class DemoOutput:
    """What a demo hands back to :func:`lingrad.demos.run` for metrics and report.

    ``metrics`` are the final numbers (loss, accuracy / R², ...); ``parameters`` the
    learned values, ``truth`` the generating ones (where known); ``comparison`` the
    check against references, ``{row: {column: value}}``, and ``compared_with``
    names them for the report's heading ("the closed form (normal equation) and the
    lecture's listing"), saying why where there is no exact answer.
    """

    title: str
    model: str
    equation: str
    data: Mapping[str, object]
    hyperparams: Mapping[str, object]
    metrics: Mapping[str, object]
    parameters: Mapping[str, object] = field(default_factory=dict)
    truth: Mapping[str, object] | None = None
    comparison: Mapping[str, object] | None = None
    compared_with: str = ""
    notes: str = ""


@dataclass
class DemoResult(DemoDisplay):
    """Where a demo run wrote its files, and its final metrics.

    ``metrics`` is the flat ``"metrics"`` section of ``metrics.json`` (which also holds
    parameters, truth, comparison and hyperparameters). ``figures`` maps each PNG's
    file name to its live matplotlib Figure (for tests that check what was drawn).
    """

    name: str
    out_dir: Path
    report: Path
    files: list[Path]
    metrics: dict[str, object]
    figures: dict[str, Figure] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)  # GIF name -> frame count


class DemoRun:
    """The context a demo works in: output folder, size switch, saved files."""

    def __init__(
        self,
        name: str,
        out_dir: Path,
        quick: bool,
        progress: Progress,
        corrected: bool = False,
    ):
        self.name, self.out_dir, self.quick = name, out_dir, quick
        self.corrected = corrected  # run the corrected form of a listing's quirk
        self._progress = progress
        self.figure_paths: list[Path] = []
        self.animation_paths: list[Path] = []
        self.figures: dict[str, Figure] = {}
        self.frames: dict[str, int] = {}
        self.captions: dict[str, str] = {}

    def stage(self, text: str) -> None:
        """Tell the caller's progress callback what the demo is doing now."""
        self._progress(f"{self.name}: {text}")

    def pick(self, full: T, quick: T) -> T:
        """The lecture's value, or the small one of a quick run."""
        return quick if self.quick else full

    def save(self, fig: FigureLike, filename: str, caption: str = "") -> Path:
        """Write a figure as PNG into the output folder and keep it for the report."""
        path = self.out_dir / filename
        self.captions[filename] = caption
        save(fig, path)
        self.figure_paths.append(path)
        self.figures[filename] = root_figure(fig)
        return path

    def animate(
        self, filename: str, caption: str, write: Callable[[Path], int]
    ) -> Path:
        """Write a GIF with ``write(path) -> n_frames`` and keep it for the report."""
        self.stage(f"animating {filename}")
        path = self.out_dir / filename
        self.captions[filename] = caption
        self.frames[filename] = int(write(path))
        self.animation_paths.append(path)
        return path


def train(
    chain: Chain,
    loss: Loss,
    X: Array,
    y: Array,
    *,
    lr: float,
    epochs: int,
    batch_size: int | None = 1,
    shuffle: bool = False,
    random_state: Seed = None,
    snapshot_every: int | None = 1,
    penalty: Penalty | None = None,
    n_correct: Callable[[Array, Array], int] | None = None,
    schedule: str | Schedule = "constant",
) -> Trainer:
    """The lectures' loop for ``epochs`` epochs exactly (no tolerance stop)."""
    trainer = Trainer(
        chain,
        loss,
        penalty=penalty,
        lr=lr,
        schedule=schedule,
        batch_size=batch_size,
        shuffle=shuffle,
        random_state=random_state,
        snapshot_every=snapshot_every,
    )
    trainer.fit(X, y, max_iter=epochs, tol=None, n_correct=n_correct)
    return trainer


def hits_binary(pred: ArrayLike, y: ArrayLike) -> int:
    """Correct predictions of a probability output: [pred > 0.5] == y."""
    return int(np.sum((np.asarray(pred) > 0.5).ravel() == np.asarray(y).ravel()))


def values(a: ArrayLike) -> list[float]:
    """An array as a flat list of floats."""
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def floats(a: ArrayLike) -> float | list[float]:
    """An array as a float (size 1) or a flat list of floats."""
    v = values(a)
    return v[0] if len(v) == 1 else v


def compare(
    rows: Mapping[str, Mapping[str, float]], a: str, b: str
) -> dict[str, dict[str, float]]:
    """Add an ``|a − b|`` column to a comparison grid (rows of scalars)."""
    out: dict[str, dict[str, float]] = {}
    for name, row in rows.items():
        out[name] = dict(row)
        out[name][f"|{a} − {b}|"] = abs(float(row[a]) - float(row[b]))
    return out


def metrics_document(name: str, quick: bool, out: DemoOutput, files: list[str]) -> str:
    """The text of ``metrics.json``."""
    doc = {
        "demo": name,
        "title": out.title,
        "quick": quick,
        "metrics": out.metrics,
        "parameters": out.parameters,
        "truth": out.truth,
        "comparison": out.comparison,
        "compared with": out.compared_with,
        "hyperparams": out.hyperparams,
        "data": out.data,
        "files": files,
    }
    return json.dumps(jsonable(doc), indent=2, allow_nan=False) + "\n"


def _known(value: Array | None, what: str, data: Synthetic) -> Array:
    if value is None:
        raise ValueError(f"the data set {data.name!r} has no {what}")
    return value


def lecture_W(data: Synthetic) -> Array:
    """The lecture's initial W of a generator that has one."""
    return _known(data.init_W, "initial W", data)


def lecture_b(data: Synthetic) -> Array:
    """The lecture's initial b of a generator that has one."""
    return _known(data.init_b, "initial b", data)


def true_W(data: Synthetic) -> Array:
    """The W the generator drew the data from."""
    return _known(data.true_W, "true W", data)


def true_b(data: Synthetic) -> Array:
    """The b the generator drew the data from."""
    return _known(data.true_b, "true b", data)
