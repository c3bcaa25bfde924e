"""The figures of a ``lingrad fit`` report: training curves named by the solver,
decision regions in the plane that agrees with the model (or the
``--boundary-features`` slice), the
confusion matrix and reliability diagram of a classifier, the residuals of a
regressor, and the lecture's fit for one feature."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.linalg import LinAlgError

from lingrad.errors import UsageError
from lingrad.workflows.pipeline import final_estimator

Warn = Callable[[str], None]


def as_warning(message: str) -> None:
    """The default ``warn``: a UserWarning (the command line prints it as one line)."""
    warnings.warn(message, UserWarning, stacklevel=3)


def can(model: Any, method: str) -> bool:
    """Whether the model really has ``method`` (a wrapper may only forward it)."""
    return hasattr(final_estimator(model), method)


def boundary_features(text: str | None, names: list[str]) -> tuple[int, int] | None:
    """``--boundary-features A,B`` as two column indices; UsageError otherwise."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise UsageError(
            f"give two different feature columns as A,B, got {text!r}",
            "--boundary-features",
        )
    unknown = [p for p in parts if p not in names]
    if unknown:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise UsageError(
            f"{unknown[0]!r} is not a feature column; the features are: {shown}",
            "--boundary-features",
        )
    return names.index(parts[0]), names.index(parts[1])


class _Drawer:
    """Draws figures into a folder; a figure that cannot be drawn is skipped with a
    warning through ``warn`` (the run's other outputs still count)."""

    def __init__(self, folder: Path, warn: Warn = as_warning) -> None:
        self.folder, self.warn = folder, warn
        self.paths: list[Path] = []
        self.captions: dict[str, str] = {}
        self.figures: dict[str, Any] = {}  # name -> the live Figure (for tests)

    def __call__(
        self, name: str, caption: str, fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        path = self.folder / name
        try:
            fig = fn(*args, path=path, **kw)
        except (ValueError, TypeError, IndexError, KeyError, LinAlgError) as e:
            self.warn(f"skipped figure {name}: {e}")
            path.unlink(missing_ok=True)
            return
        self.paths.append(path)
        self.captions[name] = caption
        self.figures[name] = fig


def figures(
    result: Any, folder: Path, boundary: tuple[int, int] | None = None,
    warn: Warn = as_warning,
) -> tuple[list[Path], dict[str, str]]:  # fmt: skip
    """Draw the figures that fit the model; returns their paths and captions."""
    drawn = draw_figures(result, folder, boundary, warn)
    for fig in drawn.figures.values():
        fig.clf()  # free the figures' memory
    return drawn.paths, drawn.captions


def draw_figures(
    result: Any, folder: Path, boundary: tuple[int, int] | None = None,
    warn: Warn = as_warning,
) -> _Drawer:  # fmt: skip
    """Draw the figures into ``folder``; the drawer keeps paths, captions, figures."""
    import matplotlib

    matplotlib.use("Agg")
    from lingrad import plot

    draw = _Drawer(folder, warn)
    _training(result, draw)
    from lingrad.workflows.coefficients import coefficient_figure

    coefficient_figure(result, draw)
    from lingrad.workflows.weights import weight_figure

    weight_figure(result, draw)  # sparse text features: the largest, by name
    X, y = result.X_sample, result.y_sample
    model, spec = result.model, result.spec
    rows = "held-out rows" if result.X_test is not None else "training rows"
    X_eval = result.X_test if result.X_test is not None else X
    y_eval = result.y_test if result.X_test is not None else y
    if X is not None and len(X) and spec.is_classifier:
        if X.shape[1] >= 2 and X.dtype != object:  # text columns: no input axes
            plane = "in the slice --boundary-features" if boundary else (
                "in the plane that agrees with the model (the figure says which, and "
                "on how many rows; the rows along its score where no plane does)"
                if X.shape[1] > 2 else "over the two features"
            )  # fmt: skip
            draw(
                "decision_boundary.png",
                f"Decision regions {plane}, training rows",
                plot.plot_decision_boundary,
                model,
                X,
                y,
                feature_names=result.feature_names,
                feature_idx=boundary,
                proba=can(model, "predict_proba"),
                title=f"Decision regions ({spec.name})",
            )
        classes = final_estimator(model).classes_
        draw(
            "confusion_matrix.png",
            f"True against predicted class, {rows}",
            plot.plot_confusion_matrix,
            y_eval,
            model.predict(X_eval),
            classes,
            title=f"Confusion matrix, {rows}",
        )
        if can(model, "predict_proba"):
            draw(
                "reliability.png",
                f"Predicted probability against observed frequency, {rows}",
                plot.plot_reliability,
                y_eval,
                model.predict_proba(X_eval),
                classes,
                title=f"Reliability diagram, {rows}",
            )
    if X is not None and len(X) and spec.task == "regression":
        draw("predicted_vs_true.png", "Predicted against true values", _parity, result)
        sets = {"training rows": (y, model.predict(X))}
        if result.X_test is not None:
            sets["held-out rows"] = (result.y_test, model.predict(result.X_test))
        draw(
            "residuals.png",
            "Residuals y − ŷ against the prediction ŷ",
            plot.plot_residuals,
            sets,
            target=result.target or "y",
        )
    _one_feature_fit(result, draw)
    return draw


def _training(result: Any, draw: _Drawer) -> None:
    """Loss per step (named by the solver), with parameters or accuracy below; one
    curve per class for a one-vs-rest L-BFGS fit."""
    from lingrad import plot
    from lingrad.plot.rules import loss_label, step_kind, step_words

    h = result.history
    if h is None or not len(np.asarray(h.step_loss)):
        return
    est = final_estimator(result.model)
    solver = getattr(est, "solver", None)
    kind = step_kind(solver, getattr(est, "batch_size", None))
    words = step_words(kind)
    curves = getattr(est, "class_loss_curves_", None)
    if (
        solver == "lbfgs"
        and curves is not None
        and sum(len(c) - 1 for c in curves) == len(np.asarray(h.epoch_loss))
    ):
        draw(
            "training.png",
            "One-vs-rest: the loss of each class's own binary problem, per L-BFGS "
            "iteration",
            plot.plot_class_losses,
            curves,
            est.classes_,
            kind=kind,
        )
        return
    W = [np.asarray(v) for k, v in dict(h.params or {}).items() if k.endswith("W")]
    small = bool(W) and sum(w[0].size for w in W if len(w)) <= 12
    acc = np.asarray(h.accumulated_accuracy, dtype=np.float64)
    if small and len(W[0]):
        panel = "params"
    elif (
        kind not in ("lbfgs", "newton")
        and result.spec.is_classifier
        and (acc.size and np.isfinite(acc).any())
    ):
        panel = "accuracy"
    else:
        panel = "loss"
    problem = getattr(est, "training_problem", None)
    loss = problem().loss if problem is not None else None
    draw(
        "training.png",
        f"Loss J, one point per {words.one}",
        plot.plot_history,
        h,
        panel=panel,
        kind=kind,
        loss_label=loss_label(getattr(loss, "name", None)),
    )


def _one_feature_fit(result: Any, draw: _Drawer) -> None:
    """The lecture's fit-evolution figure for one feature (unscaled)."""
    from lingrad import plot

    X, y, h = result.X_sample, result.y_sample, result.history
    piped = final_estimator(result.model) is not result.model  # scaled, encoded
    if X is None or X.dtype == object or X.shape[1] != 1 or piped or h is None:
        return
    if not any(np.asarray(v).size for v in h.params.values()):
        return
    kind = "linear" if result.spec.task == "regression" else None
    if result.spec.name == "logistic" and len(result.model.classes_) == 2:
        kind = "logistic"
    if kind is None:
        return
    y_plot = y if kind == "linear" else (y == result.model.classes_[1]).astype(float)
    draw(
        "fit.png",
        "The model after every recorded step",
        plot.plot_fit_from_history,
        X[:, 0],
        y_plot,
        h,
        kind=kind,
    )


def _parity(result: Any, path: Path) -> Any:
    """Predicted against true values (training and held-out rows); y = x is perfect."""
    from lingrad.plot.style import decorate, legend_outside, new_figure, save

    fig = new_figure((8.5, 6.5))
    ax = fig.add_subplot()
    sets = [("training rows", result.X_sample, result.y_sample, "tab:blue")]
    if result.X_test is not None:
        sets.append(("held-out rows", result.X_test, result.y_test, "tab:orange"))
    values = []
    for label, X, y, color in sets:
        pred = np.asarray(result.model.predict(X), dtype=np.float64).ravel()
        ax.scatter(y, pred, s=14, alpha=0.6, color=color, label=label)
        values += [np.asarray(y, dtype=np.float64), pred]
    lo, hi = float(min(v.min() for v in values)), float(max(v.max() for v in values))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1.2, label="pred = y")
    target = result.target or "y"
    decorate(ax, f"true {target}", f"predicted {target}", "Predicted vs true")
    legend_outside(ax)
    save(fig, path)
    return fig
