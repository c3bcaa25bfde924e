"""A progress bar for the streamed and Dask fits (the estimator's own ``verbose``
bar shows in-memory fits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class Bar:
    """A rich bar on stderr (``total`` None: a counter), shown with ``show`` (the
    command line: on a terminal); ``bar(n)`` or ``bar.advance(n)`` counts n more."""

    def __init__(
        self, total: int | None, description: str = "training (streamed)", *,
        show: bool = True,
    ) -> None:  # fmt: skip
        self.total, self.description, self.show = total, description, show
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Bar:
        if self.show:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, n)

    __call__ = advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
