"""lingrad: linear models and shallow networks trained by hand-derived backprop.

The estimators, ``save``/``load`` and the engine are imported lazily, so that
``import lingrad`` (and the ``lingrad`` command's ``--help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "LinearRegression": "lingrad.models",
    "LogisticRegression": "lingrad.models",
    "BipolarSigmoidClassifier": "lingrad.models",
    "Perceptron": "lingrad.models",
    "MulticlassPerceptron": "lingrad.models",
    "SoftmaxRegression": "lingrad.models",
    "TwoLayerNetwork": "lingrad.models",
    "ResidualNetwork": "lingrad.models",
    "save": "lingrad.persist.modelfile",
    "load": "lingrad.persist.modelfile",
    "read_meta": "lingrad.persist.modelfile",
    "Chain": "lingrad.core.chain",
    "Trainer": "lingrad.training.train",
    "DivergenceError": "lingrad.training.train",
    "History": "lingrad.training.history",
    "gradcheck": "lingrad.core.gradcheck",
    "LingradError": "lingrad.errors",
    "summary": "lingrad.inference",
    "Playground": "lingrad.notebook.widget",  # pip install lingrad[notebook]
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lingrad' has no attribute {name!r}")
    module = import_module(_EXPORTS[name])
    value = module if name == "gradcheck" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
