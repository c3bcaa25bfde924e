"""``lingrad fit``'s text options: free-text columns and hashed categories."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

TEXT = "Text"


class TextFeatures(StrEnum):
    hash = "hash"
    tfidf = "tfidf"


TextColumns = Annotated[
    list[str] | None,
    typer.Option(
        "--text",
        metavar="COLUMN",
        help="A free-text column (repeatable): its words become sparse features "
        "inside the saved model (see --text-features); predict applies them to new "
        "rows, unseen words included.",
        show_default=False,
        rich_help_panel=TEXT,
    ),
]
TextFeaturesOption = Annotated[
    TextFeatures,
    typer.Option(
        "--text-features",
        help="hash: each word hashed to one of --n-features columns (no vocabulary "
        "pass over the rows, memory bounded by the width; the default); tfidf: the "
        "training rows' vocabulary, TF-IDF weighted, rows of unit length.",
        rich_help_panel=TEXT,
    ),
]
NFeatures = Annotated[
    int | None,
    typer.Option(
        "--n-features",
        min=1,
        help="Hashing width: columns per hashed text or category column (default "
        "2^20 = 1048576, at most 2^24).",
        show_default=False,
        rich_help_panel=TEXT,
    ),
]
HashCategories = Annotated[
    bool,
    typer.Option(
        "--hash-categories",
        help="Hash each category (text) column's whole value into --n-features "
        "columns instead of one-hot encoding it: for columns of thousands of "
        "levels; never automatic.",
        rich_help_panel=TEXT,
    ),
]
