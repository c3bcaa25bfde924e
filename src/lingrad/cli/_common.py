"""What every command shares: error handling, warnings and the model names.

Errors are reported in one place (:func:`run`): a :class:`~lingrad.errors.LingradError`,
a training ``DivergenceError``, an ``OSError`` or a ``MemoryError`` prints
``lingrad: error: <message>`` on stderr and exits 1; a usage error exits 2;
anything else is an internal error (exit 1) whose traceback ``--debug`` shows.
Warnings print as one line each, ``lingrad: warning: <message>``. Heavy modules
(scikit-learn, matplotlib) are imported inside the commands, so ``--help`` and bad
input answer fast.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import typer

from lingrad.errors import LingradError

PROG = "lingrad"

# typer >= 0.2x vendors click as typer._click (click itself may be absent); older
# typer raises click's own exceptions. Catch whichever exist.
_MODULES: list[Any] = []
for _name in ("typer._click.exceptions", "click.exceptions"):
    try:
        _MODULES.append(importlib.import_module(_name))
    except ImportError:  # pragma: no cover - depends on the typer version
        pass


def _classes(name: str, *extra: type) -> tuple[type, ...]:
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


# ------------------------------------------------------------------ model names


@dataclass(frozen=True)
class ModelSpec:
    """A CLI model name: its estimator class, task and equation."""

    name: str
    class_name: str
    task: str  # "regression" | "binary" (two classes only) | "classification"
    equation: str
    summary: str

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    def cls(self) -> type:
        """The estimator class (imports lingrad.models, hence scikit-learn)."""
        import lingrad.models

        return getattr(lingrad.models, self.class_name)  # type: ignore[no-any-return]


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "linear",
            "LinearRegression",
            "regression",
            "pred = X @ W + b\nJ = mean (y - pred)^2",
            "linear regression (squared error)",
        ),
        ModelSpec(
            "logistic",
            "LogisticRegression",
            "classification",
            "z = X @ W + b;  pred = sigmoid(z) = 1 / (1 + exp(-z))\n"
            "J = mean -[y log pred + (1 - y) log(1 - pred)]  (one-vs-rest for K > 2)",
            "logistic regression (binary cross-entropy)",
        ),
        ModelSpec(
            "bipolar",
            "BipolarSigmoidClassifier",
            "classification",
            "z = X @ W + b;  pred = (1 - exp(-z)) / (1 + exp(-z))\n"
            "J = mean 1/2 (pred - y)^2,  y in {-1, +1}  (one-vs-rest for K > 2)",
            "bipolar-sigmoid classifier (outputs in [-1, 1])",
        ),
        ModelSpec(
            "perceptron",
            "Perceptron",
            "binary",
            "z = X @ W + b;  pred = [z >= 0]\n"
            "J = sum (h - y) z,  h = [z >= 0]  (the perceptron rule)",
            "perceptron (hard threshold, perceptron criterion)",
        ),
        ModelSpec(
            "multiclass-perceptron",
            "MulticlassPerceptron",
            "classification",
            "s = X @ W + b;  pred = argmax_k s_k\nJ = sum max_k s_k - s_y",
            "multiclass perceptron (one score per class)",
        ),
        ModelSpec(
            "softmax",
            "SoftmaxRegression",
            "classification",
            "z = X @ W + b;  q = softmax(z)\nJ = mean -sum_k y_k log q_k",
            "softmax regression (cross-entropy)",
        ),
        ModelSpec(
            "two-layer",
            "TwoLayerNetwork",
            "classification",
            "h = sigmoid(X @ W + b);  q = softmax(h @ V + c)\n"
            "J = mean -sum_k y_k log q_k",
            "two-layer network (sigmoid hidden layer, softmax output)",
        ),
        ModelSpec(
            "residual",
            "ResidualNetwork",
            "binary",
            "z = sigmoid(X @ W0);  h = X + sigmoid(z @ W1);  g = sigmoid(h @ w2)\n"
            "J = mean 1/2 (g - y)^2",
            "residual network of homework Problem 7",
        ),
    )
}
_BY_CLASS = {spec.class_name: spec for spec in MODELS.values()}


def model_spec(name: str) -> ModelSpec:
    """The spec of a CLI model name (or class name); a usage error otherwise."""
    key = name.strip().lower().replace("_", "-")
    if key in MODELS:
        return MODELS[key]
    if name in _BY_CLASS:
        return _BY_CLASS[name]
    close = difflib.get_close_matches(key, list(MODELS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise typer.BadParameter(
        f"unknown model {name!r}; {hint}choose one of: {', '.join(MODELS)}",
        param_hint="'--model'",
    )


# ------------------------------------------------------------- error handling


def _divergence_type() -> type | None:
    train = sys.modules.get("lingrad.training.train")
    return getattr(train, "DivergenceError", None) if train else None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    warn_line(str(message))


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM: unwinds the command (its outputs are removed on
    the way) without click turning it into an ``Abort``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, _raise_interrupted)
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(make_command: Callable[[], Any], argv: list[str]) -> int:
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


def _run(make_command: Callable[[], Any], argv: list[str]) -> int:
    debug = "--debug" in argv or os.environ.get("LINGRAD_DEBUG", "") not in ("", "0")
    args = [a for a in argv if a != "--debug"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party deprecations are not ours
        warnings.simplefilter("default", UserWarning)  # ConvergenceWarning & ours
        warnings.showwarning = _show_warning
        try:
            command = make_command()
            result = command.main(args=args, prog_name=PROG, standalone_mode=False)
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


def _help_hint(e: Any) -> str:
    ctx = getattr(e, "ctx", None)
    if ctx is None:
        return f" (see '{PROG} --help')"
    return f" (see '{ctx.command_path} --help')"


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
