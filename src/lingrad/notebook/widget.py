"""``lingrad.Playground``: the playground as a notebook widget (anywidget).

The view is one ES module: the playground page's own chart and panels
(``playground/static/chart.js``, ``panels.js``) and :file:`static/widget.js`,
which lays out the controls and draws the frames the :class:`.driver.Driver`
sends, the same frames the page's server streams. No server of lingrad's own:
the messages go through the notebook's kernel connection.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, cast

import anywidget
import traitlets

from lingrad.errors import LingradError
from lingrad.notebook.driver import Command, Driver
from lingrad.playground.frames import to_json

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator


def _esm() -> str:
    page = files("lingrad.playground") / "static"
    own = files("lingrad.notebook") / "static"
    parts = [page / "chart.js", page / "panels.js", own / "widget.js"]
    return "\n".join(p.read_text(encoding="utf-8") for p in parts)


def _css() -> str:
    return (files("lingrad.notebook") / "static" / "widget.css").read_text("utf-8")


class Playground(anywidget.AnyWidget):
    """Train a model step by step in the notebook: ``Playground(model, data)``.

    ``model``: a name (``"logistic"``, ``"linear"``, ``"softmax"``, ...) or an
    unfitted lingrad estimator (its lr, solver, schedule, optimizer, batch size,
    penalty and seed); ``data``: an ``(X, y)`` pair, or a DataFrame with
    ``target=`` (None: the lecture's data). Keyword settings (``lr=0.1``,
    ``shuffle=True``, ...) override. Play, Pause, Step, Step ×10, Reset, and lr,
    batch size, schedule, optimizer change in the view; the step panel writes
    the last step as ``lingrad explain`` does. ``estimator_`` is the estimator
    as trained so far.
    """

    _esm = traitlets.Unicode(_esm()).tag(sync=True)
    _css = traitlets.Unicode(_css()).tag(sync=True)
    options = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        model: str | GradientEstimator = "logistic",
        data: object = None,
        *,
        target: str | None = None,
        **settings: object,
    ) -> None:
        driver = Driver(model, data, target=target, emit=self._emit, **settings)
        super().__init__()
        self.driver = driver
        self.options = driver.options()
        self.on_msg(self._on_msg)
        driver.start()

    def _emit(self, frame: dict[str, object]) -> None:
        self.send({"type": "frame", "frame": to_json(frame)})

    def _on_msg(self, widget: object, content: object, buffers: object) -> None:
        if not isinstance(content, dict):
            return
        errors = self.driver.handle(cast(Command, content))  # the view's JSON
        if errors:
            self.send({"type": "errors", "errors": errors})

    # ---- the same commands from Python ----------------------------------------
    def _command(self, msg: Command) -> None:
        errors = self.driver.handle(msg)
        if errors:
            raise LingradError(
                "Playground: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
            )

    def step(self, n: int = 1) -> None:
        """n steps now (the view follows)."""
        self._command({"type": "step", "n": n})

    def play(self) -> None:
        self._command({"type": "play"})

    def pause(self) -> None:
        self._command({"type": "pause"})

    def reset(self) -> None:
        self._command({"type": "reset"})

    def set(self, **values: object) -> None:
        """Change lr or batch_size (the run goes on) or schedule, optimizer,
        solver (a new run from step 0)."""
        self._command({"type": "set", "values": values})

    @property
    def t(self) -> int:
        """Steps taken."""
        return self.driver.t

    @property
    def estimator_(self) -> GradientEstimator:
        """The estimator as trained so far: predict, score, ``lingrad.save``."""
        return self.driver.estimator

    def close(self) -> None:
        driver = self.__dict__.get("driver")
        if driver is not None:
            driver.close()
        super().close()
