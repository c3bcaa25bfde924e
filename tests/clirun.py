"""The ``lingrad`` command run in this process, as the CLI tests call it."""

from __future__ import annotations

import pytest

from lingrad.cli import main


def explain(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``lingrad explain ARGV``: (exit code, stdout, stderr)."""
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err
