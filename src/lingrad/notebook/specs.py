"""A model by its lecture name (``"logistic"``) or by an unfitted estimator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lingrad.errors import LingradError

if TYPE_CHECKING:
    from lingrad.models.registry import ModelSpec


def spec_of(model: object) -> ModelSpec:
    """The :class:`lingrad.models.registry.ModelSpec` of a model name or estimator."""
    from lingrad.models.registry import MODELS

    if isinstance(model, str):
        key = model.strip().lower().replace("_", "-")
        for spec in MODELS.values():
            if key in (spec.name, spec.class_name.lower()):
                return spec
        raise LingradError(
            f"unknown model {model!r}; choose one of: {', '.join(MODELS)}, or "
            "pass an unfitted lingrad estimator"
        )
    for spec in MODELS.values():
        if spec.class_name == type(model).__name__:
            return spec
    raise LingradError(
        f"{type(model).__name__} is not a lingrad estimator; pass one of "
        f"lingrad's ({', '.join(s.class_name for s in MODELS.values())}) or a name"
    )
