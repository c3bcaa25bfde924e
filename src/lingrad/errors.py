"""Errors and warnings that lingrad raises for bad input: one line, what and where."""

from __future__ import annotations

__all__ = [
    "ConstantFeatureWarning",
    "DataError",
    "InvalidParameterError",
    "LingradError",
    "ModelFileError",
    "ModelFileWarning",
    "UnusedParameterWarning",
    "UsageError",
]


class LingradError(Exception):
    """Base of every error lingrad raises on purpose.

    The message is one line that names the file (and column and row where that
    applies), what is wrong, and what to do about it. The CLI prints it without a
    traceback.
    """


class DataError(LingradError, ValueError):
    """A data file or array cannot be used: missing, malformed, non-numeric, ..."""


class InvalidParameterError(LingradError, ValueError, TypeError):
    """A hyperparameter's value is not one it may take (``alpha=-1``, ``lr=0``):
    raised by ``fit`` before training; a ValueError and a TypeError, as
    scikit-learn's ``InvalidParameterError``."""


class ModelFileError(LingradError, ValueError):
    """A model file cannot be written or read back safely."""


class UsageError(LingradError):
    """An option given a value it may not take, or a combination of options that
    exclude each other; ``option`` names it (``"--lr"``), or is None. The CLI
    reports it as a usage error (exit 2)."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class ConstantFeatureWarning(UserWarning):
    """A feature column holds one value only; it carries no information."""


class ModelFileWarning(UserWarning):
    """A model file loaded, but without a part it held (e.g. its training History)."""


class UnusedParameterWarning(UserWarning):
    """A hyperparameter was set that the chosen solver does not use (e.g. ``lr``
    with ``solver="lbfgs"``); the fit ignores it."""
