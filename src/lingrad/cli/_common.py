"""What every command shares: error handling, warnings, option parsing.

Errors are reported in one place (:func:`run`): a :class:`~lingrad.errors.LingradError`,
a training ``DivergenceError``, an ``OSError`` or a ``MemoryError`` prints
``lingrad: error: <message>`` on stderr and exits 1; a usage error exits 2;
anything else is an internal error (exit 1) whose traceback ``--debug`` shows.
Warnings print as one line each, ``lingrad: warning: <message>``. Heavy modules
(scikit-learn, matplotlib) are imported inside the commands, so ``--help`` and bad
input answer fast.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from types import FrameType, ModuleType
from typing import IO, Any, Protocol

import typer

from lingrad.errors import LingradError, UsageError

PROG = "lingrad"

# typer >= 0.2x vendors click as typer._click (click itself may be absent); older
# typer raises click's own exceptions. Catch whichever exist.
_MODULES: list[ModuleType] = []
for _name in ("typer._click.exceptions", "click.exceptions"):
    try:
        _MODULES.append(importlib.import_module(_name))
    except ImportError:  # pragma: no cover - depends on the typer version
        pass


def _classes(name: str, *extra: type[BaseException]) -> tuple[Any, ...]:
    """click's exception classes, found at run time (Any: their attributes differ)."""
    found = [getattr(m, name) for m in _MODULES if hasattr(m, name)]
    return tuple(dict.fromkeys([*extra, *found]))


_EXIT = _classes("Exit", typer.Exit)
_ABORT = _classes("Abort", typer.Abort)
_CLICK = _classes("ClickException")
_USAGE = _classes("UsageError")
_NO_ARGS = _classes("NoArgsIsHelpError")


def echo(text: str = "") -> None:
    """A line on stdout."""
    print(text, flush=True)


def warn_line(message: str) -> None:
    """``lingrad: warning: <message>`` on stderr (one line)."""
    print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def error_line(message: str, kind: str = "error") -> None:
    """``lingrad: error: <message>`` on stderr (one line)."""
    text = " ".join(str(message).split()) or "(no message)"
    print(f"{PROG}: {kind}: {text}", file=sys.stderr, flush=True)


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ------------------------------------------------------------- error handling


def _divergence_type() -> type | None:
    train = sys.modules.get("lingrad.training.train")
    return getattr(train, "DivergenceError", None) if train else None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: IO[str] | None = None,
    line: str | None = None,
) -> None:
    warn_line(str(message))


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM: unwinds the command (its outputs are removed on
    the way) without click turning it into an ``Abort``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_PENDING: list[int] = []  # signals received while the command runs


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    _PENDING.append(signum)
    raise Interrupted(signum)


def _check_pending() -> None:
    """Raise a signal again that a library swallowed on its way (pyarrow, for one,
    catches every exception of an import it tries): nothing is published after
    a Ctrl-C."""
    if _PENDING:
        raise Interrupted(_PENDING[-1])


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` (main thread only), and are
    checked again before an output folder is published."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from lingrad.workflows import staging

    _PENDING.clear()
    previous = {
        sig: signal.signal(sig, _raise_interrupted)
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    staging.before_publish = _check_pending
    try:
        yield  # a command that handles Ctrl-C itself (playground) exits as it says
    finally:
        staging.before_publish = staging.publish_always
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Command(Protocol):
    """A click command: what :func:`run` calls."""

    def main(self, *, args: list[str], prog_name: str, standalone_mode: bool) -> object:
        """Parse ``args`` and run the command."""


def run(make_command: Callable[[], _Command], argv: list[str]) -> int:
    """Build the command, run it on ``argv``, turn every outcome into an exit code.

    Ctrl-C or SIGTERM: the command's partial outputs are removed, ``interrupted``
    goes to stderr, and the exit code is 128 + the signal (130 for Ctrl-C).
    """
    try:
        with _signals_interrupt():
            return _run(make_command, argv)
    except Interrupted as e:
        error_line("interrupted" if e.signum == signal.SIGINT else "terminated")
        return 128 + e.signum


def _run(make_command: Callable[[], _Command], argv: list[str]) -> int:
    debug = "--debug" in argv or os.environ.get("LINGRAD_DEBUG", "") not in ("", "0")
    args = [a for a in argv if a != "--debug"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party deprecations are not ours
        warnings.simplefilter("default", UserWarning)  # ConvergenceWarning & ours
        warnings.showwarning = _show_warning
        try:
            command = make_command()
            try:
                result = command.main(args=args, prog_name=PROG, standalone_mode=False)
            except UsageError as e:  # the library's: reported as click's own
                raise usage_error(str(e), e.option) from e
        except _EXIT as e:
            return int(e.exit_code)
        except _ABORT as e:
            interrupted = isinstance(e.__context__, KeyboardInterrupt)
            error_line("interrupted" if interrupted else "aborted")
            return 130
        except _NO_ARGS as e:  # `lingrad` alone: the help
            print(e.format_message())
            return 0
        except _CLICK as e:
            if debug:
                traceback.print_exc()
            hint = _help_hint(e)
            error_line(f"{e.format_message()}{hint}")
            return 2 if isinstance(e, _USAGE) else int(e.exit_code or 1)
        except KeyboardInterrupt:
            error_line("interrupted")
            return 130
        except MemoryError as e:
            if debug:
                traceback.print_exc()
            if isinstance(e, LingradError):  # refused before allocating
                error_line(str(e))
            else:
                error_line(
                    f"out of memory ({e or 'an allocation failed'}); use fewer rows, "
                    "features, classes or hidden units, a smaller --batch-size, or "
                    "a machine with more memory"
                )
            return 1
        except Exception as e:
            if debug:
                traceback.print_exc()
            divergence = _divergence_type()
            if isinstance(e, LingradError | OSError) or (
                divergence is not None and isinstance(e, divergence)
            ):
                error_line(_os_message(e) if isinstance(e, OSError) else str(e))
            else:
                name = type(e).__name__
                hint = "" if debug else " (run with --debug for the traceback)"
                error_line(f"{name}: {e}{hint}", kind="internal error")
            return 1
    return int(result) if isinstance(result, int) else 0


def _os_message(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def _help_hint(e: BaseException) -> str:
    ctx = getattr(e, "ctx", None)
    if ctx is None:
        return f" (see '{PROG} --help')"
    return f" (see '{ctx.command_path} --help')"


def debugging() -> bool:
    """Whether this command runs with ``--debug`` (or ``LINGRAD_DEBUG``)."""
    flag = os.environ.get("LINGRAD_DEBUG", "") not in ("", "0")
    return flag or "--debug" in sys.argv[1:]


def usage_error(message: str, param: str | None = None) -> Exception:
    """A usage error (exit 2) about ``param`` (e.g. ``"--lr"``)."""
    return typer.BadParameter(message, param_hint=f"'{param}'" if param else None)


def parse_list(text: str | None, option: str = "--features") -> list[str] | None:
    """``"a,b , c"`` -> ``["a", "b", "c"]``; None stays None; a usage error for an
    empty or repeated name."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise usage_error(f"empty name in the list {text!r}", option)
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise usage_error(f"{item!r} is listed twice in {text!r}", option)
        seen.add(item)
    return items


def _literal(text: str) -> object:
    """``--param`` values: numbers, true/false/none, tuples and lists, else text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_params(pairs: list[str]) -> dict[str, object]:
    """``--param KEY=VALUE`` pairs as a dict (values: see :func:`_literal`)."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise usage_error(f"expected KEY=VALUE, got {pair!r}", "--param")
        out[key.strip()] = _literal(value)
    return out


def choose_engine(
    engine: str, scheduler: str | None, stream: bool | None, builtin: bool
) -> tuple[bool, str | None]:
    """(train on Dask?, the estimators' ``engine`` parameter or None)."""
    if scheduler is not None and engine not in ("auto", "dask"):
        raise usage_error("--scheduler trains on Dask: use --engine dask", "--engine")
    if engine == "dask" or scheduler is not None:
        if stream:
            raise usage_error(
                "--stream and --engine dask exclude each other", "--stream"
            )
        if builtin:
            raise usage_error(
                "--engine dask reads files; built-in data fit in memory", "--engine"
            )
        return True, None
    return False, None if engine == "auto" else engine
