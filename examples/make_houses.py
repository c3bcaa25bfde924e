"""Write examples/houses.csv and examples/houses_new.csv: a small, messy table.

House prices as an export from a listings site would give them: an ``id`` column,
a ``listed`` date, a text column ``city``, missing cells (``area`` and ``built``
are sometimes empty, written as "" or "NA"), and the target ``price``:

    price = 2500 area + 15000 rooms - 800 (2024 - built) + city premium + noise

``houses_new.csv`` holds 12 more houses without the price (what ``lingrad predict``
is for). Seeded: running this again writes the same files.

Run: ``python examples/make_houses.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CITIES = {"Oslo": 90_000.0, "Lima": 10_000.0, "Pune": 0.0, "Kyoto": 60_000.0}


def houses(n: int, rng: np.random.Generator, start: int) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        area = float(np.round(rng.uniform(35, 160)))
        rooms = int(rng.integers(1, 6))
        built = int(rng.integers(1950, 2024))
        city = str(rng.choice(list(CITIES)))
        price = (
            2500 * area + 15_000 * rooms - 800 * (2024 - built) + CITIES[city]
            + rng.normal(0, 8000)
        )  # fmt: skip
        row = {
            "id": f"H{start + i:04d}",
            "listed": f"2024-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}",
            "city": city,
            "area": f"{area:.0f}",
            "rooms": str(rooms),
            "built": str(built),
            "price": f"{price:.0f}",
        }
        if rng.random() < 0.08:
            row["area"] = ""
        if rng.random() < 0.06:
            row["built"] = "NA"
        rows.append(row)
    return rows


def write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    lines = [",".join(columns)] + [",".join(r[c] for c in columns) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(7)
    folder = Path(__file__).resolve().parent
    columns = ["id", "listed", "city", "area", "rooms", "built", "price"]
    write(folder / "houses.csv", houses(240, rng, 1), columns)
    write(folder / "houses_new.csv", houses(12, rng, 241), columns[:-1])


if __name__ == "__main__":
    main()
