"""What the page may set, checked field by field: data, model, training, presets.

Every value arrives from the browser as text. :func:`parse` turns a dict of them
into :class:`Settings` or raises :class:`SettingsError`, whose ``errors`` map each
bad field to a sentence the page shows beside it (what is wrong, what to do).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lingrad.data.lectures import HIDDEN
from lingrad.models.registry import MODELS

MAX_ROWS = 5000  # rows a generator may draw (the page stays responsive)
SPEEDS = ("1", "10", "100", "1000", "max")  # steps per second while playing
SCHEDULES = ("constant", "invscaling", "step", "exponential")
OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
PENALTIES = ("none", "l1", "l2", "elasticnet")
ITERATIVE = ("sgd", "minibatch", "batch")
GENERATORS = (  # lingrad.data.datasets.SYNTHETIC names, aliases left out
    "linear-1d", "linear-nd", "logistic-1d", "logistic-nd", "perceptron", "blobs",
    "xor", "moons", "bipolar", "residual",
)  # fmt: skip
SKLEARN_SETS = ("iris", "wine", "breast_cancer", "digits", "diabetes")
_LIMITS = {  # generator parameter -> (low, high), both inclusive
    "n": (2, MAX_ROWS),
    "n_features": (1, 20),
    "n_classes": (2, 10),
    "n_hidden": (1, 20),
    "seed": (0, 2**31 - 1),
    "noise": (0.0, 100.0),
    "spread": (0.0, 100.0),
    "margin": (0.0, 100.0),
    "t_w": (-1e3, 1e3),
    "t_b": (-1e3, 1e3),
}


class SettingsError(ValueError):
    """Bad values from the page: ``errors`` maps field name -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Settings:
    """One run's choices. ``data`` is ``synthetic:NAME``, ``sklearn:NAME`` or
    ``upload``; ``gen`` holds the generator's parameters."""

    data: str = "synthetic:linear-1d"
    gen: dict[str, float] = field(default_factory=dict)
    target: str | None = None  # uploaded CSV: the target column
    scale: bool = False
    model: str = "linear"
    solver: str = "sgd"
    lr: float = 0.01
    schedule: str = "constant"
    optimizer: str = "gd"
    batch_size: int = 8
    penalty: str = "none"
    alpha: float = 1e-4
    loss: str = "squared_error"  # one of losses(model); "" for a model without
    n_hidden: int = 8
    shuffle: bool = False
    seed: int = 0
    init: str = "lecture"  # "lecture": the lecture's initial values where drawn
    speed: str = "100"

    def estimator_params(self) -> dict[str, object]:
        """Hyperparameters for the estimator (``lingrad fit``'s names)."""
        params: dict[str, object] = {
            "solver": self.solver,
            "lr": self.lr,
            "schedule": self.schedule,
            "optimizer": self.optimizer,
            "batch_size": self.batch_size,
            "penalty": self.penalty,
            "alpha": self.alpha,
            "shuffle": self.shuffle,
            "random_state": self.seed,
        }
        if self.model in ("two-layer", "residual"):
            params["n_hidden"] = self.n_hidden
        if self.loss:
            params["loss"] = self.loss
        return params


def generator_params(name: str) -> dict[str, float]:
    """The parameters of generator ``name`` with their defaults."""
    from lingrad.data.datasets import SYNTHETIC

    sig = inspect.signature(SYNTHETIC[name])
    return {k: p.default for k, p in sig.parameters.items()}


def solvers(model: str, loss: str = "") -> tuple[str, ...]:
    """The solvers model ``model`` allows (with ``loss``: the normal equation
    solves the squared error only): the iterative ones first."""
    allowed = MODELS[model].cls().solver_options()
    if loss not in ("", "squared_error"):
        allowed = tuple(s for s in allowed if s != "normal")
    return tuple(s for s in (*ITERATIVE, "normal", "lbfgs", "newton") if s in allowed)


def _with_loss(settings: Settings) -> str:
    default = losses(settings.model)[:1]
    return "" if settings.loss in ("", *default) else f" with loss {settings.loss!r}"


# what the page calls each loss an estimator's ``loss`` may name
LOSS_WORDS = {
    "squared_error": "squared error",
    "huber": "Huber (squared near the fit, absolute beyond epsilon)",
    "log": "cross-entropy (log loss)",
    "squared": "squared error (Lecture 7's mse)",
    "perceptron": "perceptron criterion",
    "hinge": "hinge (a linear SVM with the L2 penalty)",
}


def losses(model: str) -> tuple[str, ...]:
    """The losses model ``model`` may train with, its default first (() when its
    estimator has no ``loss``)."""
    return MODELS[model].cls().loss_options()


def _settle_loss(settings: Settings) -> Settings:
    """``settings`` with the model's default loss where its loss does not apply."""
    allowed = losses(settings.model)
    if settings.loss in allowed or (not allowed and not settings.loss):
        return settings
    return replace(settings, loss=allowed[0] if allowed else "")


# ---------------------------------------------------------------- parsing


def _number(text: object, kind: type[int] | type[float], name: str) -> float:
    """``text`` as int or float; ValueError with the page's sentence."""
    s = str(text).strip()
    if not s:
        raise ValueError("is empty; enter a number")
    try:
        value: float = kind(float(s)) if kind is int and s.endswith(".0") else kind(s)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{s!r} is not {what}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{s!r} is not a finite number")
    return value


def _bool(text: object) -> bool:
    return str(text).strip().lower() in ("1", "true", "on", "yes")


def _in_range(value: float, low: float, high: float, name: str) -> None:
    if not low <= value <= high:
        raise ValueError(f"must be between {low:g} and {high:g} (got {value:g})")


def parse(given: Mapping[str, object], base: Settings | None = None) -> Settings:
    """``base`` (default: the defaults) with the page's values applied and checked."""
    base = base or Settings()
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}  # field -> its checked value, for replace(**out)

    def take(name: str, convert: Callable[[object], object]) -> None:
        if name not in given:
            return
        try:
            out[name] = convert(given[name])
        except ValueError as e:
            errors[name] = str(e)

    take("data", _data_name)
    take("target", lambda v: (str(v).strip() or None) if v is not None else None)
    take("scale", _bool)
    take("model", lambda v: _choice(v, MODELS, "model"))
    take("shuffle", _bool)
    take("init", lambda v: _choice(v, ("lecture", "random"), "initial values"))
    take("lr", _positive)
    take("alpha", _non_negative)
    take("batch_size", lambda v: _bounded_int(v, 1, 100_000))
    take("n_hidden", lambda v: _bounded_int(v, 1, 64))
    take("seed", lambda v: _bounded_int(v, 0, 2**31 - 1))
    take("schedule", lambda v: _choice(v, SCHEDULES, "schedule"))
    take("optimizer", lambda v: _choice(v, OPTIMIZERS, "optimizer"))
    take("penalty", lambda v: _choice(v, PENALTIES, "penalty"))
    take("speed", lambda v: _choice(v, SPEEDS, "speed"))
    settings = replace(base, **out)
    gen = dict(settings.gen) if "data" not in out else {}
    if settings.data.startswith("synthetic:"):
        defaults = generator_params(settings.data.split(":", 1)[1])
        gen = {k: gen.get(k, v) for k, v in defaults.items()}
        for key, default in defaults.items():
            if f"gen.{key}" not in given:
                continue
            try:
                value = _number(given[f"gen.{key}"], type(default), key)
                _in_range(value, *_LIMITS.get(key, (-1e6, 1e6)), key)
                gen[key] = value
            except ValueError as e:
                errors[f"gen.{key}"] = str(e)
    else:
        gen = {}
    settings = replace(settings, gen=gen)
    new_model = settings.model != base.model  # the old model's loss may not apply
    if "loss" in given and not (new_model and given["loss"] == base.loss):
        loss, allowed = str(given["loss"]).strip(), losses(settings.model)
        if loss not in allowed:
            these = ", ".join(allowed) or "its one loss"
            errors["loss"] = f"{settings.model!r} trains with {these}; not {loss!r}"
        else:
            settings = replace(settings, loss=loss)
    else:
        settings = _settle_loss(settings)
    if "solver" in given:
        solver = str(given["solver"]).strip()
        allowed = solvers(settings.model, settings.loss)
        if solver not in allowed:
            errors["solver"] = (
                f"{settings.model!r}{_with_loss(settings)} trains with "
                f"{', '.join(allowed)}; not {solver!r}"
            )
        else:
            settings = replace(settings, solver=solver)
    elif settings.solver not in solvers(settings.model, settings.loss):
        settings = replace(settings, solver="sgd")
    if settings.data == "upload" and not settings.target and "data" in given:
        errors.setdefault("target", "choose the target column of the uploaded CSV")
    if errors:
        raise SettingsError(errors)
    return settings


def _data_name(text: object) -> str:
    s = str(text).strip()
    source, _, key = s.partition(":")
    if s == "upload" or (source == "synthetic" and key in GENERATORS):
        return s
    if source == "sklearn" and key in SKLEARN_SETS:
        return s
    raise ValueError(f"unknown data {s!r}")


def _choice(text: object, allowed: Collection[str], what: str) -> str:
    s = str(text).strip()
    if s not in allowed:
        raise ValueError(f"unknown {what} {s!r}; choose one of {', '.join(allowed)}")
    return s


def _positive(text: object) -> float:
    value = float(_number(text, float, "lr"))
    if not value > 0:
        raise ValueError(
            f"must be greater than 0 (got {value:g}); a step goes against the "
            "gradient by lr times its size, e.g. 0.01"
        )
    return value


def _non_negative(text: object) -> float:
    value = float(_number(text, float, "alpha"))
    if value < 0:
        raise ValueError(f"must be 0 or more (got {value:g})")
    return value


def _bounded_int(text: object, low: int, high: int) -> int:
    value = int(_number(text, int, ""))
    _in_range(value, low, high, "")
    return value


# ---------------------------------------------------------------- presets

# name (as the demo) -> (what it shows, its Settings fields, for replace(**))
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "linear-1d": (
        "Lecture 4: per-sample SGD fits y = 5x - 3 from the lecture's data and start, "
        "lr = 0.01 in the derivation's update w := w - lr dJ/dw (the listing's "
        "w - 2*lr*dJ_dw is lr = 0.02)",
        {"data": "synthetic:linear-1d", "model": "linear", "lr": 0.01},
    ),
    "linear-nd": (
        "Lecture 4: per-sample SGD on 3 features; weights reach the truth",
        {"data": "synthetic:linear-nd", "model": "linear", "lr": 0.1},
    ),
    "gd-variants": (
        "Lecture 7: minibatch descent (m = 8) on y = 5x - 3; try sgd and batch",
        {
            "data": "synthetic:linear-1d",
            "model": "linear",
            "solver": "minibatch",
            "lr": 0.05,
            "shuffle": True,
        },
    ),
    "normal-equation": (
        "Homework Problem 4: batch descent towards the normal equation's optimum",
        {
            "data": "synthetic:linear-nd",
            "gen": {"noise": 0.5},
            "model": "linear",
            "solver": "batch",
            "lr": 0.1,
        },
    ),
    "logistic-1d": (
        "Lecture 4: per-sample SGD of sigmoid(wx + b) on 500 points",
        {"data": "synthetic:logistic-1d", "model": "logistic", "lr": 0.1},
    ),
    "logistic-nd": (
        "Lecture 4: logistic regression on 3 features, accuracy rising",
        {"data": "synthetic:logistic-nd", "model": "logistic", "lr": 0.1},
    ),
    "logistic-mse-vs-bce": (
        "Lecture 7: the sigmoid with squared error; switch the loss to compare",
        {
            "data": "synthetic:logistic-1d",
            "model": "logistic",
            "loss": "squared",
            "lr": 0.5,
        },
    ),
    "regularization": (
        "Homework Problem 2: L2-penalised logistic regression, batch descent",
        {
            "data": "synthetic:logistic-nd",
            "model": "logistic",
            "solver": "batch",
            "lr": 0.5,
            "penalty": "l2",
            "alpha": 0.01,
        },
    ),
    "bipolar-sigmoid": (
        "Homework Problem 3: bipolar sigmoid with squared error on ±1 labels",
        {"data": "synthetic:bipolar", "model": "bipolar", "lr": 0.1},
    ),
    "perceptron": (
        "Notes: the perceptron rule on separable 2-D data",
        {"data": "synthetic:perceptron", "model": "perceptron", "lr": 1.0},
    ),
    "multiclass-perceptron": (
        "Notes: the multi-class perceptron on three blobs",
        {
            "data": "synthetic:blobs",
            "model": "multiclass-perceptron",
            "lr": 1.0,
            "shuffle": True,
        },
    ),
    "softmax": (
        "Notes: softmax regression with cross-entropy on three blobs",
        {"data": "synthetic:blobs", "model": "softmax", "lr": 0.1, "shuffle": True},
    ),
    "two-layer": (
        "Notes (ANN): a sigmoid hidden layer learns the moons",
        {
            "data": "synthetic:moons",
            "model": "two-layer",
            "solver": "minibatch",
            "lr": 1.0,
            "batch_size": 16,
            "shuffle": True,
            "n_hidden": HIDDEN["two-layer"],
        },
    ),
    "residual": (
        "Homework Problem 7: the residual network, batch descent",
        {
            "data": "synthetic:residual",
            "model": "residual",
            "solver": "batch",
            "lr": 1.0,
            "n_hidden": HIDDEN["residual"],
        },
    ),
}
DEFAULT_PRESET = "linear-1d"


def preset(name: str) -> Settings:
    """The settings of preset ``name`` (KeyError if unknown)."""
    values = dict(PRESETS[name][1])
    gen = values.pop("gen", {})
    base = parse({"data": values.pop("data")})
    settings = _settle_loss(replace(base, **values))
    return replace(settings, gen={**settings.gen, **gen})
