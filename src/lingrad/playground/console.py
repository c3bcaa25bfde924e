"""What the playground prints on the terminal besides its URL: one line an event.

A client that leaves early, an error no request answered, a thread that failed:
each is one ``lingrad playground: ...`` line on stderr; the traceback only with
``--debug`` (or ``LINGRAD_DEBUG=1``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HINT = " (run with --debug for the traceback)"


def note(message: str) -> None:
    """``lingrad playground: <message>``, one line on stderr."""
    text = " ".join(message.split())
    sys.stderr.write(f"lingrad playground: {text}\n")  # one write: no interleaving
    sys.stderr.flush()


def internal(where: str, error: BaseException | None) -> None:
    """``lingrad playground: internal error <where>: Type: message (run with ...)``."""
    note(f"internal error {where}: {type(error).__name__}: {error}{HINT}")


@contextmanager
def quiet_threads(debug: bool) -> Iterator[None]:
    """While inside: an exception that ends a thread (a training worker, the warm-up)
    is one line on stderr, its traceback only with ``debug``."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        if debug:
            threading.__excepthook__(args)  # the traceback
            return
        where = args.thread.name if args.thread is not None else "a thread"
        internal(f"in {where}", args.exc_value)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous
