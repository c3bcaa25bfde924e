"""The ``lingrad`` command: fit, predict, evaluate, explain, gradcheck, demo,
playground.

``app`` is the typer application (the console entry point); :func:`main` runs it on
an argument list and returns the exit code, with every error reported as one line
(see :mod:`lingrad.cli._common`). Each command's module is imported when that
command runs (``lingrad predict`` never imports the figures' matplotlib).
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from lingrad.cli._common import run

__all__ = ["app", "main"]

# name -> (module of lingrad.cli, function)
_COMMANDS = {
    "fit": ("fit", "fit"),
    "predict": ("predict", "predict"),
    "evaluate": ("evaluate", "evaluate"),
    "summary": ("summary", "summary"),
    "explain": ("explain", "explain"),
    "gradcheck": ("gradcheck_cmd", "gradcheck"),
    "demo": ("demo", "demo"),
    "playground": ("playground", "playground"),
}


_BUILT: dict[str, Any] = {}


class _FlagsTakeNoValue:
    """Help that shows a flag (``--scale``) without a value: typer labels it
    ``<bool>``, which reads as ``--scale true`` (an error: a flag takes none)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class _Command(_FlagsTakeNoValue, TyperCommand):
    """A sub-command (see :class:`_FlagsTakeNoValue`)."""


class _LazyGroup(_FlagsTakeNoValue, TyperGroup):
    """The root command: each sub-command is built when it is looked up."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in _COMMANDS:
            return None
        if cmd_name not in _BUILT:
            _BUILT[cmd_name] = self._build(cmd_name)
        return _BUILT[cmd_name]

    def _build(self, cmd_name: str) -> Any:
        module_name, function = _COMMANDS[cmd_name]
        module = importlib.import_module(f"lingrad.cli.{module_name}")
        info = CommandInfo(
            name=cmd_name,
            cls=_Command,
            callback=getattr(module, function),
            epilog=module.EPILOG,
            context_settings={"help_option_names": ["-h", "--help"]},
        )
        return get_command_from_info(
            info, pretty_exceptions_short=True, rich_markup_mode=app.rich_markup_mode
        )


class _App(typer.Typer):
    """A Typer app whose console entry point goes through :func:`main`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sys.exit(main())


app = _App(
    cls=_LazyGroup,
    name="lingrad",
    help="Linear models and shallow networks trained by explicit, hand-derived "
    "backpropagation: train on a table, predict, evaluate, and see one training "
    "step written out as the lecture writes it.",
    epilog="Start with:  lingrad demo   |   lingrad fit --help   |   lingrad explain",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from lingrad import __version__

        print(f"lingrad {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of an error (any position)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Linear models and shallow networks trained by explicit backpropagation."""


def main(argv: list[str] | None = None) -> int:
    """Run ``lingrad`` on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    return run(
        lambda: typer.main.get_command(app),
        list(sys.argv[1:] if argv is None else argv),
    )
