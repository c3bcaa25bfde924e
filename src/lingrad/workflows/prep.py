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

import json
from collections import Counter
from typing import Any, NamedTuple

import numpy as np

from lingrad.errors import DataError, UsageError
from lingrad.models.registry import ModelSpec


class Declared(NamedTuple):
    """``--categories FILE``: each text column's categories (the encoder sorts them)."""

    path: str
    columns: dict[str, list[str]]


def read_categories(path: str) -> Declared:
    """``{"column": ["value", ...], ...}`` from JSON file ``path``; a UsageError
    (one line) for a file that is not that."""

    def bad(what: str) -> UsageError:
        return UsageError(f"--categories {path}: {what}", "--categories")

    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise bad(f"cannot read it ({e.strerror})") from None
    except ValueError as e:
        raise bad(f"not JSON ({e})") from None
    if not isinstance(doc, dict) or not doc:
        raise bad('give a JSON object {"column": ["value", ...], ...}')
    for name, values in doc.items():
        if not isinstance(values, list) or not values:
            raise bad(f"column {name!r}: give a non-empty list of its values")
        if not all(isinstance(v, str) for v in values):
            raise bad(f"column {name!r}: the values must be strings")
        if len(set(values)) < len(values):
            raise bad(f"column {name!r} lists a value twice")
    return Declared(path, doc)


def check_declared(
    declared: Declared | None, features: Any, categorical: Any
) -> dict[str, list[str]] | None:
    """The declared categories of the text columns ``categorical``: every text
    column declared, no other column (a UsageError naming the column)."""
    if declared is None:
        return None
    for name in declared.columns:
        if name not in categorical:
            what = "not a text column" if name in features else "not in the table"
            raise UsageError(
                f"--categories {declared.path}: column {name!r} is {what}; text "
                f"columns: {', '.join(map(repr, categorical)) or 'none'}",
                "--categories",
            )
    missing = [c for c in categorical if c not in declared.columns]
    if missing:
        raise UsageError(
            f"--categories {declared.path}: declare every text column; "
            f"missing: {', '.join(map(repr, missing))}",
            "--categories",
        )
    return dict(declared.columns)


def refuse_undeclared(
    declared: Declared | None, X: Any, features: Any, rows: Any, path: Any
) -> None:
    """A DataError naming the first cell of ``X`` (raw rows, file ``path``, data
    rows ``rows``) whose text is not among its column's declared categories."""
    if declared is None or not len(X):
        return
    for name, values in declared.columns.items():
        col = X[:, list(features).index(name)]
        text = np.array([isinstance(v, str) for v in col])
        bad = text & ~np.isin(col.astype(str), np.asarray(values, dtype=str))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{path}: text column {name!r} has {col[i]!r} at data row "
                f"{int(rows[i]) + 1}, not declared in {declared.path}; add it "
                "there or fix that row"
            )


class Stats:
    """Per-column sums over training rows: present count and sum (mean), value
    counts (most frequent value) and a text column's categories. Mergeable."""

    def __init__(
        self, features: Any, categorical: Any, impute: str | None,
        declared: dict[str, list[str]] | None = None, text: Any = None,
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
        self.terms: dict[int, Any] = {}  # --text-features tfidf: the counting pass
        if text is not None and text.columns and text.features == "tfidf":
            from lingrad.scale.text_counts import TermCounts
            from lingrad.workflows.text import vectorizer

            self.terms = {j: TermCounts(vectorizer(text)) for j, f in
                          enumerate(features) if f in text.columns}  # fmt: skip
        self.impute = impute
        self.count = np.zeros(len(self.num))
        self.total = np.zeros(len(self.num))
        self.values: list[Counter[Any]] = [Counter() for _ in features]

    def update(self, X: Any) -> None:
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

    def _count(self, j: int, values: Any) -> None:
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

    def means(self) -> Any:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.total / self.count  # NaN: no value (the imputer drops it)

    def mode(self, j: int) -> Any:
        """The most frequent value; ties: the smallest (as SimpleImputer)."""
        counts = self.values[j]
        if not counts:
            return np.nan
        top = max(counts.values())
        return min(v for v, c in counts.items() if c == top)

    def categories(self, j: int) -> list[Any]:
        """Declared or seen, sorted (as OneHotEncoder; the model file needs it)."""
        return sorted(self.declared.get(j, self.values[j]))


def parts(model: Any) -> dict[str, Any]:
    """The fitted steps of ``model``'s preprocessing by role: "num_impute",
    "scale", "cat_impute", "onehot" (absent where the Pipeline has none)."""
    steps = getattr(model, "steps", None) or [("model", model)]
    found: dict[str, Any] = {}
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


def _only(part: str, chain: Any) -> str:
    name = type(chain).__name__
    if name == "SimpleImputer":
        return "impute"
    return {"StandardScaler": "scale", "OneHotEncoder": "onehot"}.get(name, part)


def fit_prep(model: Any, stats: Stats, n_features: int) -> Any:
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


def fit_scaler(scaler: Any, model: Any, stats: Stats, batches: Any) -> None:
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
        self.labels: set[Any] = set()
        self.classes: Any = None
        self.ids_digest = 0
        self.transform: Any = None
        self.n_inputs = 0  # the model's input columns (after one-hot encoding)


def first_pass(
    spec: ModelSpec,
    table: Any,
    model: Any,
    scale: bool,
    impute: str | None,
    text: Any = None,
) -> First:
    """Counts, classes and the preprocessing's state, from passes over ``table``;
    ``text``: free-text columns (:class:`lingrad.workflows.text.TextOptions`),
    TF-IDF counted in this pass."""
    from lingrad.data.split import ids_digest
    from lingrad.data.targets import as_regression_target, check_labels

    first = First()
    layout = table.layout
    stats = None
    declared = getattr(table, "declared", None)
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


MISSING = {None: "error", "drop": "drop"}  # --impute -> how cells are read (else keep)


def open_table(
    source: str,
    target: str,
    features: list[str] | None,
    reading: dict[str, Any],
    *,
    test_size: float | None,
    seed: int,
    batch_rows: int,
) -> Any:
    """The table of ``source`` as a :class:`~lingrad.scale.stream.Table`: numbers
    only (the fast reader) unless it has an ID column, ``--impute`` or text
    columns (found in the first batch, ``categorical="auto"``)."""
    from lingrad.data.frame import Layout
    from lingrad.scale.stream import Table
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
    table: Any = Table(pieces, target, names, batch_rows=batch_rows,
                       test_size=test_size, seed=seed, layout=layout,
                       missing=MISSING.get(impute, "keep"))  # fmt: skip
    table.declared = declared  # --categories: checked on the first pass
    return table


def table_meta(table: Any, first: First, impute: str | None) -> dict[str, Any]:
    """What the model file records about the table (as the in-memory fit does)."""
    layout = table.layout
    meta: dict[str, Any] = {
        "categorical": list(layout.categorical) if layout is not None else [],
        "id": layout.id if layout is not None else None,
        "impute": impute,
    }
    if meta["id"] is not None and table.test_size:
        meta["held_out_ids"] = f"{first.ids_digest:016x}"
    return meta
