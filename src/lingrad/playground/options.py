"""The choices the page offers, sent once per session: data, models, presets."""

from __future__ import annotations

from lingrad.models.registry import MODELS
from lingrad.playground import settings as opts
from lingrad.playground.data import MAX_UPLOAD_BYTES


def options() -> dict[str, object]:
    """Everything the page's selects and fields are built from."""
    from lingrad.data.datasets import SYNTHETIC

    generators = []
    for name in opts.GENERATORS:
        doc = (SYNTHETIC[name].__doc__ or "").strip().splitlines()[0]
        generators.append(
            {
                "value": f"synthetic:{name}",
                "text": f"{name}: {doc}",
                "params": opts.generator_params(name),
            }  # fmt: skip
        )
    return {
        "presets": [{"value": k, "text": v[0]} for k, v in opts.PRESETS.items()],
        "generators": generators,
        "sklearn": [{"value": f"sklearn:{k}", "text": k} for k in opts.SKLEARN_SETS],
        "models": [
            {
                "value": m.name,
                "text": m.summary,
                "task": m.task,
                "solvers": list(opts.solvers(m.name)),
                "losses": [
                    {"value": k, "text": opts.LOSS_WORDS.get(k, k)}
                    for k in opts.losses(m.name)
                ],
                "equation": m.equation,
            }  # fmt: skip
            for m in MODELS.values()
        ],
        "schedules": list(opts.SCHEDULES),
        "optimizers": list(opts.OPTIMIZERS),
        "penalties": list(opts.PENALTIES),
        "speeds": list(opts.SPEEDS),
        "upload_mib": MAX_UPLOAD_BYTES // 2**20,
    }
