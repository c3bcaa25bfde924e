"""Output folders are all-or-nothing (issue 14): a reader finds the old set of files
or the new one, never a mix, whatever happens to ``lingrad fit`` (an error,
Ctrl-C, kill -9, a second run on the same folder); ``--force`` replaces the whole
folder; modes follow the umask.

In-process runs go through ``main(argv)``; signals and kills need a real process
(``python -m lingrad.cli``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lingrad.cli import main

FAST = ["--no-figures", "--no-compare"]


@pytest.fixture
def lingrad(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``main(argv)``: exit code and captured stdout / stderr."""

    def call(*argv: object) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.5, -2.0] + 0.3 + 0.1 * rng.normal(size=60)
    path = tmp_path_factory.mktemp("data") / "d.csv"
    lines = ["a,b,y"] + [
        f"{a:.6f},{b:.6f},{v:.6f}" for (a, b), v in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".lingrad-" in p.name)


def test_non_empty_out_is_refused_and_force_replaces_all_of_it(
    data: Path, tmp_path: Path, lingrad
) -> None:
    out = tmp_path / "run"
    fit = ["fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, "--no-compare"]
    assert lingrad(*fit)[0] == 0
    first = snapshot(out)
    assert any(name.endswith(".png") for name in first)
    code, _, err = lingrad(*fit, "--seed", "3")
    assert code == 1 and "output folder" in err and "--force" in err
    assert snapshot(out) == first  # untouched
    (out / "notes.txt").write_text("mine")
    code, _, err = lingrad(*fit, "--no-figures", "--force")
    assert code == 0, err
    names = set(snapshot(out))
    assert names == {"model.lingrad", "metrics.json", "report.html"}  # no stale PNGs
    assert leftovers(tmp_path) == []


def test_a_folder_named_report_html_leaves_the_old_set_whole(
    data: Path, tmp_path: Path, lingrad
) -> None:
    out = tmp_path / "run"
    (out / "report.html").mkdir(parents=True)
    (out / "model.lingrad").write_text("old")
    before = snapshot(out)
    args = ["fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, *FAST]
    code, _, err = lingrad(*args)
    assert code == 1 and "not empty" in err
    assert snapshot(out) == before and (out / "report.html").is_dir()
    code, _, err = lingrad(*args, "--force")
    assert code == 0, err
    assert (out / "report.html").is_file()
    assert json.loads((out / "metrics.json").read_text())["model"] == "linear"


def test_out_as_a_symlink_replaces_the_folder_it_points_to(
    data: Path, tmp_path: Path, lingrad
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "old.txt").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    args = ["fit", "-d", data, "-t", "y", "-m", "linear", "-o", link, *FAST]
    code, _, err = lingrad(*args, "--force")
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in real.iterdir()) == [
        "metrics.json", "model.lingrad", "report.html",
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_folders_and_files_follow_the_umask(
    data: Path, tmp_path: Path, lingrad
) -> None:
    old = os.umask(0o027)
    try:
        out = tmp_path / "new" / "run"
        code, _, err = lingrad(
            "fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, "--no-compare"
        )
        assert code == 0, err
    finally:
        os.umask(old)
    for folder in (out, out.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    files = [p for p in out.iterdir()]
    assert len(files) >= 4
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p.name


def test_a_second_run_on_the_same_out_fails_fast(
    data: Path, tmp_path: Path, lingrad
) -> None:
    from lingrad.workflows.staging import staged_output

    out = tmp_path / "run"
    with staged_output(out) as stage:  # a run in progress holds the lock
        (stage / "model.lingrad").write_text("in progress")
        code, _, err = lingrad(
            "fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, *FAST
        )
        assert code == 1
        assert f"another lingrad run (pid {os.getpid()}) is writing to" in err
    assert (out / "model.lingrad").read_text() == "in progress"
    assert leftovers(tmp_path) == []


def test_leftovers_of_killed_runs_are_cleaned_and_a_moved_set_restored(
    data: Path, tmp_path: Path, lingrad
) -> None:
    stage = tmp_path / ".run.lingrad-stage-k9k9k9k9"
    (stage / "sub").mkdir(parents=True)
    (stage / "sub" / "model.lingrad").write_text("half")
    old = tmp_path / ".run.lingrad-old-abcd1234"  # moved aside, then killed
    old.mkdir()
    (old / "notes.txt").write_text("the old set")
    (tmp_path / ".run.lingrad-lock").write_text("12345\n")  # a dead run's lock
    (tmp_path / ".other.lingrad-stage-zzzzzzzz").mkdir()  # another folder's: kept
    out = tmp_path / "run"
    code, _, err = lingrad(
        "fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, *FAST
    )
    assert code == 1 and "not empty (notes.txt)" in err  # the old set is back
    code, _, err = lingrad(
        "fit", "-d", data, "-t", "y", "-m", "linear", "-o", out, "--force", *FAST
    )
    assert code == 0, err
    assert leftovers(tmp_path) == [".other.lingrad-stage-zzzzzzzz"]


def test_out_as_the_current_folder_is_written_in_place(
    data: Path, tmp_path: Path, lingrad, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, _, err = lingrad(
        "fit", "-d", data, "-t", "y", "-m", "linear", "-o", ".", *FAST
    )
    assert code == 0, err
    assert sorted(p.name for p in here.iterdir()) == [
        "metrics.json", "model.lingrad", "report.html",
    ]  # fmt: skip
    code, _, err = lingrad(
        "fit", "-d", data, "-t", "y", "-m", "linear", "-o", ".", "--force", *FAST
    )
    assert code == 1 and "the current folder" in err


# -------------------------------------------------------------- real processes


def start_fit(
    cwd: Path, data: Path, *extra: str, quiet: bool = False
) -> subprocess.Popen[str]:
    pipe = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "lingrad.cli", "fit", "-d", str(data), "-t", "y",
         "-m", "linear", "-o", "run", *FAST, *extra],
        cwd=cwd, stdout=pipe, stderr=pipe, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> str:
    """Wait for ``proc`` to exit 0; its stderr."""
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return err


def wait_for(predicate, proc: subprocess.Popen[str], timeout: float = 60) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` every 2 ms until true or the process ends."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def stages(parent: Path) -> list[Path]:
    return sorted(parent.glob(".run.lingrad-stage-*"))


SLOW = [  # about 0.7 s of per-sample SGD
    "--solver", "sgd", "--lr", "0.001", "--max-iter", "100", "--tol", "0",
    "--param", "n_iter_no_change=1000000",
]  # fmt: skip


def test_kill_9_during_training_or_publishing_leaves_the_old_or_the_new_set(
    data: Path, tmp_path: Path
) -> None:
    """Ten fits --force killed at random points: after each, ``run/`` holds
    exactly the previous set (byte for byte) or a complete new one."""
    rng = random.Random(0)
    out = tmp_path / "run"
    finish(start_fit(tmp_path, data, "--seed", "100", *SLOW))
    old = snapshot(out)
    outcomes = []
    for trial in range(10):
        seed = str(trial)
        proc = start_fit(tmp_path, data, "--force", "--seed", seed, *SLOW, quiet=True)
        assert wait_for(lambda: bool(stages(tmp_path)), proc)
        if trial % 2:  # while publishing: the last file of the stage is written
            wait_for(
                lambda: any((s / "report.html").exists() for s in stages(tmp_path)),
                proc,
            )
            time.sleep(rng.uniform(0, 0.004))
        else:  # while reading or training
            time.sleep(rng.uniform(0, 0.8))
        proc.kill()
        proc.wait()
        now = snapshot(out)
        if now == old:
            outcomes.append("old")
            continue
        assert set(now) == set(old)  # complete: the same files
        assert all(now[k] != old[k] for k in now), "a mix of old and new files"
        doc = json.loads((out / "metrics.json").read_text())
        assert doc["hyperparams"]["random_state"] == trial
        from lingrad import read_meta

        assert read_meta(out / "model.lingrad")["seed"] == trial
        outcomes.append("new")
        old = now
    assert "old" in outcomes  # some kills landed before the publish
    finish(start_fit(tmp_path, data, "--force", "--seed", "99"))
    assert leftovers(tmp_path) == []  # the killed runs' temp folders are gone


def test_ctrl_c_during_fit_exits_130_and_leaves_nothing(
    data: Path, tmp_path: Path
) -> None:
    proc = start_fit(tmp_path, data, *SLOW, "--max-iter", "100000")
    assert wait_for(lambda: bool(stages(tmp_path)), proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "lingrad: error: interrupted"
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_ctrl_c_a_library_swallows_still_publishes_nothing(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """pyarrow catches every exception of an import it tries (pandas, lazily):
    a Ctrl-C landing there is swallowed, yet the fit must not publish its run."""
    import lingrad.data.columns as columns

    real = columns.missing_cells

    def swallowing(col):  # the Ctrl-C arrives inside a library that eats it
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):  # the handler runs between bytecodes
                time.sleep(0.001)
        except BaseException:
            pass
        return real(col)

    monkeypatch.setattr(columns, "missing_cells", swallowing)
    monkeypatch.chdir(tmp_path)
    code = main(["fit", "-d", str(data), "-t", "y", "-m", "linear", "-o", "run",
                 *FAST])  # fmt: skip
    assert code == 130
    assert capsys.readouterr().err.strip().endswith("lingrad: error: interrupted")
    assert not (tmp_path / "run").exists()
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_demo_all_exits_130_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lingrad.cli", "demo", "all", "--quick", "--out",
         "runs"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    runs = tmp_path / "runs"
    assert wait_for(
        lambda: runs.is_dir() and any(runs.glob(".*.lingrad-stage-*/*.png")), proc
    )
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "lingrad: error: interrupted" in err
    assert list(tmp_path.iterdir()) == []
