"""The figures of a ``lingrad fit`` report: training curves named by the solver,
decision regions in the plane that agrees with the model (or the
``--boundary-features`` slice), the
confusion matrix and reliability diagram of a classifier, the residuals of a
regressor, and the lecture's fit for one feature."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.linalg import LinAlgError

from lingrad.data.table import has_text, rows_of
from lingrad.errors import UsageError
from lingrad.workflows.pipeline import final_estimator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lingrad.training.history import History
    from lingrad.workflows.memory import FitResult
    from lingrad.workflows.types import Features, Model, Values

Warn = Callable[[str], None]


def as_warning(message: str) -> None:
    """The default ``warn``: a UserWarning (the command line prints it as one line)."""
    warnings.warn(message, UserWarning, stacklevel=3)


def can(model: Model, method: str) -> bool:
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
        self.figures: dict[str, Figure] = {}  # name -> the live Figure (for tests)

    def __call__(
        self,
        name: str,
        caption: str,
        fn: Callable[..., Figure],
        *args: object,
        **kw: object,
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


MAX_ROWS = 100_000  # rows drawn (and predicted) for a figure: a sample beyond
MAX_RECORDS = 20_000  # per-step History records drawn in the training figure


def sample_rows(
    X: Features | None, y: Values | None, limit: int | None = None
) -> tuple[Features | None, Values | None, str]:
    """At most ``limit`` (default :data:`MAX_ROWS`) rows of (X, y), drawn at random
    (seed 0, in table order), and the words the figure shows ("": every row)."""
    limit = MAX_ROWS if limit is None else limit
    if X is None or len(X) <= limit:
        return X, y, ""
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(X), limit, replace=False))
    words = f" (random sample: {limit:,} of {len(X):,})"
    return rows_of(X, keep), np.asarray(y)[keep], words


def _below(words: str) -> str:
    """A title's words with the sample's note, " (random sample: ...)", below."""
    return words.replace(" (random sample", "\n(random sample", 1)


def figures(
    result: FitResult, folder: Path, boundary: tuple[int, int] | None = None,
    warn: Warn = as_warning,
) -> tuple[list[Path], dict[str, str]]:  # fmt: skip
    """Draw the figures that fit the model; returns their paths and captions."""
    drawn = draw_figures(result, folder, boundary, warn)
    for fig in drawn.figures.values():
        fig.clf()  # free the figures' memory
    return drawn.paths, drawn.captions


def draw_figures(
    result: FitResult, folder: Path, boundary: tuple[int, int] | None = None,
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
    X, y, shown = sample_rows(result.X_sample, result.y_sample)
    model, spec = result.model, result.spec
    rows = "held-out rows" if result.X_test is not None else "training rows"
    X_eval, y_eval, shown_eval = (
        sample_rows(result.X_test, result.y_test)
        if result.X_test is not None
        else (X, y, shown)
    )
    rows_eval = rows + shown_eval
    if X is not None and len(X) and spec.is_classifier:
        if X.shape[1] >= 2 and not has_text(X):  # text columns: no input axes
            plane = "in the slice --boundary-features" if boundary else (
                "in the plane that agrees with the model (the figure says which, and "
                "on how many rows; the rows along its score where no plane does)"
                if X.shape[1] > 2 else "over the two features"
            )  # fmt: skip
            draw(
                "decision_boundary.png",
                f"Decision regions {plane}, training rows{shown}",
                plot.plot_decision_boundary,
                model,
                X,
                y,
                feature_names=result.feature_names,
                feature_idx=boundary,
                proba=can(model, "predict_proba"),
                title=f"Decision regions ({spec.name}){_below(shown)}",
            )
        classes = final_estimator(model).classes_
        draw(
            "confusion_matrix.png",
            f"True against predicted class, {rows_eval}",
            plot.plot_confusion_matrix,
            y_eval,
            model.predict(X_eval),
            classes,
            title=f"Confusion matrix, {_below(rows_eval)}",
        )
        if can(model, "predict_proba"):
            draw(
                "reliability.png",
                f"Predicted probability against observed frequency, {rows_eval}",
                plot.plot_reliability,
                y_eval,
                model.predict_proba(X_eval),
                classes,
                title=f"Reliability diagram, {_below(rows_eval)}",
            )
    if X is not None and len(X) and spec.task == "regression":
        sets = {"training rows" + shown: (y, model.predict(X))}
        if result.X_test is not None:
            sets["held-out rows" + shown_eval] = (y_eval, model.predict(X_eval))
        draw(
            "predicted_vs_true.png",
            "Predicted against true values" + (shown or shown_eval),
            _parity,
            sets,
            result.target or "y",
        )
        draw(
            "residuals.png",
            "Residuals y − ŷ against the prediction ŷ" + (shown or shown_eval),
            plot.plot_residuals,
            sets,
            target=result.target or "y",
        )
    _one_feature_fit(result, draw)
    return draw


def _training(result: FitResult, draw: _Drawer) -> None:
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
    drawn, stride = thinned(h)
    every = f" (one record in {stride} drawn)" if stride > 1 else ""
    draw(
        "training.png",
        f"Loss J, one point per {words.one}{every}",
        plot.plot_history,
        drawn,
        panel=panel,
        kind=kind,
        loss_label=loss_label(getattr(loss, "name", None)),
        title=f"Loss during training{every}" if every else None,
    )


class _Every:
    """A History's per-step records, every ``stride``-th of them (for drawing);
    everything else as the History has it."""

    def __init__(self, h: History, stride: int) -> None:
        self._h, self._stride = h, stride
        self._S = len(np.asarray(h.step_loss))

    def __getattr__(self, name: str) -> object:
        if name == "step_index":
            from lingrad.plot.from_history import record_steps

            index = record_steps(self._h)
            index = np.arange(self._S) if index is None else index
            return index[:: self._stride]
        value = getattr(self._h, name)
        if (
            name.startswith(("step_", "accumulated_", "grad_norm"))
            and value is not None
        ):
            array = np.asarray(value)
            if array.ndim and len(array) == self._S:
                return array[:: self._stride]
        return value


def thinned(h: History, limit: int | None = None) -> tuple[History | _Every, int]:
    """``h`` with at most ``limit`` (default :data:`MAX_RECORDS`) per-step records
    for drawing, and the stride."""
    S = len(np.asarray(h.step_loss))
    stride = -(-S // (MAX_RECORDS if limit is None else limit))
    return (h, 1) if stride <= 1 else (_Every(h, stride), stride)


def _one_feature_fit(result: FitResult, draw: _Drawer) -> None:
    """The lecture's fit-evolution figure for one feature (unscaled)."""
    from lingrad import plot

    X, y, h = result.X_sample, result.y_sample, result.history
    piped = final_estimator(result.model) is not result.model  # scaled, encoded
    if X is None or has_text(X) or X.shape[1] != 1 or piped or h is None:
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


def _parity(
    sets: dict[str, tuple[Values | None, Values]], target: str, path: Path
) -> Figure:
    """Predicted against true values (training and held-out rows); y = x is perfect."""
    from lingrad.plot.style import decorate, legend_outside, new_figure, save

    fig = new_figure((8.5, 6.5))
    ax = fig.add_subplot()
    values = []
    for (label, (y, pred)), color in zip(
        sets.items(), ("tab:blue", "tab:orange"), strict=False
    ):
        assert y is not None  # rows drawn with their targets
        pred = np.asarray(pred, dtype=np.float64).ravel()
        ax.scatter(y, pred, s=14, alpha=0.6, color=color, label=label)
        values += [np.asarray(y, dtype=np.float64), pred]
    lo, hi = float(min(v.min() for v in values)), float(max(v.max() for v in values))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1.2, label="pred = y")
    decorate(ax, f"true {target}", f"predicted {target}", "Predicted vs true")
    legend_outside(ax)
    save(fig, path)
    return fig
