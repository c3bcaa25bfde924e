"""lingrad.workflows: what the commands do, as library functions that neither print
nor exit, and that the playground calls without the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lingrad.errors import UsageError
from lingrad.models.registry import model_spec


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(done.stdout.split())


def test_the_playground_and_the_workflows_never_import_the_command_line() -> None:
    modules = imported_after(
        "import lingrad.playground.server, lingrad.playground.export, "
        "lingrad.playground.trace, lingrad.playground.frames\n"
        "from lingrad.workflows import fit, outputs, predict, scoring, figures, "
        "on_dask, explain, gradchecks, coefficients"
    )
    assert not {m for m in modules if m.startswith("lingrad.cli")}
    assert "typer" not in modules and "click" not in modules


def test_an_unknown_model_is_a_usage_error_naming_the_option() -> None:
    with pytest.raises(UsageError, match="did you mean 'logistic'") as caught:
        model_spec("logistc")
    assert caught.value.option == "--model"


def test_a_streamed_fit_without_a_target_is_a_usage_error(tmp_path: Path) -> None:
    from lingrad.workflows.fit import Columns, fit_table

    data = tmp_path / "t.csv"
    data.write_text("a,y\n1,2\n2,4\n")
    with pytest.raises(UsageError, match="--stream needs --target") as caught:
        fit_table(model_spec("linear"), str(data), Columns(), {}, how="stream")
    assert caught.value.option == "--target"


def test_the_cli_reports_the_librarys_usage_error_as_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from lingrad.cli import main

    code = main(["fit", "-d", "sklearn:iris", "-m", "logistc", "-o", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("lingrad: error: Invalid value for '--model': unknown model")
    assert err.endswith("(see 'lingrad --help')") and "\n" not in err


def test_fitting_and_writing_a_run_print_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from lingrad.workflows.fit import Columns, fit_table
    from lingrad.workflows.outputs import finish
    from lingrad.workflows.staging import staged_output

    spec = model_spec("softmax")
    params = {"solver": "batch", "max_iter": 20, "lr": 0.5, "tol": None}
    warned: list[str] = []
    out = tmp_path / "run"
    with staged_output(out) as stage:
        result, boundary = fit_table(
            spec, "sklearn:iris", Columns(), params, scale=True, test_size=0.25,
            boundary="petal length (cm),petal width (cm)",
        )  # fmt: skip
        written = finish(result, stage, out, True, True, 0, compare=True,
                         boundary=boundary, warn=warned.append)  # fmt: skip
    assert boundary == (2, 3)
    assert {p.name for p in written} >= {"model.lingrad", "metrics.json", "report.html"}
    assert all(p.is_file() for p in written)
    assert set(result.metrics) == {"train", "test"}
    assert capsys.readouterr() == ("", "")
    assert warned == []
