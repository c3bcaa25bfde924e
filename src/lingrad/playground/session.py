"""One browser tab's training: its run, the commands, and a worker that plays.

Every command takes the session's lock, so a step never runs while a frame is
read. Play starts a background thread that runs steps at the chosen speed (or
as fast as it can, a time slice at a time) until Pause, a divergence or the end
of the session. Frames for the page are made by :mod:`.frames`.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lingrad.playground import run as runs
from lingrad.playground.data import Dataset
from lingrad.playground.settings import (
    ITERATIVE,
    Settings,
    SettingsError,
    parse,
    preset,
)
from lingrad.training.train import DivergenceError

LIVE = ("lr", "batch_size", "speed")  # may change while playing, the run continues
UNWATCHED = 20.0  # seconds without an open page before a playing session pauses
MAX_TRAJECTORY = 2000


class _Background:
    """One daemon thread for the slow exact computations, one job at a time, so
    that flipping through models never piles up solvers on the CPU."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[Callable[..., None], tuple[object, ...]]] = (
            queue.Queue()
        )
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._loop, name="playground-exact", daemon=True
                )
                self.thread.start()
        self.jobs.put((fn, args))

    def _loop(self) -> None:
        while True:
            fn, args = self.jobs.get()
            fn(*args)  # each job reports its own errors to its session


BACKGROUND = _Background()


class Session:
    """A tab's run; ``version`` grows with each new run (the page starts over)."""

    def __init__(self, sid: str, upload_dir: Path, preset_name: str) -> None:
        self.id = sid
        self.upload_dir = upload_dir
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.preset = preset_name
        self.custom = False  # settings changed since the preset
        self.settings: Settings = preset(preset_name)
        self.upload: Path | Dataset | None = None  # a Dataset: the notebook's
        self.playing = False
        self.solving = False  # an exact solver is running in the background
        self.message: dict[str, str] = {}  # the run's note (divergence, ...)
        self.version = 0
        self.trajectory: list[tuple[int, list[float | None]]] = []
        self.events: list[tuple[int, str]] = []  # (step, "lr 0.01 -> 0.05")
        self.last_seen = time.monotonic()
        self.listeners = 0  # pages receiving this session's frames
        self.closed = False
        self._worker: threading.Thread | None = None
        self.run: runs.Run = runs.build(self.settings, None)
        self._started()

    # ---- commands (each under the lock) -------------------------------------
    def configure(self, given: dict[str, object]) -> None:
        """New settings: a new run from step 0 (SettingsError names bad fields)."""
        with self.lock:
            if "preset" in given:
                name = str(given["preset"])
                try:
                    settings = preset(name)
                except KeyError:
                    raise SettingsError(
                        {"preset": f"unknown preset {name!r}"}
                    ) from None
                self.preset, self.custom = name, False
            else:
                settings = parse(given, self.settings)
                self.custom = True
            run = runs.build(settings, self.upload)
            self.pause()
            self.settings, self.run = settings, run
            self._started()

    def reset(self) -> None:
        """The same settings from step 0 (the same seed: the same start)."""
        with self.lock:
            self.pause()
            self.run = runs.build(self.settings, self.upload)
            self._started()

    def set_live(self, given: dict[str, object]) -> None:
        """lr, batch size or speed, kept in the History from the next step on."""
        unknown = sorted(set(given) - set(LIVE))
        if unknown:
            raise SettingsError({unknown[0]: "cannot change while training; Reset"})
        with self.lock:
            new = parse(given, self.settings)
            tr, t = self.run.trainer, self._t()
            if tr is not None and new.lr != self.settings.lr:
                tr.lr = new.lr  # the schedule's lr0; it goes on from step t
                self._note(t, f"lr {self.settings.lr:g} -> {new.lr:g}")
            if tr is not None and new.batch_size != self.settings.batch_size:
                if self.settings.solver == "minibatch":
                    tr.batch_size = new.batch_size
                    self._note(
                        t, f"batch size {self.settings.batch_size} -> {new.batch_size}"
                    )
            self.settings = new
            self.run.settings = new
            self.run.finish()
            self.changed.notify_all()

    def step(self, n: int) -> None:
        """n steps now (the exact solvers: solve once, in the background)."""
        with self.lock:
            self.pause()
            if not self.run.iterative:
                return self._solve()
            self._advance(n)
            self.changed.notify_all()

    def play(self) -> None:
        with self.lock:
            if not self.run.iterative:
                return self._solve()
            if self.playing:
                return
            self.playing = True
            self.message = {}
            self._worker = threading.Thread(
                target=self._play, name=f"playground-{self.id[:6]}", daemon=True
            )
            self._worker.start()
            self.changed.notify_all()

    def pause(self) -> None:
        with self.lock:
            self.playing = False
            self.changed.notify_all()

    def upload_file(self, name: str, body: bytes) -> list[str]:
        """Keep an uploaded CSV (checked first); returns its columns."""
        from lingrad.playground.data import check_upload

        columns = check_upload(name, body)
        folder = self.upload_dir / self.id
        folder.mkdir(exist_ok=True)
        path = folder / Path(name).name
        path.write_bytes(body)
        with self.lock:
            if isinstance(self.upload, Path) and self.upload != path:
                self.upload.unlink(missing_ok=True)
            self.upload = path
        return columns

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.pause()
            shutil.rmtree(self.upload_dir / self.id, ignore_errors=True)  # uploads

    # ---- inside ---------------------------------------------------------------
    def _t(self) -> int:
        tr = self.run.trainer
        return 0 if tr is None else int(tr.t)

    def _note(self, t: int, text: str) -> None:
        self.events.append((t, text))
        del self.events[:-50]
        self.run.notes.append(f"at step {t}: {text}")

    def _started(self) -> None:
        self.version += 1
        self.message = {}
        self.events = []
        self.trajectory = []
        self._record()
        self.solving = False
        BACKGROUND.submit(self._optimum, self.run)

    def _optimum(self, run: runs.Run) -> None:
        """The exact optimum of ``run`` (skipped once the run is replaced)."""
        if run is not self.run or self.closed:
            return
        try:
            result = runs.optimum(run)
        except Exception as e:  # shown on the page; the session goes on
            result = runs.Optimum(None, None, f"not computed ({type(e).__name__}: {e})")
        with self.lock:
            run.optimum = result
            self.changed.notify_all()

    def _solve(self) -> None:
        """Fit with the exact solver in the background (once per run)."""
        if self.solving or self.run.fitted:
            return
        self.solving = True
        self.changed.notify_all()
        BACKGROUND.submit(self._solve_job, self.run)

    def _solve_job(self, run: runs.Run) -> None:
        if run is not self.run or self.closed:
            return
        from sklearn.base import clone

        est, message = clone(run.est), {}
        try:
            runs.solve(run, est)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
            message = {"run": f"the {run.settings.solver} solver failed: {e}"}
        with self.lock:
            if run is self.run:
                if not message:
                    run.est = est
                self.message, self.solving = message, False
                self._record()
                self.changed.notify_all()

    def _record(self) -> None:
        """Trajectory points since the last: every step the History snapshots
        (small models: per step), then the parameters now."""
        from lingrad.playground.panels import flat_values

        run, t = self.run, self._t()
        last = self.trajectory[-1][0] if self.trajectory else -1
        tr = run.trainer
        if tr is None:  # an exact solver: one point, once solved
            self.trajectory = [(0, flat_values(run))] if run.fitted else []
            return
        if tr.history.snapshot_every:
            steps = np.asarray(tr.history.snapshot_step)
            snaps = tr.history.params
            for j in range(int(np.searchsorted(steps, last, side="right")), len(steps)):
                values = flat_values(run, {k: v[j] for k, v in snaps.items()})
                self.trajectory.append((int(steps[j]), values))
        if not self.trajectory or self.trajectory[-1][0] < t:
            self.trajectory.append((t, flat_values(run)))
        if len(self.trajectory) > MAX_TRAJECTORY:
            self.trajectory = self.trajectory[::2]

    def _advance(self, n: int) -> None:
        run = self.run
        if run.stepper is None:  # the exact solvers take no steps
            return
        try:
            run.stepper.run(n)
        except DivergenceError as e:
            self.playing = False
            self.message = {"run": f"{e} Paused: lower lr, then Play again, or Reset."}
        run.finish()
        self._record()

    def _play(self) -> None:
        """The worker: steps at ``speed`` per second, or time slices of 40 ms."""
        start, done = time.monotonic(), 0
        speed = self.settings.speed
        while True:
            with self.lock:
                if not self.playing or self.closed:
                    return
                unwatched = time.monotonic() - self.last_seen > UNWATCHED
                if self.listeners == 0 and unwatched:  # the tab was closed
                    self.playing = False
                    return
                if self.settings.speed != speed:
                    start, done, speed = time.monotonic(), 0, self.settings.speed
                if speed == "max":
                    end = time.monotonic() + 0.04
                    while time.monotonic() < end and self.playing:
                        self._advance(64)
                else:
                    due = int((time.monotonic() - start) * int(speed)) - done
                    if due > 0:
                        due = min(due, 5000)
                        self._advance(due)
                        done += due
                self.changed.notify_all()
            time.sleep(0.005 if speed == "max" else min(0.02, 1 / int(speed)))

    def summary(self) -> dict[str, object]:
        """The settings as the page's fields show them."""
        s = self.settings
        out = {k: getattr(s, k) for k in Settings.__dataclass_fields__ if k != "gen"}
        out.update({f"gen.{k}": v for k, v in s.gen.items()})
        out["preset"] = "" if self.custom else self.preset
        out["started_from"] = self.preset
        out["iterative"] = s.solver in ITERATIVE
        return out
