"""scikit-learn's counterpart of a lingrad model, trained on the same split, and
what the report's comparison section says it compares with (or why nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lingrad.workflows.memory import FitResult, evaluate

if TYPE_CHECKING:
    from lingrad.models._base import GradientEstimator

_REFERENCES = {
    "linear": ("sklearn.linear_model", "LinearRegression", {}),
    "logistic": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 5000}),
    "softmax": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 5000}),
    "perceptron": ("sklearn.linear_model", "Perceptron", {}),
    "multiclass-perceptron": ("sklearn.linear_model", "Perceptron", {}),
}
# the lingrad loss each reference minimises (a model trained with another loss is
# compared all the same, with a sentence saying that the objectives differ)
_SAME_LOSS = {
    "LinearRegression": ("squared_error", "the squared error"),
    "LogisticRegression": ("log", "the cross-entropy (log loss)"),
    "Perceptron": ("perceptron", "the perceptron criterion"),
}
_C = 1.0  # LogisticRegression's default: ½‖w‖² + C Σ loss, i.e. alpha = 1/(2 C N)
MAX_CELLS = 5_000_000  # skip the reference on larger training sets
_NONE = {  # why a model has no reference to compare with
    "two-layer": (
        "its loss is not convex, so no closed form or exact solver gives the one "
        "answer to compare with; scikit-learn's MLPClassifier starts from its own "
        "random weights and may stop in another local minimum, so a difference "
        "would say nothing about lingrad's gradients (lingrad gradcheck checks them)"
    ),
    "residual": (
        "scikit-learn has no residual network (homework Problem 7), and its loss is "
        "not convex: no exact solver gives the one answer to compare with"
    ),
    "bipolar": (
        "scikit-learn has no bipolar-sigmoid classifier trained with squared error "
        "(homework Problem 3), and that loss has no closed form"
    ),
}


def reference(
    result: FitResult, scale: bool, seed: int
) -> dict[str, dict[str, float | None]] | None:
    """``{metric: {"lingrad <model>": v, "scikit-learn <Class>": v}}`` or None."""
    entry = _REFERENCES.get(result.spec.name)
    X, y = result.X_sample, result.y_train
    if entry is None or X is None or y is None or X.size > MAX_CELLS:
        return None
    import importlib

    from lingrad.workflows.pipeline import with_final_estimator

    module, name, kwargs = entry
    cls = getattr(importlib.import_module(module), name)
    if "random_state" in cls().get_params():
        kwargs = {**kwargs, "random_state": seed}
    ref = with_final_estimator(result.model, cls(**kwargs))  # same preprocessing
    ref.fit(X, y)
    which = "test" if result.X_test is not None else "train"
    X_eval, y_eval = (result.X_test, result.y_test) if which == "test" else (X, y)
    if X_eval is None or y_eval is None:
        return None
    ours = result.metrics[which]
    theirs = evaluate(result.spec, ref, X_eval, y_eval)
    keys: list[Literal["accuracy", "log_loss", "r2", "mse"]] = (
        ["accuracy", "log_loss"] if result.spec.is_classifier else ["r2", "mse"]
    )
    lingrad_col, sklearn_col = f"lingrad {result.spec.name}", f"scikit-learn {name}"
    return {
        f"{k} ({which})": {lingrad_col: ours.get(k), sklearn_col: theirs.get(k)}
        for k in keys
        if theirs.get(k) is not None
    }


def comparison_words(result: FitResult, compare: bool) -> tuple[str, str]:
    """The comparison section's title and a sentence on what it compares, or why
    there is nothing to compare with."""
    from lingrad.workflows.pipeline import final_estimator

    entry = _REFERENCES.get(result.spec.name)
    if result.reference and entry is not None:
        which = "held-out" if result.X_test is not None else "training"
        ours = final_estimator(result.model)
        solver = getattr(ours, "solver", None)
        how = f" (lingrad's solver: {solver})" if solver else ""
        return (
            f"Comparison with scikit-learn's {entry[1]}",
            f"scikit-learn's {entry[1]} trained on the same training rows"
            f"{' (standardized the same way)' if _scaled(result) else ''}, both scored "
            f"on the same {which} rows{how}.{_losses(ours, entry[1])}"
            f"{_penalties(ours, entry[1], result)}",
        )
    if "epochs over the file" in result.data_summary:
        why = "the model was trained by streaming the file batch by batch"
    elif not compare:
        why = "turned off with --no-compare"
    elif result.spec.name in _NONE:
        why = _NONE[result.spec.name]
    elif result.X_sample is not None and result.X_sample.size > MAX_CELLS:
        why = f"the training rows hold more than {MAX_CELLS:,} cells"
    else:
        why = "scikit-learn could not score its counterpart on these rows"
    return "Comparison", f"No comparison: {why}."


def penalty_note(result: FitResult) -> str:
    """The sentence saying that the two sides minimise different penalties, or ""
    (the same penalty, or no comparison)."""
    from lingrad.workflows.pipeline import final_estimator

    entry = _REFERENCES.get(result.spec.name)
    if not result.reference or entry is None:
        return ""
    ours = final_estimator(result.model)
    return (_losses(ours, entry[1]) + _penalties(ours, entry[1], result)).strip()


def _losses(ours: GradientEstimator, theirs: str) -> str:
    """A sentence when lingrad trained with another loss than the reference's
    (Huber against least squares, hinge against the perceptron criterion)."""
    loss = getattr(ours, "loss", None)
    same, words = _SAME_LOSS.get(theirs, (loss, ""))
    if loss is None or loss == same:
        return ""
    return (
        f" Losses: lingrad minimises the {loss} loss, scikit-learn's {theirs} "
        f"{words}; the two fit different objectives, so the scores differ by that "
        "too (lingrad's own loss is the one to judge it by)."
    )


def _penalties(ours: GradientEstimator, theirs: str, result: FitResult) -> str:
    """A sentence when the two sides minimise different penalties: their losses
    then differ by that too (compare the accuracy or R², not the loss)."""
    penalty = str(getattr(ours, "penalty", "none"))
    mine = "none" if penalty == "none" else f"{penalty}, alpha = {ours.alpha:g}"
    if theirs != "LogisticRegression":
        other = "none"
    else:
        N = 0 if result.y_train is None else len(result.y_train)
        alpha = 1 / (2 * _C * max(N, 1))
        other = f"l2, C = {_C:g} (its default), i.e. alpha = 1/(2 C N) = {alpha:.2g}"
    if mine == other:
        return ""
    return (
        f" Penalties: lingrad {mine}; scikit-learn {other}. The losses differ by "
        "that, not only by the fit."
    )


def _scaled(result: FitResult) -> bool:
    from lingrad.workflows.pipeline import final_estimator

    return final_estimator(result.model) is not result.model
