"""The preprocessing of a table read in pieces (``--stream``, ``--engine dask``),
fitted from passes over the training rows to what the in-memory fit learns.

The first pass counts the training and held-out rows (the split of
:mod:`lingrad.data.split`), collects the classes, the held-out IDs' digest
and, for ``--impute`` and text columns, each column's statistics
(:class:`Stats`: mean, most frequent value, categories). The Pipeline of
:func:`lingrad.workflows.pipeline.build` then takes them as its fitted state;
with ``--scale`` a second pass fits the scaler on the imputed numeric columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lingrad.errors import DataError
from lingrad.models.registry import ModelSpec
from lingrad.scale.stream import Table
from lingrad.workflows.categories import (
    Declared,
    Raw,
    check_declared,
    refuse_undeclared,
)
from lingrad.workflows.types import Dense, Features, Model, Reading, Values

if TYPE_CHECKING:
    from sklearn.base import TransformerMixin
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from lingrad.scale.text_counts import TermCounts
    from lingrad.workflows.text import TextOptions

Cell = str | float  # a value a column's statistics count


class Stats:
    """Per-column sums over training rows: present count and sum (mean), value
    counts (most frequent value) and a text column's categories. Mergeable."""

    def __init__(
        self, features: Sequence[str], categorical: Sequence[str], impute: str | None,
        declared: dict[str, list[str]] | None = None, text: TextOptions | None = None,
    ) -> None:  # fmt: skip
        cat = set(categorical)
        self.declared = {j: declared[f] for j, f in enumerate(features)
                         if declared and f in declared}  # fmt: skip
        self.num = [j for j, f in enumerate(features) if f not in cat]
        free = set(text.columns) if text is not None else set()
        if text is not None and text.hash_categories:
            free |= cat  # hashed as they come: no categories to count
        self.free = [j for j, f in enumerate(features) if f in free]
        self.cat = [j for j, f in enumerate(features) if f in cat and f not in free]
        # --text-features tfidf: the counting pass
        self.terms: dict[int, TermCounts] = {}
        if text is not None and text.columns and text.features == "tfidf":
            from lingrad.scale.text_counts import TermCounts
            from lingrad.workflows.text import vectorizer

            self.terms = {j: TermCounts(vectorizer(text)) for j, f in
                          enumerate(features) if f in text.columns}  # fmt: skip
        self.impute = impute
        self.count = np.zeros(len(self.num))
        self.total = np.zeros(len(self.num))
        self.values: list[Counter[Cell]] = [Counter() for _ in features]

    def update(self, X: Raw) -> None:
        """Add training rows ``X`` (raw: NaN where missing, text in text columns)."""
        if self.num:
            Xn = np.asarray(X[:, self.num], dtype=np.float64)
            present = ~np.isnan(Xn)
            self.count += present.sum(axis=0)
            self.total += np.where(present, Xn, 0.0).sum(axis=0)
            if self.impute == "most_frequent":
                for k, j in enumerate(self.num):
                    self._count(j, Xn[present[:, k], k])
        for j in self.cat:
            col = X[:, j]
            self._count(j, col[[isinstance(v, str) for v in col]].astype(str))
        for j, counts in self.terms.items():
            counts.update(X[:, j])

    def _count(self, j: int, values: Raw) -> None:
        if len(values):
            u, c = np.unique(values, return_counts=True)
            self.values[j].update(dict(zip(u.tolist(), c.tolist(), strict=True)))

    def merge(self, other: Stats) -> Stats:
        self.count += other.count
        self.total += other.total
        for mine, theirs in zip(self.values, other.values, strict=True):
            mine.update(theirs)
        for j, counts in self.terms.items():
            counts.merge(other.terms[j])
        return self

    def means(self) -> Dense:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean: Dense = self.total / self.count
            return mean  # NaN: no value (the imputer drops it)

    def mode(self, j: int) -> Cell:
        """The most frequent value; ties: the smallest (as SimpleImputer)."""
        counts = self.values[j]
        if not counts:
            return np.nan
        top = max(counts.values())
        return min(v for v, c in counts.items() if c == top)

    def categories(self, j: int) -> list[Cell]:
        """Declared or seen, sorted (as OneHotEncoder; the model file needs it)."""
        return sorted(self.declared.get(j, self.values[j]))


def parts(model: Model) -> dict[str, TransformerMixin]:
    """The fitted steps of ``model``'s preprocessing by role: "num_impute",
    "scale", "cat_impute", "onehot" (absent where the Pipeline has none)."""
    steps = getattr(model, "steps", None) or [("model", model)]
    found: dict[str, TransformerMixin] = {}
    for name, step in steps[:-1]:
        if name != "prep":
            found["num_impute" if name == "impute" else name] = step
            continue
        for part, chain, _ in step.transformers_:
            inner = getattr(chain, "steps", None) or [(_only(part, chain), chain)]
            for inner_name, obj in inner:
                role = f"{part}_impute" if inner_name == "impute" else inner_name
                found[role] = obj
    return found


def _only(part: str, chain: object) -> str:
    name = type(chain).__name__
    if name == "SimpleImputer":
        return "impute"
    return {"StandardScaler": "scale", "OneHotEncoder": "onehot"}.get(name, part)


def fit_prep(model: Pipeline, stats: Stats, n_features: int) -> Pipeline:
    """Fit ``model``'s preprocessing (all steps but the last) to ``stats``; returns
    that preprocessing as a Pipeline (its transform), the scaler still to fit.

    The steps are fitted on a few synthetic rows holding every category, then
    take the statistics of the training rows as their state."""
    from sklearn.pipeline import Pipeline

    prep = Pipeline(model.steps[:-1])
    cats = {j: stats.categories(j) for j in stats.cat}
    K = 1 + max((len(c) for c in cats.values()), default=1)
    text = stats.cat or stats.free
    X = np.zeros((K, n_features), dtype=object if text else np.float64)
    for j, c in cats.items():
        if not c:
            raise DataError(f"text column {j + 1} has no value in the training rows")
        X[:, j] = c + [c[0]] * (K - len(c))
    for j in stats.free:  # hashed: any text; TF-IDF: the counted vocabulary
        terms = stats.terms.get(j)
        X[:, j] = terms.synthetic_docs(K) if terms is not None else ["text"] * K
    prep.fit(X)
    if stats.terms:
        from lingrad.scale.text_counts import set_terms

        for _, vec, j in prep.steps[0][1].transformers_:
            if np.ndim(j) == 0 and int(j) in stats.terms:
                set_terms(vec, stats.terms[int(j)])
    prep.synthetic_ = X  # rows holding every category (their encoded width)
    found = parts(model)
    if "num_impute" in found:
        imp = found["num_impute"]
        if stats.impute == "most_frequent":
            imp.statistics_ = np.array([stats.mode(j) for j in stats.num], float)
        else:
            imp.statistics_ = stats.means()
    if "cat_impute" in found:
        modes = [stats.mode(j) for j in stats.cat]
        found["cat_impute"].statistics_ = np.array(modes, dtype=object)
    return prep


def fit_scaler(
    scaler: StandardScaler, model: Model, stats: Stats, batches: Iterable[Raw]
) -> None:
    """Fit ``scaler`` (StandardScaler) on the imputed numeric columns of the
    training batches ``batches`` (raw X) in one pass."""
    from sklearn.preprocessing import StandardScaler

    imp = parts(model).get("num_impute")
    fresh = StandardScaler()
    for X in batches:
        Xn = np.asarray(X[:, stats.num], dtype=np.float64)
        if len(Xn):
            fresh.partial_fit(imp.transform(Xn) if imp is not None else Xn)
    scaler.__dict__.update(fresh.__dict__)


class First:
    """What the passes before training found: counts, classes, the held-out IDs'
    digest and the fitted preprocessing (``transform``: raw X -> model input)."""

    def __init__(self) -> None:
        self.n_train = self.n_test = 0
        self.labels: set[Cell] = set()
        self.classes: Values | None = None
        self.ids_digest = 0
        self.transform: Callable[[Raw], Features] | None = None
        self.n_inputs = 0  # the model's input columns (after one-hot encoding)


def first_pass(
    spec: ModelSpec,
    table: ReadTable,
    model: Model,
    scale: bool,
    impute: str | None,
    text: TextOptions | None = None,
) -> First:
    """Counts, classes and the preprocessing's state, from passes over ``table``;
    ``text``: free-text columns (:class:`lingrad.workflows.text.TextOptions`),
    TF-IDF counted in this pass."""
    from lingrad.data.split import ids_digest
    from lingrad.data.targets import as_regression_target, check_labels

    first = First()
    layout = table.layout
    stats = None
    declared = table.declared
    if layout is not None:
        stats = Stats(table.features, layout.categorical, impute,
                      declared.columns if declared else None, text)  # fmt: skip
    fast_scale = scale and layout is None  # numbers only: the scaler in this pass
    features = table.features
    if layout is None and not scale:  # the target column is all this pass needs
        table.features = []
    try:
        for X, y, ids, rows, test, piece in table.frames():
            row0 = int(rows[0]) if len(rows) else 0
            check = check_labels if spec.is_classifier else as_regression_target
            y = check(y, piece.path, table.target, row0)
            refuse_undeclared(declared, X, table.features, rows, piece.path)
            first.n_test += int(test.sum())
            first.n_train += int((~test).sum())
            if ids is not None and test.any():
                first.ids_digest += ids_digest(ids.filter(test))
            if spec.is_classifier:
                first.labels.update(np.unique(y[~test]).tolist())
            if stats is not None:
                stats.update(X[~test])
            if fast_scale and (~test).any():
                model.steps[0][1].partial_fit(X[~test])
    finally:
        table.features = features
    first.ids_digest %= 1 << 64
    if spec.is_classifier:
        from lingrad.data.io import check_classification_target

        labels = np.array(sorted(first.labels))
        first.classes = check_classification_target(labels, table.pieces[0].path,
                                                    table.target)  # fmt: skip
    steps = getattr(model, "steps", None)
    first.n_inputs = len(table.features)
    if stats is not None and steps:
        prep = fit_prep(model, stats, len(table.features))
        scaler = parts(model).get("scale")
        if scaler is not None:
            train = (X[~t] for X, _, _, _, t, _ in table.frames())
            fit_scaler(scaler, model, stats, train)
        first.transform = prep.transform
        first.n_inputs = int(prep.transform(prep.synthetic_).shape[1])
    elif scale:
        first.transform = model.steps[0][1].transform
    return first


class ReadTable(Table):
    """A :class:`~lingrad.scale.stream.Table` and its ``--categories`` (or None)."""

    declared: Declared | None = None


MISSING = {None: "error", "drop": "drop"}  # --impute -> how cells are read (else keep)


def open_table(
    source: str,
    target: str,
    features: list[str] | None,
    reading: Reading,
    *,
    test_size: float | None,
    seed: int,
    batch_rows: int,
) -> ReadTable:
    """The table of ``source`` as a :class:`~lingrad.scale.stream.Table`: numbers
    only (the fast reader) unless it has an ID column, ``--impute`` or text
    columns (found in the first batch, ``categorical="auto"``)."""
    from lingrad.data.frame import Layout
    from lingrad.scale.tablefiles import list_files, open_files, text_columns

    id_column, impute = reading.get("id_column"), reading.get("impute")
    if impute == "median":
        raise DataError(
            f"{source}: --impute median needs every value of a column in memory; "
            "read in pieces (--stream, --engine dask), use --impute mean or "
            "most_frequent, or fit in memory"
        )
    pieces, names = open_files(list_files(source), target, features)
    text: list[str] = []
    if reading.get("categorical", "auto") == "auto":
        text = text_columns(pieces[0], names, batch_rows)
    declared = reading.get("categories")
    free = reading.get("text")
    if free is not None:
        from lingrad.workflows.text import check_columns

        check_columns(free, names, text, source)
    check_declared(declared, names, text)
    layout = None
    if id_column is not None or impute is not None or text:
        layout = Layout(tuple(names), tuple(text), target, id_column)
    table = ReadTable(pieces, target, names, batch_rows=batch_rows,
                      test_size=test_size, seed=seed, layout=layout,
                      missing=MISSING.get(impute, "keep"))  # fmt: skip
    table.declared = declared  # --categories: checked on the first pass
    return table


def table_meta(table: Table, first: First, impute: str | None) -> dict[str, object]:
    """What the model file records about the table (as the in-memory fit does)."""
    layout = table.layout
    meta: dict[str, object] = {
        "categorical": list(layout.categorical) if layout is not None else [],
        "id": layout.id if layout is not None else None,
        "impute": impute,
    }
    if meta["id"] is not None and table.test_size:
        meta["held_out_ids"] = f"{first.ids_digest:016x}"
    return meta
