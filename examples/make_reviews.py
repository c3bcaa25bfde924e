"""Write examples/reviews.csv and examples/reviews_new.csv: short film reviews.

A free-text column ``review``, a category ``venue`` and the label ``sentiment``
(pos / neg): each review mixes plain words with two or three words of its
sentiment and, one time in five, a word of the other (a "not bad" review).
``reviews_new.csv`` holds 8 more reviews without the label, some with words no
training review has (what ``lingrad predict`` is for). Seeded: running this again
writes the same files.

Run: ``python examples/make_reviews.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

POSITIVE = (
    "great superb moving funny charming brilliant gripping lovely beautiful "
    "clever delightful wonderful"
).split()
NEGATIVE = (
    "dull boring awful clumsy tedious flat predictable weak messy bland "
    "pointless tiresome"
).split()
PLAIN = (
    "the film movie plot cast story acting score ending director script scenes "
    "was is and a with its of this"
).split()
VENUES = ["cinema", "streaming", "festival", "dvd"]
NEW = [
    "a brilliant and moving film",
    "tedious plot, flat acting",
    "the cast was lovely but the script was weak and dull",
    "an utterly hypnotic masterpiece",  # no word of the training reviews
    "boring boring boring",
    "clever, funny, delightful",
    "the ending was predictable",
    "gorgeous cinematography, gripping story",
]


def reviews(n: int, rng: np.random.Generator) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        good = bool(rng.random() < 0.5)
        own, other = (POSITIVE, NEGATIVE) if good else (NEGATIVE, POSITIVE)
        words = list(rng.choice(PLAIN, int(rng.integers(4, 9))))
        words += list(rng.choice(own, int(rng.integers(2, 4)), replace=False))
        if rng.random() < 0.2:
            words.append(str(rng.choice(other)))
        rng.shuffle(words)
        rows.append({
            "id": f"R{i:04d}",
            "review": " ".join(words).capitalize() + ".",
            "venue": str(rng.choice(VENUES)),
            "sentiment": "pos" if good else "neg",
        })  # fmt: skip
    return rows


def main() -> None:
    here = Path(__file__).resolve().parent
    rng = np.random.default_rng(20)
    rows = reviews(400, rng)
    with open(here / "reviews.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["id", "review", "venue", "sentiment"])
        w.writeheader()
        w.writerows(rows)
    with open(here / "reviews_new.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["id", "review", "venue"])
        w.writeheader()
        for i, text in enumerate(NEW):
            w.writerow({"id": f"N{i:03d}", "review": text, "venue": VENUES[i % 4]})


if __name__ == "__main__":
    main()
