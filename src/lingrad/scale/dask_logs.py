"""A local cluster's logs in a file: the terminal keeps the one-line errors.

The scheduler and the worker threads of the CLI's ``LocalCluster`` log in
this process; a failed task is logged by its worker ("Compute Failed" and a
traceback) before the client raises the task's own error, and closing a
cluster logs heartbeats that lost their scheduler. :func:`logs_to_file`
sends the ``distributed`` loggers' records to a file instead of the terminal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

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
