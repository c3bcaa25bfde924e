"""lingrad's estimators in a model file: shape templates, fitted and training state.

:data:`SHAPES` gives each class's arrays in D = ``n_features_in_``, C =
``len(classes_)``, K (one-vs-rest sigmoids: 1 for two classes, else C) and the
hidden width H. The training state is the public ``training_state()`` (step,
epoch, the generator's PCG64 state in hex, the optimizer's and schedule's
``state_dict()``; a 0.2 file's ``vars`` are read too), handed back to
``restore_fitted`` so ``load(f).partial_fit(X, y)`` takes the original's step.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import numpy as np

from lingrad.errors import ModelFileError, ModelFileWarning
from lingrad.models.params import check_params
from lingrad.persist._safezip import fail, within
from lingrad.persist._values import (
    ArrayValue,
    Decoder,
    HistoryRef,
    Json,
    Node,
    Template,
    arr,
    is_array_like,
)  # fmt: skip

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator
    from lingrad.persist._loader import Rules
    from lingrad.persist.modelfile import Writer
    from lingrad.training.history import History

__all__ = [
    "ATTRS", "FINITE", "build_history", "check", "decode_trainer", "finish",
    "state_of", "trainer_state",
]  # fmt: skip

FINITE = ("coef_", "intercept_", "coefs_", "intercepts_")
ATTRS = frozenset({
    "coef_", "intercept_", "coefs_", "intercepts_", "classes_", "n_features_in_",
    "feature_names_in_", "n_iter_", "t_", "loss_curve_", "history_", "solver_info_",
})  # fmt: skip
_BINARY = ("Perceptron", "ResidualNetwork")
_SIGMOIDS = ("LogisticRegression", "BipolarSigmoidClassifier")  # K = 1 if C == 2
_LINEAR: Template = {"coef_": arr("K", "D"), "intercept_": arr("K")}
_SOFTMAX: Template = {"coef_": arr("C", "D"), "intercept_": arr("C")}
SHAPES: dict[str, Template] = {
    **dict.fromkeys(_SIGMOIDS, _LINEAR),
    "Perceptron": {"coef_": arr(1, "D"), "intercept_": arr(1)},
    "MulticlassPerceptron": _SOFTMAX,
    "SoftmaxRegression": _SOFTMAX,
    "TwoLayerNetwork": {
        "coefs_": [arr("D", "H"), arr("H", "C")], "intercepts_": [arr("H"), arr("C")]
    },
    "ResidualNetwork": {
        "coefs_": [arr("D", "H"), arr("H", "D"), arr("D", 1)],
        "intercepts_": [arr("H"), arr("D"), arr(1)],
    },
}  # fmt: skip
_REGRESSION: Template = {"coef_": arr("D"), "intercept_": arr()}  # a 1-D target


def _classes(r: Rules) -> int | None:
    if r.node.name == "LinearRegression":
        if "classes_" in r.state:
            raise r.fail("classes_", "is not an attribute of a regressor")
        return None
    r.shapes({"classes_": arr("C", kinds="biufUO")})
    C = r.dims["C"]
    if C < 2 or (r.node.name in _BINARY and C != 2):
        need = "2" if r.node.name in _BINARY else "at least 2"
        raise r.fail("classes_", f"holds {C} classes; {r.node.name} needs {need}")
    return int(C)


def check(r: Rules) -> None:
    """The template of the class, with C = ``len(classes_)`` and K from C."""
    name = r.node.name
    r.integer("n_iter_", required=False)
    r.integer("t_", required=False)
    if "loss_curve_" in r.state:
        r.check_array("loss_curve_", r.state["loss_curve_"], (None,), "f")
    if (C := _classes(r)) is not None:
        r.dims.update(C=C, K=1 if C == 2 else C)
    template = SHAPES.get(name, _LINEAR)
    if name == "LinearRegression":
        if _ndim(r.state.get("coef_")) == 1:
            template = _REGRESSION
    r.shapes(template)
    for attr in ("coef_", "intercept_", "coefs_", "intercepts_"):
        if attr in r.state and attr not in template:
            raise r.fail(attr, f"is not an attribute of {name}")
    D = r.dims["D"]
    if "coefs_" in template:
        coefs, intercepts = r.state["coefs_"], r.state["intercepts_"]
        assert isinstance(coefs, list) and isinstance(intercepts, list)  # r.shapes
        shapes = [tuple(a.shape) for a in coefs + intercepts]
        K = shapes[len(shapes) // 2 - 1][1]
    else:
        coef = r.state["coef_"]
        assert is_array_like(coef)  # r.shapes checked it
        K = coef.shape[0] if len(coef.shape) == 2 else 1
        shapes = [(D, K), (K,)]
    _check_extras(r, D)
    r.node.extra["fitted_shape"] = (D, K)
    check_trainer(r, shapes)


def _ndim(v: object) -> int:
    return len(v.shape) if is_array_like(v) else -1


def _check_plain(r: Rules, attr: str, v: object, cap: int) -> None:
    """A plain value (numbers, strings, arrays of at most ``cap`` elements, and
    lists / tuples / dicts of these): solver_info_ and a newer lingrad's attributes."""
    if isinstance(v, (Node, HistoryRef)):
        raise r.fail(attr, "holds a value of an unexpected kind")
    if is_array_like(v):
        n = math.prod(v.shape)
        within(n, cap, f"{r.node.where}.{attr} holds {n} values")
        return
    items = (
        v.items()
        if isinstance(v, dict)
        else enumerate(v)
        if isinstance(v, (list, tuple))
        else ()
    )
    for key, x in items:
        _check_plain(r, f"{attr}[{key!r}]", x, cap)


def _check_extras(r: Rules, D: int) -> None:
    """solver_info_ a dict; history_ (a History), loss_curve_ and one-vs-rest's
    class_loss_curves_ (1-D arrays) each within the History's byte budget; any
    other fitted value (a newer lingrad's) plain, arrays of <= (D + 1)^2 values."""
    if "solver_info_" in r.state and not isinstance(r.state["solver_info_"], dict):
        raise r.fail("solver_info_", "must be a dict")
    history, curves = r.state.get("history_"), r.state.get("class_loss_curves_")
    if history is not None and not isinstance(history, HistoryRef):
        raise r.fail("history_", "must be a History")
    if curves is not None and not (
        isinstance(curves, (list, tuple))
        and all(is_array_like(c) and len(c.shape) == 1 for c in curves)
    ):
        raise r.fail("class_loss_curves_", "must be a list of 1-D arrays")
    refs = history.arrays if history is not None else {}
    for key, ref in refs.items():
        r.check_array(f"history_[{key!r}]", ref, ref.shape, "biuf")
    budget, curve = r.dec.limits.max_history_bytes, r.state.get("loss_curve_")
    parts: tuple[tuple[str, Iterable[ArrayValue]], ...] = (
        ("history_", refs.values()),
        ("loss_curve_", [curve] if is_array_like(curve) else []),  # else absent
        ("class_loss_curves_", curves or []),
    )
    for attr, arrays in parts:
        total = sum(int(a.nbytes) for a in arrays)
        within(total, budget, f"{r.node.where}.{attr} holds {total} bytes")
    for attr, v in r.state.items():
        if attr in ATTRS - {"solver_info_"} or attr == "class_loss_curves_":
            continue
        if not (attr.isidentifier() and attr.endswith("_") and attr[0] != "_"):
            raise r.fail(attr, "is not a fitted attribute name")
        _check_plain(r, attr, v, (D + 1) ** 2)


def build_history(arrays: dict[str, np.ndarray], where: str) -> History | None:
    """A History from its arrays, or None (with a warning) if it does not fit."""
    from lingrad.training.history import History

    try:
        return History.from_dict(arrays, copy=False)
    except (KeyError, ValueError, TypeError, IndexError) as e:
        warnings.warn(
            f"{where}: the stored training History could not be rebuilt ({e}); the "
            "model is loaded without history_",
            ModelFileWarning,
            stacklevel=3,
        )
        return None


def finish(est: GradientEstimator, node: Node) -> None:
    where = f"{node.where} ({node.name})"
    for key in [k for k in vars(est) if k.endswith("_") and k[0] != "_"]:
        if key not in ATTRS and hasattr(type(est), key):
            raise ModelFileError(f"{where}: {key} is not a fitted attribute")
    classes = getattr(est, "classes_", None)
    if classes is not None:
        try:
            ok = np.array_equal(np.unique(classes), classes)
        except TypeError:
            ok = False
        if not ok:
            raise ModelFileError(f"{where}: classes_ must be sorted and unique")
    params = (
        est.coefs_ + est.intercepts_
        if hasattr(est, "coefs_")
        else [est.coef_, est.intercept_]
    )
    if len({np.asarray(p).dtype for p in params}) != 1:
        raise ModelFileError(f"{where}: the parameter arrays mix dtypes")
    if hasattr(est, "coefs_") and est.coefs_[0].shape[1] != est.n_hidden:
        raise ModelFileError(
            f"{where}: n_hidden={est.n_hidden} but coefs_[0] has "
            f"{est.coefs_[0].shape[1]} columns"
        )
    if not est.fit_intercept and any(
        np.any(np.asarray(b) != 0) for b in params[len(params) // 2 :]
    ):
        raise ModelFileError(
            f"{where}: fit_intercept=False but the intercepts are not zero"
        )
    try:
        check_params(est)
        est.restore_fitted(node.extra["fitted_shape"], node.trainer)
    except ValueError as e:
        raise ModelFileError(f"{where}: {e}") from e


def state_of(est: GradientEstimator) -> dict[str, object]:
    """The fitted attributes a file stores (public ``*_`` attributes)."""
    return {k: v for k, v in vars(est).items() if k.endswith("_") and k[0] != "_"}


# ------------------------------------------------------------ training state


_OBJECTS = ("GD", "Momentum", "Adam", "ProximalL1", "Schedule", "Constant",
            "InverseTime", "StepDecay", "Exponential", "Adaptive")  # fmt: skip
_RNG_KEYS = {"state", "inc", "has_uint32", "uinteger"}
_PARTS: tuple[Literal["optimizer"], Literal["schedule"]] = ("optimizer", "schedule")


def trainer_state(
    est: GradientEstimator, enc: Writer, where: str
) -> dict[str, Json] | None:
    """What continuing ``est``'s training needs (its public ``training_state()``),
    as JSON: the optimizer's and schedule's ``{"class", "state": state_dict()}``;
    None for none, or one this module cannot store (another engine's, a custom
    schedule): a loaded model then continues from its fitted parameters with a
    fresh optimizer and generator."""
    n_arrays = len(enc.arrays)
    try:
        if (state := est.training_state()) is None:
            return None
        if any(state[part]["class"] not in _OBJECTS for part in _PARTS):
            return None
        bits = state["rng"]
        out: dict[str, Json] = {
            "t": state["t"],
            "epoch": state["epoch"],
            "rng": {
                "state": format(bits["state"]["state"], "x"),
                "inc": format(bits["state"]["inc"], "x"),
                "has_uint32": int(bits["has_uint32"]),
                "uinteger": int(bits["uinteger"]),
            },
        }
        for part in _PARTS:
            obj, at = state[part], f"{where}.{part}"
            values = {k: enc.value(v, f"{at}.{k}") for k, v in obj["state"].items()}
            out[part] = {"class": obj["class"], "state": values}
        return out
    except (AttributeError, KeyError, TypeError, ModelFileError):
        del enc.arrays[n_arrays:]  # nothing half-stored
        return None


def _arrays(value: object) -> list[ArrayValue]:
    """Every array inside a decoded value (dicts, lists, nested objects)."""
    if is_array_like(value):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    return []


def check_trainer(r: Rules, shapes: list[tuple[int, ...]]) -> None:
    """Declared trainer state: its arrays have the shapes of the parameters."""
    state = r.node.trainer
    for a in _arrays([state["optimizer"], state["schedule"]] if state else []):
        if tuple(a.shape) not in shapes or a.dtype.kind != "f":
            raise r.fail(
                "trainer.optimizer", f"holds an array of shape {tuple(a.shape)}"
            )


def decode_trainer(dec: Decoder, v: object, where: str) -> dict[str, object] | None:
    """The JSON of :func:`trainer_state`, checked and decoded (arrays unread), in
    ``training_state()``'s form: the generator's PCG64 state, the optimizer's
    and the schedule's state dicts (from a 0.2 file's ``vars`` too)."""
    if v is None:
        return None
    if not isinstance(v, dict) or set(v) != {"t", "epoch", "rng", *_PARTS}:
        raise fail(where, "is a malformed trainer state")
    for key in ("t", "epoch"):
        if type(v[key]) is not int or not 0 <= v[key] < 2**62:
            raise fail(f"{where}.{key}", "must be a non-negative integer")
    rng = v["rng"]
    if not (isinstance(rng, dict) and set(rng) == _RNG_KEYS):
        raise fail(f"{where}.rng", "is malformed")
    try:
        bits = {
            "bit_generator": "PCG64",
            "state": {"state": int(rng["state"], 16), "inc": int(rng["inc"], 16)},
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        }
    except (TypeError, ValueError, OverflowError) as e:
        raise fail(f"{where}.rng", "holds an invalid generator state") from e
    out: dict[str, object] = {"t": v["t"], "epoch": v["epoch"], "rng": bits}
    for part, keep in zip(_PARTS, ((), ("lr",)), strict=True):
        out[part] = _decode_object(dec, v[part], f"{where}.{part}", keep)
    return out


def _decode_object(
    dec: Decoder, v: object, where: str, keep: tuple[str, ...] = ()
) -> dict[str, object]:
    """``{"class", "state"}`` (a ``state_dict()``), or a 0.2 file's ``{"class",
    "vars"}`` (nested ones as ``{"__object__": ...}``) turned into one: its private
    attributes (``_v``, ``_m``, ``_t``, ``_u``, ``_q``; Adaptive's ``_lr_now``,
    ``_best``, ``_bad_epochs``) without the underscore, the unused ``_tmp`` and the
    public ones not in ``keep`` (a schedule's ``lr``) dropped."""
    part = "state" if isinstance(v, dict) and "state" in v else "vars"
    if not (
        isinstance(v, dict)
        and set(v) == {"class", part}
        and v["class"] in _OBJECTS
        and isinstance(v[part], dict)
    ):
        raise fail(where, "is a malformed optimizer or schedule state")
    out: dict[str, object] = {}
    for key, x in v[part].items():
        nested = part == "vars" and isinstance(x, dict) and set(x) == {"__object__"}
        if nested:  # ProximalL1's inner optimizer
            out[key] = _decode_object(dec, x["__object__"], where)["state"]
            continue
        value = dec.value(x, f"{where}.{key}")  # every member referenced
        if part == "state" or key in keep:
            out[key] = value
        elif key.startswith("_") and key != "_tmp":
            out[key[1:]] = value
    return {"class": v["class"], "state": out}
