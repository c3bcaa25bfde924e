"""Issue 17, the CLI's part: nothing of the user's lost (``demo --out``, ``predict
--out /dev/stdout``), rows named as everywhere else, memory refused with the
numbers, and words that do not mislead (the comparison, the flags in ``--help``).

Shell redirects, FIFOs and memory limits need a real process (``python -m
lingrad.cli``); the rest runs through ``main(argv)``.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lingrad.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HOUSES, NEW = EXAMPLES / "houses.csv", EXAMPLES / "houses_new.csv"
FAST = ["--no-figures", "--no-compare"]
CLI = [sys.executable, "-m", "lingrad.cli"]


def call(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """The single ``lingrad: error: ...`` line of ``err`` (no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lingrad: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


@pytest.fixture(scope="module")
def house_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("houses") / "run"
    code = main(
        ["fit", "-d", str(HOUSES), "-t", "price", "-m", "linear", "--id", "id",
         "--exclude", "listed", "--impute", "median", "--scale", "-o", str(out),
         *FAST]
    )  # fmt: skip
    assert code == 0
    return out / "model.lingrad"


# ------------------------------------------------------ 1. demo --out keeps files


def test_demo_refuses_a_folder_of_the_users_files_and_force_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's folder: an old report.html beside the user's model and thesis."""
    out = tmp_path / "work"
    out.mkdir()
    (out / "report.html").write_text("old report")
    (out / "model.lingrad").write_bytes(b"a trained model")
    (out / "thesis.tex").write_text("\\chapter{Mine}")
    demo = ["demo", "linear-1d", "--quick", "--out", out]
    code, _, err = call(capsys, *demo)
    assert code == 1
    line = one_error_line(err)
    assert "not empty" in line and "--force" in line
    assert (out / "report.html").read_text() == "old report"
    code, _, err = call(capsys, *demo, "--force")
    assert code == 0, err
    assert (out / "thesis.tex").read_text() == "\\chapter{Mine}"
    assert (out / "model.lingrad").read_bytes() == b"a trained model"
    assert (out / "report.html").read_text() != "old report"  # the demo's own
    assert (out / "metrics.json").is_file()
    assert not [p for p in tmp_path.iterdir() if ".lingrad-" in p.name]


def test_demo_force_removes_only_what_lingrad_wrote_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the last run wrote and this one does not is removed; the user's
    files (also in sub-folders) stay, whatever their names."""
    import lingrad.cli.demo as demo_module

    outputs = [{"old.png": "1", "report.html": "r1"}, {"report.html": "r2"}]

    def fake_run(name: str, stage: Path, *args: Any, **kwargs: Any) -> str:
        for file, text in outputs.pop(0).items():
            (stage / file).write_text(text)
        return "report.html"

    monkeypatch.setattr(demo_module, "_run_into", fake_run)
    out = tmp_path / "d"
    assert call(capsys, "demo", "linear-1d", "--out", out)[0] == 0
    (out / "notes").mkdir()
    (out / "notes" / "plan.txt").write_text("mine")
    (out / "old.gif").write_text("mine too")
    code, _, err = call(capsys, "demo", "linear-1d", "--out", out)
    assert code == 1 and "--force" in one_error_line(err)
    assert call(capsys, "demo", "linear-1d", "--out", out, "--force")[0] == 0
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"report.html", "notes/plan.txt", "old.gif"} <= names
    assert "old.png" not in names  # lingrad's, from the run before
    assert (out / "report.html").read_text() == "r2"
    assert (out / "notes" / "plan.txt").read_text() == "mine"


def test_demo_help_says_what_force_replaces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = call(capsys, "demo", "--help")
    text = " ".join(out.replace("│", " ").split())
    assert code == 0 and "--force" in text
    assert "only the files lingrad wrote" in text


# ------------------------------------------------ 2. predict to stdout, FIFOs


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("out", ["/dev/stdout", "-"])
def test_predict_to_stdout_keeps_what_the_redirected_file_holds(
    house_model: Path, tmp_path: Path, out: str
) -> None:
    cmd = " ".join([*CLI, "predict", "-m", str(house_model), "-d", str(NEW)])
    res = shell(f"(echo before; {cmd} --out {out}; echo after) > log", tmp_path)
    assert res.returncode == 0, res.stderr
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[0] == "before" and lines[-1] == "after"
    assert lines[1] == "id,prediction" and len(lines) == 2 + 1 + 12
    assert not (tmp_path / "-").exists()


def test_predict_into_a_fifo_appends_through_the_reader(
    house_model: Path, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe")
    cmd = " ".join([*CLI, "predict", "-m", str(house_model), "-d", str(NEW)])
    script = f"echo before > log; cat pipe >> log & {cmd} --out pipe; wait"
    res = shell(script, tmp_path)
    assert res.returncode == 0, res.stderr
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[:2] == ["before", "id,prediction"] and len(lines) == 14
    assert (tmp_path / "pipe").is_fifo()


# ------------------------------------------- 11. overflow names the file's row


def test_predict_overflow_names_the_file_row_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1e308 in the second batch: the row is the file's, 1-based, with its line."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    train = tmp_path / "train.csv"
    lines = ["a,b,y", *(f"{a},{b},{3 * a + 2 * b}" for a, b in X)]
    train.write_text("\n".join(lines) + "\n")
    out = tmp_path / "m"
    assert call(capsys, "fit", "-d", train, "-t", "y", "-m", "linear", "-o", out,
                *FAST)[0] == 0  # fmt: skip
    n, bad = 70_000, 69_991  # CHUNK_ROWS is 65,536: the row is in batch 2
    big = tmp_path / "big.csv"
    rows = ["1,1"] * n
    rows[bad - 1] = "1e308,1e308"
    big.write_text("a,b\n" + "\n".join(rows) + "\n")
    code, _, err = call(
        capsys, "predict", "-m", out / "model.lingrad", "-d", big, "-o",
        tmp_path / "p.csv",
    )  # fmt: skip
    assert code == 1
    line = one_error_line(err)
    assert str(big) in line and f"row {bad} (line {bad + 1} of the file)" in line
    assert "row 4455" not in line
    assert not (tmp_path / "p.csv").exists()


# ------------------------------------------------------- 13. memory refused


def limited(limit: int) -> Any:
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return set_limit


def run_limited(
    args: list[str], cwd: Path, limit: int = 3 << 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, check=False,
        preexec_fn=limited(limit), env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_fit_refuses_a_network_too_large_for_memory_with_the_numbers(
    tmp_path: Path,
) -> None:
    res = run_limited(
        ["fit", "-d", "sklearn:iris", "-m", "two-layer", "--param",
         "n_hidden=100000000", "-o", "out", *FAST], tmp_path,
    )  # fmt: skip
    assert res.returncode == 1
    line = one_error_line(res.stderr)
    assert re.search(r"needs about [\d.]+ GB", line), line
    assert re.search(r"memory limit .* has [\d.]+ [GM]B free", line), line
    assert "n_hidden" in line
    assert not (tmp_path / "out").exists()


def test_fit_refuses_ten_thousand_text_classes_with_the_numbers(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},c{i % 10_000}" for i, (a, b) in
            enumerate(rng.normal(size=(20_000, 2)))]  # fmt: skip
    (tmp_path / "many.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    res = run_limited(
        ["fit", "-d", "many.csv", "-t", "label", "-m", "softmax", "-o", "out",
         *FAST], tmp_path,
    )  # fmt: skip
    assert res.returncode == 1
    line = one_error_line(res.stderr)
    assert re.search(r"needs about [\d.]+ GB", line) and "10000 classes" in line
    assert not (tmp_path / "out").exists()


def test_estimator_fit_refuses_before_allocating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From Python too: a MemoryError subclass naming the need and what is free."""
    from lingrad.models import TwoLayerNetwork, _memory

    monkeypatch.setattr(_memory, "available", lambda: (1 << 30, "this machine"))
    X = np.zeros((10, 4))
    y = np.arange(10) % 2
    with pytest.raises(MemoryError, match=r"needs about .* GB.* 1.1 GB free"):
        TwoLayerNetwork(n_hidden=10**8).fit(X, y)
    net = TwoLayerNetwork(n_hidden=4, random_state=0).fit(X, y)  # a small one fits
    assert net.coefs_[0].shape == (4, 4)


def test_available_memory_reads_the_system_and_the_limit() -> None:
    from lingrad.models import _memory

    free, where = _memory.available()
    assert free is not None and free > 0 and where


def test_a_memory_error_left_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import lingrad.workflows.memory as train

    def out_of_memory(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("Unable to allocate 8.00 GiB for an array")

    monkeypatch.setattr(train, "fit_in_memory", out_of_memory)
    code, _, err = call(
        capsys, "fit", "-d", "sklearn:iris", "-m", "softmax", "-o", tmp_path / "o",
        *FAST,
    )  # fmt: skip
    assert code == 1
    line = one_error_line(err)
    assert "out of memory" in line and "8.00 GiB" in line
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------- 15. the words


def test_terminal_comparison_says_when_the_penalties_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call(
        capsys, "fit", "-d", "sklearn:breast_cancer", "-m", "logistic", "--scale",
        "--test-size", "0.25", "-o", tmp_path / "o", "--no-figures",
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    at = next(i for i, s in enumerate(lines) if "compare log_loss" in s)
    note = " ".join(lines[at:])
    assert "alpha" in note and "C = 1" in note and "not only by the fit" in note


def test_terminal_comparison_has_no_penalty_note_when_they_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call(
        capsys, "fit", "-d", "sklearn:diabetes", "-m", "linear", "--solver",
        "normal", "--penalty", "none", "-o", tmp_path / "o", "--no-figures",
    )  # fmt: skip
    assert code == 0, err
    assert "compare r2" in out and "Penalties" not in out


def all_commands() -> list[str]:
    from lingrad.cli import _COMMANDS

    return ["", *_COMMANDS]


@pytest.mark.parametrize("command", all_commands())
def test_help_shows_no_value_for_a_flag(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flag takes no value, so the help shows none (``--scale <bool>`` read as
    ``--scale true``, which is an error)."""
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = call(capsys, *([command] if command else []), "--help")
    assert code == 0
    assert "<bool>" not in out
    assert "--help" in out


def test_a_flag_given_a_value_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = call(
        capsys, "fit", "-d", "sklearn:iris", "-m", "softmax", "-o", tmp_path / "o",
        "--scale", "true",
    )  # fmt: skip
    assert code == 2 and "true" in err and "Traceback" not in err
