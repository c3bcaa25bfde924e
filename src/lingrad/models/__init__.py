"""scikit-learn compatible estimators, one file per family of the lectures.

Imported lazily: ``from lingrad.models import LinearRegression`` loads only the
linear family's module (loading a model file imports only what it holds).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_MODULES = {
    "BipolarSigmoidClassifier": "bipolar",
    "LinearRegression": "linear",
    "LogisticRegression": "logistic",
    "MulticlassPerceptron": "perceptron",
    "Perceptron": "perceptron",
    "ResidualNetwork": "residual",
    "SoftmaxRegression": "softmax",
    "TwoLayerNetwork": "network",
}

__all__ = [
    "BipolarSigmoidClassifier",
    "LinearRegression",
    "LogisticRegression",
    "MulticlassPerceptron",
    "Perceptron",
    "ResidualNetwork",
    "SoftmaxRegression",
    "TwoLayerNetwork",
]

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.models.bipolar import BipolarSigmoidClassifier
    from lingrad.models.linear import LinearRegression
    from lingrad.models.logistic import LogisticRegression
    from lingrad.models.network import TwoLayerNetwork
    from lingrad.models.perceptron import MulticlassPerceptron, Perceptron
    from lingrad.models.residual import ResidualNetwork
    from lingrad.models.softmax import SoftmaxRegression


def __getattr__(name: str) -> type[GradientEstimator]:
    if name not in _MODULES:
        raise AttributeError(f"module 'lingrad.models' has no attribute {name!r}")
    value: type[GradientEstimator] = getattr(
        import_module(f"lingrad.models.{_MODULES[name]}"), name
    )
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
