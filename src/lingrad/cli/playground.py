"""``lingrad playground``: a local web page to train a model one step at a time."""

from __future__ import annotations

import os
import signal
import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from lingrad.cli._common import Interrupted, echo, usage_error

EPILOG = (
    "Examples:  lingrad playground  |  lingrad playground --preset logistic-1d  |  "
    "lingrad playground --port 8765 --no-browser"
)


def _has_browser() -> bool:
    """A graphical browser can open: not a headless Linux session."""
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _debug() -> bool:
    """``--debug`` was given (the runner takes it out of the command's arguments) or
    ``LINGRAD_DEBUG`` is set."""
    return "--debug" in sys.argv[1:] or os.environ.get("LINGRAD_DEBUG", "") not in (
        "",
        "0",
    )


@contextmanager
def _signals_stop(server: socketserver.BaseServer) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask ``server`` to shut down; the handler raises nothing.

    The runner's handler raises :class:`Interrupted`, and a signal that lands while
    a ``__del__`` runs (a dropped client's socket) is printed and lost there: the
    server would serve on. ``shutdown`` waits for ``serve_forever`` to return, so
    it runs in a thread of its own.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, name="playground-stop").start()

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return
    previous = {
        sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def playground(
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one)."
        ),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL, do not open it.")
    ] = False,
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Start from a lecture's run: linear-1d, logistic-1d, perceptron, "
            "softmax, two-layer, ... (the demos' names).",
        ),
    ] = "linear-1d",
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder the Export button writes into."),
    ] = Path("lingrad-out/playground"),
) -> None:
    """Train in the browser, one step at a time, with every Jacobian in view.

    Starts a local web server on 127.0.0.1 and prints its URL with an access token
    (every request needs it). The page trains any of the eight models with
    lingrad's own engine and shows the data with the fit, J per step and per
    epoch, the parameters against the truth and the exact optimum, and the last
    step written out as `lingrad explain` writes it. Nothing is loaded from the
    network. Ctrl-C stops it.
    """
    from lingrad.playground.settings import PRESETS

    if preset not in PRESETS:
        raise usage_error(
            f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}",
            "--preset",
        )
    from lingrad.playground.console import quiet_threads
    from lingrad.playground.server import PlaygroundServer

    try:
        server = PlaygroundServer(port, preset, out)
    except OSError as e:
        raise usage_error(
            f"cannot listen on 127.0.0.1:{port} ({e.strerror or e}); choose another "
            "port or leave --port out for a free one",
            "--port",
        ) from e
    server.debug = _debug()
    url = server.url + ("" if preset == "linear-1d" else f"&preset={preset}")
    echo(f"lingrad playground: {url}")
    echo(f"exports go to {server.out.absolute()}/")
    echo("Press Ctrl-C to stop.")
    if not no_browser and _has_browser():
        import webbrowser

        webbrowser.open(url)
    try:
        with quiet_threads(server.debug), _signals_stop(server):
            server.warm_up()
            server.serve_forever(poll_interval=0.2)
        echo("\nstopping the playground")
    except (KeyboardInterrupt, Interrupted):  # a signal before the server ran
        echo("\nstopping the playground")
    finally:
        server.close()
