"""The model names: each estimator's short name, task and equation.

``MODELS`` maps ``lingrad fit --model`` names (and the playground's) to a
:class:`ModelSpec`; the estimator class is imported only when asked for.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lingrad.errors import UsageError

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

__all__ = ["MODELS", "ModelSpec", "model_spec"]


@dataclass(frozen=True)
class ModelSpec:
    """A model name: its estimator class, task and equation."""

    name: str
    class_name: str
    task: str  # "regression" | "binary" (two classes only) | "classification"
    equation: str
    summary: str

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    def cls(self) -> type[GradientEstimator]:
        """The estimator class (imports lingrad.models, hence scikit-learn)."""
        import lingrad.models

        found: type[GradientEstimator] = getattr(lingrad.models, self.class_name)
        return found

    def for_loss(self, loss: object) -> ModelSpec:
        """This model trained with ``loss`` (an estimator's ``loss`` parameter):
        the summary and the J line name that loss (itself for the default)."""
        words = _LOSS_WORDS.get((self.name, str(loss)))
        if words is None:
            return self
        summary, J = words
        first = self.equation.splitlines()[0]
        name = self.summary.split(" (")[0]
        return replace(self, summary=f"{name} ({summary})", equation=f"{first}\n{J}")


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "linear",
            "LinearRegression",
            "regression",
            "pred = X @ W + b\nJ = mean (y - pred)^2",
            "linear regression (squared error)",
        ),
        ModelSpec(
            "logistic",
            "LogisticRegression",
            "classification",
            "z = X @ W + b;  pred = sigmoid(z) = 1 / (1 + exp(-z))\n"
            "J = mean -[y log pred + (1 - y) log(1 - pred)]  (one-vs-rest for K > 2)",
            "logistic regression (binary cross-entropy)",
        ),
        ModelSpec(
            "bipolar",
            "BipolarSigmoidClassifier",
            "classification",
            "z = X @ W + b;  pred = (1 - exp(-z)) / (1 + exp(-z))\n"
            "J = mean 1/2 (pred - y)^2,  y in {-1, +1}  (one-vs-rest for K > 2)",
            "bipolar-sigmoid classifier (outputs in [-1, 1])",
        ),
        ModelSpec(
            "perceptron",
            "Perceptron",
            "binary",
            "z = X @ W + b;  pred = [z >= 0]\n"
            "J = sum (h - y) z,  h = [z >= 0]  (the perceptron rule)",
            "perceptron (hard threshold, perceptron criterion)",
        ),
        ModelSpec(
            "multiclass-perceptron",
            "MulticlassPerceptron",
            "classification",
            "s = X @ W + b;  pred = argmax_k s_k\nJ = sum max_k s_k - s_y",
            "multiclass perceptron (one score per class)",
        ),
        ModelSpec(
            "softmax",
            "SoftmaxRegression",
            "classification",
            "z = X @ W + b;  q = softmax(z)\nJ = mean -sum_k y_k log q_k",
            "softmax regression (cross-entropy)",
        ),
        ModelSpec(
            "two-layer",
            "TwoLayerNetwork",
            "classification",
            "h = sigmoid(X @ W + b);  q = softmax(h @ V + c)\n"
            "J = mean -sum_k y_k log q_k",
            "two-layer network (sigmoid hidden layer, softmax output)",
        ),
        ModelSpec(
            "residual",
            "ResidualNetwork",
            "binary",
            "z = sigmoid(X @ W0);  h = X + sigmoid(z @ W1);  g = sigmoid(h @ w2)\n"
            "J = mean 1/2 (g - y)^2",
            "residual network of homework Problem 7",
        ),
    )
}
# (model, loss) -> (the loss in words, its J line), for the losses a model may
# train with besides its default (whose words are the spec's own)
_LOSS_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("linear", "huber"): (
        "Huber loss",
        "J = mean H(y - pred),  H(r) = 1/2 r^2 if |r| <= epsilon "
        "else epsilon |r| - 1/2 epsilon^2",
    ),
    ("logistic", "squared"): (
        "squared error after the sigmoid",
        "J = mean 1/2 (pred - y)^2  (one-vs-rest for K > 2)",
    ),
    ("perceptron", "hinge"): (
        "hard threshold, hinge loss: a linear SVM with the L2 penalty",
        "J = sum max(0, 1 - t z),  t = 2 y - 1",
    ),
}
_BY_CLASS = {spec.class_name: spec for spec in MODELS.values()}


def model_spec(name: str) -> ModelSpec:
    """The spec of a model name (or class name); :class:`UsageError` otherwise."""
    key = name.strip().lower().replace("_", "-")
    if key in MODELS:
        return MODELS[key]
    if name in _BY_CLASS:
        return _BY_CLASS[name]
    close = difflib.get_close_matches(key, list(MODELS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UsageError(
        f"unknown model {name!r}; {hint}choose one of: {', '.join(MODELS)}", "--model"
    )
