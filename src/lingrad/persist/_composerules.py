"""Pipelines and ColumnTransformers in a model file: their structure and widths.

A Pipeline's steps are (name, allowed estimator or "passthrough") pairs, a lingrad
estimator only last, every step fitted when the pipeline is, each step's input
width the previous step's output width. A fitted ColumnTransformer's columns are
names, indices below ``n_features_in_``, slices or masks; each fitted transformer
takes as many columns as it is given, and ``output_indices_`` tiles its output.
"""

from __future__ import annotations

from typing import Any

from lingrad.errors import ModelFileError
from lingrad.persist._modelrules import (
    OUTPUT_CONFIG,
    SPECS,
    Rules,
    Spec,
    check_widths,
    n_in,
    width,
)
from lingrad.persist._modelstate import Node, is_array_like
from lingrad.persist._safezip import DAMAGED


def _check_pipeline(r: Rules) -> None:
    r.output_config()
    steps = r.params.get("steps")
    if not isinstance(steps, list) or not steps:
        raise r.fail("params['steps']", "must be a non-empty list")
    names = []
    for i, step in enumerate(steps):
        if not (
            isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)
        ):
            raise r.fail(f"params['steps'][{i}]", "must be a (name, estimator) pair")
        est = step[1]
        if not (isinstance(est, Node) or est is None or est == "passthrough"):
            raise r.fail(f"params['steps'][{i}]", "must hold an estimator")
        if isinstance(est, Node) and i < len(steps) - 1 and SPECS[est.name].extra_attrs:
            raise r.fail(
                f"params['steps'][{i}]", f"is a {est.name}, which only ends a pipeline"
            )
        names.append(step[0])
    if len(set(names)) != len(names):
        raise r.fail("params['steps']", "repeats a step name")
    r.param_is("memory", None)


def _all_fitted(where: str, steps: list[tuple[str, Any]]) -> None:
    """In a fitted pipeline every step is fitted (a file cannot leave one out)."""
    fitted = [n_in(step) is not None for _, step in steps if not isinstance(step, str)]
    if any(fitted) and not all(fitted):
        name = next(n for (n, s) in steps if not isinstance(s, str) and n_in(s) is None)
        raise ModelFileError(f"{where}: step {name!r} is not fitted; {DAMAGED}")


def _finish_pipeline(pipe: Any, node: Node) -> None:
    steps = [(n, "passthrough" if s is None else s) for n, s in pipe.steps]
    _all_fitted(node.where, steps)
    check_widths(node.where, list(pipe.steps))


def _pipeline_width(pipe: Any) -> int | None:
    return check_widths("pipeline", list(pipe.steps))


def _columns(r: Rules, attr: str, cols: Any, D: int, names: Any) -> None:
    """A column selection: int, str, list of either, slice, or boolean mask."""
    items = cols if isinstance(cols, list) else [cols]
    if isinstance(cols, slice) or (is_array_like(cols) and cols.dtype.kind == "b"):
        return
    for c in items:
        if isinstance(c, bool) or not isinstance(c, (int, str)):
            raise r.fail(
                attr, f"selects column {str(c)[:40]!r}, not a name or an index"
            )
        if isinstance(c, int) and not -D <= c < D:
            raise r.fail(attr, f"selects column {c} of {D}")


def _triples(
    r: Rules, attr: str, items: Any, D: int, fitted: bool
) -> list[tuple[Any, ...]]:
    if not isinstance(items, list):
        raise r.fail(attr, "must be a list of (name, transformer, columns)")
    for i, t in enumerate(items):
        if not (isinstance(t, tuple) and len(t) == 3 and isinstance(t[0], str)):
            raise r.fail(
                f"{attr}[{i}]", "must be a (name, transformer, columns) triple"
            )
        if not (isinstance(t[1], Node) or t[1] in ("drop", "passthrough")):
            raise r.fail(
                f"{attr}[{i}]", "must hold a transformer, 'drop' or 'passthrough'"
            )
        if isinstance(t[1], Node) and SPECS[t[1].name].extra_attrs:
            raise r.fail(f"{attr}[{i}]", f"holds a {t[1].name}, not a transformer")
        _columns(r, f"{attr}[{i}]", t[2], D, None)
    return list(items)


def _check_column_transformer(r: Rules) -> None:
    r.output_config()
    _triples(r, "params['transformers']", r.params.get("transformers"), 2**40, False)
    if not r.state:
        return  # not fitted
    D = r.integer("n_features_in_", 1)
    assert D is not None
    r.names(D)
    fitted = _triples(r, "transformers_", r.state.get("transformers_"), D, True)
    indices = r.state.get("_transformer_to_input_indices")
    if not isinstance(indices, dict) or not all(
        isinstance(k, str)
        and isinstance(v, list)
        and all(isinstance(j, int) and 0 <= j < D for j in v)
        for k, v in indices.items()
    ):
        raise r.fail(
            "_transformer_to_input_indices", f"must map names to column indices < {D}"
        )
    out = r.state.get("output_indices_")
    if not isinstance(out, dict) or not all(isinstance(v, slice) for v in out.values()):
        raise r.fail("output_indices_", "must map names to slices")
    if {t[0] for t in fitted} - set(out) or {t[0] for t in fitted} - set(indices):
        raise r.fail("output_indices_", "does not cover every transformer")
    rem = r.state.get("_remainder")
    if not (isinstance(rem, tuple) and len(rem) == 3):
        raise r.fail("_remainder", "must be a (name, transformer, columns) triple")
    if not isinstance(r.state.get("sparse_output_"), bool):
        raise r.fail("sparse_output_", "must be a boolean")
    cols = r.state.get("_columns")
    if not isinstance(cols, list):
        raise r.fail("_columns", "must be a list")
    for i, c in enumerate(cols):
        _columns(r, f"_columns[{i}]", c, D, None)


def _finish_column_transformer(ct: Any, node: Node) -> None:
    if not hasattr(ct, "transformers_"):
        return
    _all_fitted(node.where, [(n, t) for n, t, _ in ct.transformers_] + [("", ct)])
    start = 0
    for name, trans, _ in ct.transformers_:
        given = len(ct._transformer_to_input_indices.get(name, []))
        if trans == "drop":
            w = 0
        else:
            need = n_in(trans)
            if need is not None and need != given:
                raise ModelFileError(
                    f"{node.where}: transformer {name!r} expects {need} columns but is "
                    f"given {given}; {DAMAGED}"
                )
            w = width(trans) or 0
        got = ct.output_indices_[name]
        empty = w == 0 and got.start == got.stop and got.step is None
        if got != slice(start, start + w) and not empty:
            raise ModelFileError(
                f"{node.where}: output_indices_[{name!r}] is "
                f"{ct.output_indices_[name]} but {name!r} outputs {w} columns from "
                f"{start}; {DAMAGED}"
            )
        start += w


def _column_transformer_width(ct: Any) -> int:
    return sum(s.stop - s.start for s in ct.output_indices_.values())


SPECS["Pipeline"] = Spec(
    "sklearn.pipeline", frozenset({OUTPUT_CONFIG}), _check_pipeline,
    width=_pipeline_width, finish=_finish_pipeline,
)  # fmt: skip
SPECS["ColumnTransformer"] = Spec(
    "sklearn.compose",
    frozenset({
        "n_features_in_", "feature_names_in_", "_columns", "sparse_output_",
        "_transformer_to_input_indices", "_remainder", "transformers_",
        "output_indices_", OUTPUT_CONFIG,
    }),
    _check_column_transformer,
    width=_column_transformer_width, finish=_finish_column_transformer,
)  # fmt: skip
