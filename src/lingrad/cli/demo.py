"""``lingrad demo``: rerun the lectures' experiments into a folder with a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lingrad.cli._common import echo, stderr_is_terminal

EPILOG = (
    "Examples:  lingrad demo  |  lingrad demo --list  |  lingrad demo logistic-1d "
    "--out runs/logistic  |  lingrad demo all --quick --out runs"
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
        _run_all(list(DEMOS), out or Path("lingrad-out"), quick, corrected)
        return
    get(name)  # unknown names: one line listing the valid ones
    report = _run_one(name, out or Path("lingrad-out") / name, quick, corrected)
    echo(f"demo {name}: report at {report}")


def _run_one(
    name: str, out: Path, quick: bool, corrected: bool = False, progress: Any = None
) -> Path:
    """Run one demo into a staging folder; move it into ``out`` when it succeeds."""
    from lingrad.cli._staging import staged_output
    from lingrad.demos import run

    with staged_output(out) as stage:
        result = run(name, stage, quick=quick, progress=progress, corrected=corrected)
        report_name = result.report.name
    _close(result)
    return out / report_name


def _close(result: Any) -> None:
    for fig in getattr(result, "figures", {}).values():
        fig.clf()


def _run_all(names: list[str], out: Path, quick: bool, corrected: bool) -> None:
    reports = []
    if stderr_is_terminal():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("demos", total=len(names))
            for name in names:
                bar.update(task, description=f"demo {name}")
                reports.append((name, _run_one(name, out / name, quick, corrected)))
                bar.advance(task)
    else:
        for name in names:
            reports.append((name, _run_one(name, out / name, quick, corrected)))
    for name, report in reports:
        echo(f"demo {name}: report at {report}")


def _list(demos: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lingrad demos (lingrad demo NAME)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("what it shows (and the lecture it rebuilds)")
    for demo in demos.values():
        table.add_row(demo.name, f"{demo.summary}\n[dim]{demo.lecture}[/]")
    console = Console(highlight=False)
    console.print(table)
