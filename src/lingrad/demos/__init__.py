"""The lecture experiments, rebuilt: ``lingrad demo NAME`` runs one of :data:`DEMOS`.

Each demo uses the lectures' data, defaults and seeds, trains with lingrad, and writes
into its output folder the figures (PNG), the animation (GIF) where the lecture
animates, ``metrics.json`` and a self-contained ``report.html``.

>>> from lingrad.demos import DEMOS, run
>>> list(DEMOS)[:3]
['linear-1d', 'linear-nd', 'gd-variants']
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

from lingrad.data.io import atomic_write_text, ensure_writable_dir
from lingrad.errors import LingradError
from lingrad.report import write_report

from . import (
    classifiers,
    least_squares,
    linear,
    logistic,
    networks,
    regularization,
    sigmoids,
)
from .common import Demo, DemoResult, DemoRun, Progress, metrics_document

__all__ = ["DEFAULT", "DEMOS", "Demo", "DemoResult", "get", "run"]

_L4 = "lecture4-linear-logistic-regression.md"
_L7 = "lecture7-linear-regression-tensors.md"
_HW = "homework-matrix-calculus-and-gradients.md"
_NOTES = "notes-perceptron-softmax-ann.md"
_BOOK = "textbook-linear-models-outline.md"

DEMOS: dict[str, Demo] = {
    d.name: d
    for d in (
        Demo(
            "linear-1d",
            "per-sample SGD fits y = 5x - 3 (100 points, lr 0.01): rainbow fit, GIF",
            f"{_L4} § Linear Regression (1 Feature)",
            linear.linear_1d,
        ),
        Demo(
            "linear-nd",
            "per-sample SGD on 3 features (lr 0.1): weights and bias reach the truth",
            f"{_L4} § Linear Regression (n Features)",
            linear.linear_nd,
        ),
        Demo(
            "gd-variants",
            "per-sample vs minibatch vs batch descent on the loss surface J(w, b)",
            f"{_L7} § Gradient update methods; {_BOOK} § Batch and SGD",
            least_squares.gd_variants,
        ),
        Demo(
            "normal-equation",
            "Gaussian MLE = least squares: normal equation vs gradient descent",
            f"{_HW} Problem 4; {_BOOK} § Multivariable linear regression",
            least_squares.normal_equation_demo,
        ),
        Demo(
            "logistic-1d",
            "per-sample SGD of σ(wx + b) on 500 points (lr 0.1): rainbow sigmoids, GIF",
            f"{_L4} § Logistic Regression (1 Feature)",
            logistic.logistic_1d,
        ),
        Demo(
            "logistic-nd",
            "logistic regression on 1000 points, 3 features: accumulated accuracy",
            f"{_L4} § Logistic Regression (n Features)",
            logistic.logistic_nd,
        ),
        Demo(
            "sigmoid-shapes",
            "how w sharpens σ(wx) and b shifts its boundary to x = -b/w",
            f"{_L4} § Sigmoid's Params",
            logistic.sigmoid_shapes,
        ),
        Demo(
            "logistic-mse-vs-bce",
            "sigmoid with squared error vs cross-entropy: surfaces and gradients",
            f"{_L7} § logistic regression (mse) / (cross entropy); {_BOOK}",
            sigmoids.mse_vs_bce,
        ),
        Demo(
            "regularization",
            "L1 vs L2 weight paths, and the L2-penalised logistic loss of Problem 2",
            f"{_BOOK} § Regularisation; {_HW} Problem 2",
            regularization.regularization,
        ),
        Demo(
            "bipolar-sigmoid",
            "f = (1 - e^-z) / (1 + e^-z) with squared error on ±1 labels (Problem 3)",
            f"{_HW} Problem 3",
            sigmoids.bipolar_sigmoid,
        ),
        Demo(
            "perceptron",
            "the perceptron rule on separable 2-D data: boundary and mistakes",
            f"{_NOTES} § perceptron; {_BOOK} § hard threshold",
            classifiers.perceptron,
        ),
        Demo(
            "multiclass-perceptron",
            "the multi-class perceptron max_j xθ_j on three blobs",
            f"{_NOTES} § multi-class perceptron",
            classifiers.multiclass_perceptron,
        ),
        Demo(
            "softmax",
            "softmax regression with cross-entropy on three blobs vs scikit-learn",
            f"{_NOTES} § Softmax",
            classifiers.softmax,
        ),
        Demo(
            "two-layer",
            "a sigmoid hidden layer + softmax output learns non-linear moons",
            f"{_NOTES} § ANN",
            networks.two_layer,
        ),
        Demo(
            "residual",
            "the two-layer residual network of Problem 7 and its derivatives",
            f"{_HW} Problem 7",
            networks.residual,
        ),
    )
}
DEFAULT = "linear-1d"


def get(name: str) -> Demo:
    """The demo called ``name``; a :class:`LingradError` lists the valid names."""
    try:
        return DEMOS[name]
    except KeyError:
        raise LingradError(
            f"unknown demo {name!r}; valid names: {', '.join(DEMOS)} "
            "(or 'all'; `lingrad demo --list` describes each)"
        ) from None


def run(
    name: str = DEFAULT,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    quick: bool = False,
    progress: Progress | None = None,
    corrected: bool = False,
) -> DemoResult:
    """Run demo ``name`` and write its figures, GIF, metrics.json and report.html.

    Parameters
    ----------
    name : str
        A key of :data:`DEMOS`.
    out_dir : path, optional
        Output folder (created if needed); default ``./lingrad-out/NAME/``.
    quick : bool
        Smaller sizes, fewer epochs and frames (the same experiment; for tests).
    progress : callable, optional
        Called with a short text (``"linear-1d: training"``) at each stage.
    corrected : bool
        Where the lecture's listing has a quirk (its notes say which), run the
        corrected form instead of the listing as printed.

    Returns
    -------
    DemoResult
        ``name``, ``out_dir``, ``report`` (the page), ``files`` (everything written),
        ``metrics`` (the final numbers), the live ``figures`` and GIF ``frames``.
    """
    demo = get(name)
    out = ensure_writable_dir(
        Path("lingrad-out") / name if out_dir is None else out_dir
    )
    ctx = DemoRun(name, out, quick, progress or (lambda text: None), corrected)
    ctx.stage("training")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = demo.func(ctx)
    for w in _distinct(caught):  # every warning says which demo it comes from
        warnings.warn_explicit(
            f"demo {name}: {w.message}", w.category, w.filename, w.lineno
        )
    ctx.stage("writing metrics.json and report.html")
    images = ctx.figure_paths + ctx.animation_paths
    metrics_path = out / "metrics.json"
    names = [p.name for p in images] + [metrics_path.name, "report.html"]
    atomic_write_text(metrics_path, metrics_document(name, quick, output, names))
    report = write_report(
        out,
        title=output.title,
        model=output.model,
        equation=output.equation,
        data_summary=output.data,
        hyperparams=output.hyperparams,
        metrics={**output.metrics, **_prefixed(output.parameters, "learned")},
        comparison=output.comparison,
        comparison_title=(
            f"Comparison with {output.compared_with}"
            if output.compared_with
            else "Comparison"
        ),
        figures=ctx.figure_paths,
        animations=ctx.animation_paths,
        notes=f"Lecture: {demo.lecture}.\n\n{output.notes}",
        captions=ctx.captions,
    )
    return DemoResult(
        name=name,
        out_dir=out,
        report=report,
        files=[*images, metrics_path, report],
        metrics=dict(output.metrics),
        figures=ctx.figures,
        frames=ctx.frames,
    )


def _distinct(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    """The caught warnings, each message once."""
    seen: set[tuple[type, str]] = set()
    out = []
    for w in caught:
        key = (w.category, str(w.message))
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def _prefixed(values: Mapping[str, object], word: str) -> dict[str, object]:
    return {f"{word} {k}": v for k, v in values.items()}
