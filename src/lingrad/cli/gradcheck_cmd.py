"""``lingrad gradcheck``: every hand-derived gradient against finite differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import JustifyMethod

    from lingrad.core.gradcheck import GradcheckReport

EPILOG = "Examples:  lingrad gradcheck  |  lingrad gradcheck --model two-layer"


def gradcheck(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Check only this model's chain and loss (default: every node, loss, "
            "penalty and model).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points.")] = 0,
) -> None:
    """Check every hand-derived gradient against finite differences.

    Runs over every node, loss, penalty and model, prints one row per gradient
    with its largest errors, and exits with code 1 if any gradient fails. A
    gradient that is zero both ways checks nothing: it is marked "zero (not
    informative)", neither passed nor failed.
    """
    from lingrad.workflows.gradchecks import check_passed, run_checks

    reports = run_checks(model, seed)
    _print(reports)
    check_passed(reports)


def _print(reports: list[tuple[str, GradcheckReport]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from lingrad.workflows.gradchecks import summary

    table = Table(title="gradcheck: analytic vs central differences (float64)")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("kind", "left"),
        ("subject", "left"),
        ("gradient", "left"),
        ("max abs err", "right"),
        ("rel err", "right"),
        ("", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify)
    shown = {"ok": "ok", "zero": "zero (not informative)", "FAIL": "[bold red]FAIL[/]"}
    for kind, report in reports:
        for i, e in enumerate(report.entries):
            table.add_row(
                kind if i == 0 else "",
                report.subject if i == 0 else "",
                e.name.removeprefix("residual."),
                f"{e.max_abs_err:.2e}",
                "—" if e.zero else f"{e.rel_err:.2e}",
                shown[e.status],
            )
    console = Console(highlight=False, width=max(Console().width, 110))
    console.print(table)
    console.print(summary(reports))
