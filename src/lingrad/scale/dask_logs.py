"""A local cluster's logs in a file: the terminal keeps the one-line errors.

The scheduler and the nannies of a ``LocalCluster`` log in this process, its
workers in theirs; a failed task is logged by its worker ("Compute Failed"
and a traceback) before the client raises the task's own error, and closing
a cluster logs heartbeats that lost their scheduler. :func:`logs_to_file`
sends the ``distributed`` loggers' records of this process to a file instead
of the terminal, and :class:`LogsToFile` (a worker plugin) does the same in
every worker process, including workers that restart later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

LOGGERS = ("distributed", "tornado", "tornado.application", "bokeh")
FORMAT = "%(asctime)s pid %(process)d %(name)s %(levelname)s: %(message)s"


def _is_terminal_handler(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


def logs_to_file(path: str | Path) -> Callable[[], None]:
    """Route :data:`LOGGERS` from the terminal to ``path`` (created on the first
    record); returns the undo (the terminal handlers back, the file closed)."""
    handler = logging.FileHandler(path, mode="a", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(FORMAT))
    saved: list[tuple[logging.Logger, list[logging.Handler], bool]] = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        streams = [h for h in logger.handlers if _is_terminal_handler(h)]
        for h in streams:
            logger.removeHandler(h)
        logger.addHandler(handler)
        saved.append((logger, streams, logger.propagate))
        logger.propagate = False  # not on to a root handler on the terminal

    def undo() -> None:
        for logger, streams, propagate in saved:
            logger.removeHandler(handler)
            for h in streams:
                logger.addHandler(h)
            logger.propagate = propagate
        handler.close()

    return undo


class LogsToFile(WorkerPlugin):
    """A worker plugin: the worker process's logs go to ``path`` (same machine)."""

    name = "lingrad-logs-to-file"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def setup(self, worker: Any) -> None:
        if self.path not in _ROUTED:  # once per process, however often set up
            _ROUTED.add(self.path)
            logs_to_file(self.path)


_ROUTED: set[str] = set()
