"""The lectures' settings that the demos, ``lingrad explain`` and ``lingrad
gradcheck`` share, so that each shows the same model: the data and learning rate of
each model's lecture, and the hidden widths of the two networks.

>>> HIDDEN["two-layer"], HIDDEN["residual"]
(8, 3)
"""

from __future__ import annotations

__all__ = ["EXPLAIN", "HIDDEN", "model_settings"]

# model -> (the lecture's data for it, the lecture's learning rate)
EXPLAIN: dict[str, tuple[str, float]] = {
    "linear": ("synthetic:linear-1d", 0.01),
    "logistic": ("synthetic:logistic-1d", 0.1),
    "bipolar": ("synthetic:bipolar", 0.1),
    "perceptron": ("synthetic:perceptron", 1.0),
    "multiclass-perceptron": ("synthetic:blobs", 1.0),
    "softmax": ("synthetic:blobs", 0.1),
    "two-layer": ("synthetic:moons", 0.1),
    "residual": ("synthetic:residual", 0.1),
}

# hidden units: the notes' ANN demo (two-layer) and homework Problem 7's M (residual)
HIDDEN: dict[str, int] = {"two-layer": 8, "residual": 3}


def model_settings(model: str) -> dict[str, int]:
    """Estimator parameters that make ``model`` the lectures' (its hidden width)."""
    return {"n_hidden": HIDDEN[model]} if model in HIDDEN else {}
