"""``lingrad demo``: rerun the lectures' experiments into a folder with a report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lingrad.cli._common import echo, stderr_is_terminal

if TYPE_CHECKING:
    from lingrad.demos.common import Demo, DemoResult, Progress

EPILOG = (
    "Examples:  lingrad demo  |  lingrad demo --list  |  lingrad demo logistic-1d "
    "--out runs/logistic  |  lingrad demo all --quick --out runs  |  lingrad demo "
    "--force (run again into the same folder)"
)


def demo(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A demo (see --list), or 'all'. Default: linear-1d.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default lingrad-out/NAME; with 'all' one sub-folder "
            "per demo).",
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="List the demos and exit.")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Smaller data, fewer epochs and frames (fast)."),
    ] = False,
    corrected: Annotated[
        bool,
        typer.Option(
            "--corrected",
            help="Where the lecture's listing has a quirk (linear-1d's doubled 2, "
            "logistic-1d's label threshold; each demo's notes say), run the "
            "corrected form instead of the listing as printed.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty --out folder, replacing only the files "
            "lingrad wrote there (listed in its .lingrad-manifest; in a folder of "
            "an older lingrad, the files named like this demo's outputs); every "
            "other file is kept. Without --force a non-empty folder is refused.",
        ),
    ] = False,
) -> None:
    """Run a lecture experiment and write its figures and report.

    Trains as the lecture does (its listing as printed, constant factors
    included), draws its figures and animations, and writes metrics.json and a
    self-contained report.html. 'lingrad demo' alone runs linear-1d; 'lingrad demo
    all' runs every demo.
    """
    from lingrad.demos import DEFAULT, DEMOS, get

    if list_:
        _list(DEMOS)
        return
    name = name or DEFAULT
    if name == "all":
        _run_all(list(DEMOS), out or Path("lingrad-out"), quick, corrected, force)
        return
    get(name)  # unknown names: one line listing the valid ones
    out = out or Path("lingrad-out") / name
    report = _run_one(name, out, quick, corrected, force=force)
    echo(f"demo {name}: report at {report}")


def _run_one(
    name: str,
    out: Path,
    quick: bool,
    corrected: bool = False,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> Path:
    """Run one demo into a staging folder; publish it as ``out`` when it succeeds."""
    from lingrad.workflows.staging import staged_output

    with staged_output(out, force=force, keep_others=True) as stage:
        report = _run_into(name, stage, quick, corrected, progress)
    return out / report


def _run_into(
    name: str,
    stage: Path,
    quick: bool,
    corrected: bool,
    progress: Progress | None = None,
) -> str:
    """Run demo ``name`` into folder ``stage``; the report's file name."""
    from lingrad.demos import run

    result = run(name, stage, quick=quick, progress=progress, corrected=corrected)
    _close(result)
    return result.report.name


def _close(result: DemoResult) -> None:
    for fig in result.figures.values():
        fig.clf()


def _run_all(
    names: list[str], out: Path, quick: bool, corrected: bool, force: bool
) -> None:
    """Every demo into ``out/NAME``, published together at the end: an error or
    Ctrl-C on the way publishes none of them."""
    from contextlib import ExitStack

    from lingrad.workflows.staging import staged_output

    reports = []
    with ExitStack() as stack:
        bar: RichProgress | None = None
        if stderr_is_terminal():
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            bar = stack.enter_context(
                RichProgress(console=Console(stderr=True), transient=True)
            )
        task = bar.add_task("demos", total=len(names)) if bar else None
        stages = [
            stack.enter_context(
                staged_output(out / name, force=force, keep_others=True)
            )
            for name in names
        ]
        for name, stage in zip(names, stages, strict=True):
            if bar is not None and task is not None:
                bar.update(task, description=f"demo {name}")
            reports.append(
                (name, out / name / _run_into(name, stage, quick, corrected))
            )
            if bar is not None and task is not None:
                bar.advance(task)
    for name, report in reports:
        echo(f"demo {name}: report at {report}")


def _list(demos: Mapping[str, Demo]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lingrad demos (lingrad demo NAME)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("what it shows (and the lecture it rebuilds)")
    for demo in demos.values():
        table.add_row(demo.name, f"{demo.summary}\n[dim]{demo.lecture}[/]")
    console = Console(highlight=False)
    console.print(table)
