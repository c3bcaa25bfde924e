"""The ``lingrad`` command: fit, predict, evaluate, explain, gradcheck, demo,
playground.

``app`` is the typer application (the console entry point); :func:`main` runs it on
an argument list and returns the exit code, with every error reported as one line
(see :mod:`lingrad.cli._common`).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from lingrad.cli import demo, evaluate, explain, fit, gradcheck_cmd, playground, predict
from lingrad.cli._common import run

__all__ = ["app", "main"]


class _App(typer.Typer):
    """A Typer app whose console entry point goes through :func:`main`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sys.exit(main())


app = _App(
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


app.command("fit", epilog=fit.EPILOG)(fit.fit)
app.command("predict", epilog=predict.EPILOG)(predict.predict)
app.command("evaluate", epilog=evaluate.EPILOG)(evaluate.evaluate)
app.command("explain", epilog=explain.EPILOG)(explain.explain)
app.command("gradcheck", epilog=gradcheck_cmd.EPILOG)(gradcheck_cmd.gradcheck)
app.command("demo", epilog=demo.EPILOG)(demo.demo)
app.command("playground", epilog=playground.EPILOG)(playground.playground)


def main(argv: list[str] | None = None) -> int:
    """Run ``lingrad`` on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    return run(
        lambda: typer.main.get_command(app),
        list(sys.argv[1:] if argv is None else argv),
    )
