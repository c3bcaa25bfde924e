"""Training progress: a rich bar on a terminal, plain lines or silence elsewhere.

``verbose=0``: silent. ``verbose>=1`` on a terminal (stderr is a TTY): a
rich progress bar over epochs, plus one over the steps of long epochs.
``verbose>=2`` off a terminal: one plain line per epoch on stdout.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

LONG_EPOCH = 2000  # epochs with at least this many steps get a step bar


class TrainingProgress:
    """Context manager the trainer reports to; does nothing when silent.

    ``step_every`` is 0 when no step bar is drawn, so the training loop can
    skip the per-step call with one integer test.
    """

    def __init__(self, verbose: int, max_epochs: int, steps_per_epoch: int) -> None:
        self.tty = verbose > 0 and sys.stderr.isatty()
        self.lines = verbose >= 2 and not self.tty
        self.max_epochs = max_epochs
        self.steps_per_epoch = steps_per_epoch
        self.step_every = 0
        self._bar: Progress | None = None
        self._t0 = time.perf_counter()

    def __enter__(self) -> TrainingProgress:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),  # keep stdout clean for data
                transient=True,
            )
            self._bar.start()
            self._epochs = self._bar.add_task("epoch", total=self.max_epochs, info="")
            if self.steps_per_epoch >= LONG_EPOCH:
                self.step_every = max(self.steps_per_epoch // 100, 1)
                self._steps = self._bar.add_task(
                    "step", total=self.steps_per_epoch, info=""
                )
        return self

    def step(self, i: int) -> None:
        """Steps 0..i-1 of the current epoch are done (called every step_every)."""
        assert self._bar is not None  # step_every > 0: the bar was started
        self._bar.update(self._steps, completed=i)

    def epoch_end(self, epoch: int, loss: float, lr: float, val_loss: float) -> None:
        info = f"loss {loss:.6g}  lr {lr:.3g}"
        if val_loss == val_loss:  # not NaN
            info += f"  val {val_loss:.6g}"
        if self._bar is not None:
            self._bar.update(self._epochs, advance=1, info=info)
            if self.step_every:
                self._bar.update(self._steps, completed=0)
        elif self.lines:
            elapsed = time.perf_counter() - self._t0
            print(f"epoch {epoch:>4}  {info}  ({elapsed:.2f} s)", flush=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
