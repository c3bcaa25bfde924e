"""Frames: what one server-sent event tells the page, only what changed.

A :class:`Cursor` per connection remembers what it sent. Each frame carries the
steps since the last one (decimated to at most ``MAX_STEP_POINTS`` when training
outruns the display), new epochs and trajectory points, the parameters and the
status; the heavier panels (the fit, the metrics, the step panel) come at most
``HEAVY_EVERY`` seconds apart while playing, and at once when paused.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, fields

import numpy as np

from lingrad.playground import panels
from lingrad.playground.session import Session
from lingrad.playground.settings import PRESETS

MAX_STEP_POINTS = 200  # step losses per frame
HEAVY_EVERY = 0.25  # seconds between fit / step panels while playing


@dataclass
class Cursor:
    """What this connection has sent of the session's current run."""

    version: int = -1
    t: int = -1  # steps sent: global step index of the last one
    epochs: int = 0
    trajectory: int = 0
    heavy_t: int = -2  # the step the heavy panels were made at
    heavy_time: float = 0.0
    optimum: bool = False
    status: dict[str, object] | None = None  # the status sent last

    def restart(self, version: int) -> None:
        """Nothing sent yet of run ``version``: every other field at its default."""
        for f in fields(self):
            setattr(self, f.name, f.default)
        self.version = version


def frame(session: Session, cursor: Cursor) -> dict[str, object] | None:
    """The next frame for ``cursor`` (None: nothing new). Call under the lock."""
    run, out = session.run, dict[str, object]()
    if cursor.version != session.version:
        cursor.restart(session.version)
        out["reset"] = _header(session)
    tr = run.trainer
    t = 0 if tr is None else int(tr.t)
    steps = _steps(session, cursor, t)
    if steps:
        out["steps"] = steps
    epochs = _epochs(session, cursor)
    if epochs:
        out["epochs"] = epochs
    if len(session.trajectory) < cursor.trajectory:
        cursor.trajectory = 0  # halved: send it again
        out["trajectory_reset"] = True
    if len(session.trajectory) > cursor.trajectory:
        new = session.trajectory[cursor.trajectory :]
        cursor.trajectory = len(session.trajectory)
        out["trajectory"] = {"t": [p[0] for p in new], "values": [p[1] for p in new]}
    if run.optimum is not None and not cursor.optimum:
        cursor.optimum = True
        out["optimum"] = {"how": run.optimum.how, "J": run.optimum.J}
    now = time.monotonic()
    due = not session.playing or now - cursor.heavy_time >= HEAVY_EVERY
    fitted_changed = cursor.heavy_t != _fit_stamp(session, t)
    if due and (fitted_changed or "reset" in out or "optimum" in out):
        cursor.heavy_t, cursor.heavy_time = _fit_stamp(session, t), now
        out.update(_heavy(session))
    status = _status(session, t)
    if not out and status == cursor.status:
        return None
    cursor.status = out["status"] = status
    return out


def _fit_stamp(session: Session, t: int) -> int:
    return t if session.run.iterative else int(session.run.fitted)


def _header(session: Session) -> dict[str, object]:
    from lingrad.plot.rules import loss_label, step_kind, step_words

    run = session.run
    words = step_words(step_kind(run.settings.solver))
    return {
        "step_axis": words.axis,
        "step_curve": words.curve,
        "loss_label": loss_label(run.est.training_problem().loss.name),
        "settings": session.summary(),
        "model": f"{run.spec.name}: {run.spec.summary}",
        "equation": run.spec.equation,
        "data": run.data.description,
        "rows": len(run.X),
        "features": run.X.shape[1],
        "init": run.init_note,
        "preset_text": PRESETS.get(session.preset, ("", {}))[0],
        "metric": "accuracy" if run.spec.is_classifier else "R²",
        "lecture_init": run.data.init_W is not None and not run.settings.scale,
        "param_names": panels.params_panel(run).get("names", []),
    }


def _steps(session: Session, cursor: Cursor, t: int) -> dict[str, object] | None:
    """Step losses since the cursor (decimated), with their lr."""
    tr = session.run.trainer
    if tr is None:
        return _solver_steps(session, cursor)
    h = tr.history
    index = np.asarray(h.step_index)  # global step of each kept record (sorted)
    k = int(np.searchsorted(index, cursor.t, side="right"))
    if k == len(index):
        cursor.t = t - 1
        return None
    idx, J, lr = index[k:], np.asarray(h.step_loss)[k:], np.asarray(h.step_lr)[k:]
    ts, Js = panels.decimate(idx, J, MAX_STEP_POINTS)
    cursor.t = t - 1
    return {"t": ts, "J": Js, "lr": float(lr[-1]), "decimated": len(idx) > len(ts)}


def _solver_steps(session: Session, cursor: Cursor) -> dict[str, object] | None:
    """An exact solver's iterations (L-BFGS records J per iteration)."""
    h = getattr(session.run.est, "history_", None)
    if h is None or cursor.t >= 0 or not h.n_steps:
        return None
    cursor.t = h.n_steps - 1
    return {"t": list(range(h.n_steps)), "J": panels._round(h.step_loss), "lr": None}


def _epochs(session: Session, cursor: Cursor) -> dict[str, object] | None:
    tr = session.run.trainer
    if tr is None or tr.history.n_epochs <= cursor.epochs:
        return None
    h, k = tr.history, cursor.epochs
    cursor.epochs = h.n_epochs
    return {
        "end": np.asarray(h.epoch_end_step[k:]).tolist(),
        "J": panels._round(h.epoch_loss[k:]),
        "accuracy": panels._round(h.epoch_accuracy[k:]),
    }


def _heavy(session: Session) -> dict[str, object]:
    from lingrad.playground.trace import step_panel

    run = session.run
    params = panels.params_panel(run)
    out: dict[str, object] = {
        "fit": panels.fit_panel(run),
        "params": params,
        "metrics": panels.metrics(run),
    }
    if run.optimum is not None:
        params["optimum_how"] = run.optimum.how
    out["step_panel"] = step_panel(run) if run.iterative else {"text": run.init_note}
    return out


def _status(session: Session, t: int) -> dict[str, object]:
    run = session.run
    tr = run.trainer
    if run.stepper is not None:  # iterative: the trainer is the stepper's
        last = run.stepper.last
        J = None if last is None else float(last.J)
    else:  # an exact solver: its last iteration's J
        h = getattr(run.est, "history_", None)
        J = float(h.step_loss[-1]) if h is not None and h.n_steps else None
    lr = float(tr.schedule(tr.t)) if tr is not None else None
    return {
        "t": t,
        "epoch": 0 if tr is None else int(tr.epoch),
        "J": J,
        "lr": lr,
        "batch": None if tr is None else tr.batcher.size(len(run.X)),
        "playing": session.playing,
        "solving": session.solving,
        "message": session.message,
        "events": [{"t": s, "text": x} for s, x in session.events],
    }


def to_json(doc: object) -> str:
    """``doc`` as JSON, NaN and infinities as null (JSON has neither)."""
    return json.dumps(_finite(doc), allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
