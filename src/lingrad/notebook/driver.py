"""The widget's Python side: a playground session on the learner's own data.

:class:`Driver` holds a :class:`lingrad.playground.session.Session` (the same
runs, commands, play worker and exact optimum as the page's server) whose
"upload" is the learner's arrays, and a pump thread that sends the session's
frames (:func:`lingrad.playground.frames.frame`, the page's own) to ``emit``.
It imports no widget library: :mod:`.widget` connects it to anywidget.
"""

from __future__ import annotations

import copy
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from lingrad.errors import LingradError
from lingrad.notebook.data import Table, as_table
from lingrad.notebook.specs import spec_of
from lingrad.playground import frames
from lingrad.playground.session import LIVE, Session
from lingrad.playground.settings import OPTIMIZERS, SCHEDULES, SPEEDS, SettingsError

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.models.registry import ModelSpec
    from lingrad.playground.data import Dataset
    from lingrad.playground.trace import StepPanel


class Command(TypedDict, total=False):
    """A message from the view: ``type`` and, by type, ``n`` or ``values``."""

    type: str
    n: int
    values: dict[str, object]


TRAINING = ("lr", "batch_size", "schedule", "optimizer", "solver", "penalty", "alpha")
PUMP_WAIT = 0.1  # seconds the pump waits for a change before it looks again


def settings_of(model: str | GradientEstimator, spec: ModelSpec) -> dict[str, object]:
    """The playground fields of an unfitted estimator; for a model name, the
    lecture's (``lingrad explain``'s): its rate and width, no penalty, SGD."""
    from lingrad.data.lectures import EXPLAIN, model_settings

    if isinstance(model, str):
        given = {"lr": EXPLAIN[spec.name][1], "solver": "sgd", "penalty": "none"}
        return {**given, **model_settings(spec.name)}
    p = model.get_params()
    given = {k: p[k] for k in TRAINING if k in p}
    if isinstance(p.get("random_state"), int):
        given["seed"] = p["random_state"]
    for key in ("n_hidden", "loss", "shuffle"):
        if key in p and isinstance(p[key], int | str):
            given[key] = p[key]
    if given.get("solver") not in ("sgd", "minibatch", "batch"):
        given["solver"] = "sgd"  # the widget is for watching steps
    return given


class Driver:
    """A session on ``data`` and the frames it sends to ``emit(frame_dict)``."""

    def __init__(
        self,
        model: str | GradientEstimator = "logistic",
        data: object = None,
        *,
        target: str | None = None,
        emit: Callable[[dict[str, object]], None] | None = None,
        **settings: object,
    ) -> None:
        from lingrad.data.lectures import EXPLAIN

        spec = spec_of(model)
        given: dict[str, object] = {"model": spec.name, **settings_of(model, spec)}
        given.update(settings)
        table = None if data is None else as_table(data, target)
        self._tmp = tempfile.TemporaryDirectory(prefix="lingrad-widget-")
        session = Session("notebook", Path(self._tmp.name), "linear-1d")
        if table is None:  # the lecture's data for this model
            given["data"] = EXPLAIN[spec.name][0]
        else:
            session.upload = _dataset(table)  # a Dataset: playground.data takes it
            given.update(data="upload", target=table.target)
        session.listeners = 1  # the widget watches while it lives
        try:
            session.configure(given)
        except SettingsError as e:
            session.close()
            self._tmp.cleanup()
            raise LingradError(f"Playground: {e}") from None
        self.session, self.spec = session, spec
        self.emit = emit or (lambda f: None)
        self.cursor = frames.Cursor()
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None

    # ---- what the page asks ----------------------------------------------------
    def handle(self, msg: Command) -> dict[str, str] | None:
        """Run one command from the view; the errors by field, or None."""
        s, kind = self.session, msg.get("type")
        try:
            if kind == "hello":  # a new view: everything from the start
                with s.lock:
                    self.cursor = frames.Cursor()
            elif kind == "step":
                s.step(max(1, min(int(msg.get("n", 1)), 10_000)))
            elif kind in ("play", "pause", "reset"):
                getattr(s, str(kind))()
            elif kind == "set":
                given = dict(msg.get("values", {}))
                live = {k: v for k, v in given.items() if k in LIVE}
                rest = {k: v for k, v in given.items() if k not in LIVE}
                if live:
                    s.set_live(live)
                if rest:
                    s.configure(rest)
            else:
                return {"run": f"unknown command {kind!r}"}
        except SettingsError as e:
            return dict(e.errors)
        self.push()
        return None

    def options(self) -> dict[str, list[str]]:
        """What the view's selects offer."""
        from lingrad.playground.settings import solvers

        return {
            "schedules": list(SCHEDULES),
            "optimizers": list(OPTIMIZERS),
            "speeds": list(SPEEDS),
            "solvers": [x for x in solvers(self.spec.name) if x != "normal"],
        }

    # ---- frames ----------------------------------------------------------------
    def push(self) -> None:
        """Send the next frame now, if anything changed."""
        with self.session.lock:
            f = frames.frame(self.session, self.cursor)
        if f is not None:
            self.emit(f)

    def start(self) -> None:
        """Start the pump: frames while playing (and once the optimum is solved)."""
        if self._pump is None:
            self._pump = threading.Thread(target=self._run, daemon=True)
            self._pump.start()

    def _run(self) -> None:
        s = self.session
        while not self._stop.is_set():
            with s.changed:
                s.changed.wait(PUMP_WAIT)
                s.last_seen = time.monotonic()
                f = frames.frame(s, self.cursor)
            if f is not None:
                self.emit(f)

    def close(self) -> None:
        self._stop.set()
        self.session.close()
        self._tmp.cleanup()

    # ---- results -----------------------------------------------------------------
    @property
    def estimator(self) -> GradientEstimator:
        """A copy of the estimator as trained so far (predict, score, save)."""
        with self.session.lock:
            run = self.session.run
            run.finish()
            return copy.deepcopy(run.est)

    @property
    def t(self) -> int:
        tr = self.session.run.trainer
        return 0 if tr is None else int(tr.t)

    def step_panel(self) -> StepPanel | None:
        """The last step as the step panel shows it (``lingrad explain``'s blocks)."""
        from lingrad.playground.trace import step_panel

        with self.session.lock:
            return step_panel(self.session.run)


def _dataset(table: Table) -> Dataset:
    from lingrad.playground.data import Dataset

    text = f"your data: {len(table.X)} rows, target {table.target!r}"
    return Dataset(
        table.X, table.y, table.feature_names, table.target, "your data", text, None
    )
