"""One missing-value rule for every format and engine (issue 17, item 3).

A null, a NaN, an empty cell or a missing word ("NA", "null", ...) in a numeric
or a text column is a missing cell, whether the table comes from a CSV file, a
Parquet file or a pandas DataFrame: imputed alike with ``--impute``, refused
alike without it. The same table therefore trains the same model (predictions
compared exactly) from each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lingrad.cli import main
from lingrad.errors import DataError

FAST = ["--no-figures", "--no-compare"]


def penguins() -> pd.DataFrame:
    """A penguins-like table (two text, two numeric features, three species)
    with missing cells in numeric and in text columns."""
    rng = np.random.default_rng(7)
    n = 90
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], n)
    gentoo = species == "Gentoo"
    island = np.where(gentoo, "Biscoe", rng.choice(["Dream", "Torgersen"], n))
    bill = (rng.normal(40, 3, n) + 8 * gentoo + 6 * (species == "Chinstrap")).round(1)
    mass = (rng.normal(3800, 300, n) + 1200 * gentoo).round(0)
    sex = rng.choice(["male", "female"], n)
    df = pd.DataFrame(
        {
            "island": island.astype(object),
            "bill": bill,
            "mass": mass,
            "sex": sex.astype(object),
            "species": species.astype(object),
        }
    )
    df.loc[[3, 17, 40], "bill"] = np.nan
    df.loc[[11], "mass"] = np.nan
    df.loc[[5, 9, 30, 41], "sex"] = None
    df.loc[[7, 60], "island"] = None
    return df


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """The table as CSV, missing cells written in the ways spreadsheets and
    pandas write them: empty, "NA" and "NaN"."""
    words = {(7, "island"): "NA", (5, "sex"): "NA", (9, "sex"): "NA"}
    words.update({(17, "bill"): "NaN", (11, "mass"): "NA"})
    lines = [",".join(df.columns)]
    for i, row in enumerate(df.itertuples(index=False)):
        cells = []
        for name, value in zip(df.columns, row, strict=True):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                cells.append(words.get((i, name), ""))
            else:
                cells.append(repr(value) if isinstance(value, float) else value)
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """The table as Parquet: nulls in the text columns, NaN and null numbers."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    bill = table.column("bill").to_numpy(zero_copy_only=False).copy()
    # one missing number stays a float NaN (not a null), as numpy writes it
    table = table.set_column(
        table.schema.get_field_index("bill"),
        "bill",
        pa.array(bill, mask=np.isnan(bill) & (np.arange(len(bill)) != 3)),
    )
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("penguins")
    df = penguins()
    return {
        "csv": str(write_csv(df, folder / "penguins.csv")),
        "parquet": str(write_parquet(df, folder / "penguins.parquet")),
        "dataframe": df,
    }


def test_the_files_hold_the_missing_cells_as_each_format_does(
    sources: dict[str, Any],
) -> None:
    lines = Path(sources["csv"]).read_text().splitlines()
    assert lines[8].startswith("NA,") and lines[61].startswith(",")  # island
    assert ",NaN," in lines[18] and ",NA," in lines[12]  # bill, mass
    table = pq.read_table(sources["parquet"])
    assert table.column("sex").null_count == 4
    assert table.column("island").null_count == 2
    bill = table.column("bill")
    assert bill.null_count == 2 and np.isnan(bill[3].as_py())


def fit_from(source: Any, impute: str | None) -> Any:
    """Read ``source`` and train as ``lingrad fit`` does (its Python functions)."""
    from lingrad.models.registry import model_spec
    from lingrad.workflows import memory, tables

    spec = model_spec("softmax")
    missing = {None: "error", "drop": "drop"}.get(impute, "keep")
    data = tables.load(source, "species", None, categorical="auto", missing=missing)
    params = memory.estimator_params(spec, {"random_state": 0})
    result = memory.fit_in_memory(
        spec, data, params, scale=True, test_size=None, seed=0, impute=impute
    )
    return data, result.model


@pytest.mark.parametrize("impute", ["mean", "median", "most_frequent", "drop"])
def test_csv_parquet_and_dataframe_train_the_same_model(
    sources: dict[str, Any], impute: str
) -> None:
    fitted = {kind: fit_from(source, impute) for kind, source in sources.items()}
    data_csv, model_csv = fitted["csv"]
    incomplete = int(sources["dataframe"].isna().any(axis=1).sum())
    expected_dropped = incomplete if impute == "drop" else 0
    for kind, (data, model) in fitted.items():
        assert data.categorical == ("island", "sex"), kind
        assert data.n_dropped == expected_dropped, kind
        np.testing.assert_array_equal(data.rows, data_csv.rows)
        np.testing.assert_array_equal(data.y, data_csv.y)
        # the same rows, each source's own reading of them, and the CSV's
        np.testing.assert_array_equal(
            model.predict_proba(data.X), model_csv.predict_proba(data_csv.X)
        )
        np.testing.assert_array_equal(
            model.predict_proba(data_csv.X), model_csv.predict_proba(data_csv.X)
        )


def test_a_missing_text_cell_is_not_a_category(sources: dict[str, Any]) -> None:
    for kind, source in sources.items():
        _, model = fit_from(source, "most_frequent")
        onehot = model.named_steps["prep"].named_transformers_["cat"]
        categories = onehot.named_steps["onehot"].categories_
        assert [list(c) for c in categories] == [
            ["Biscoe", "Dream", "Torgersen"],
            ["female", "male"],
        ], kind


def test_missing_cells_are_refused_alike_without_impute(
    sources: dict[str, Any],
) -> None:
    from lingrad.workflows import tables

    for kind, source in sources.items():
        with pytest.raises(DataError) as caught:
            tables.load(source, "species", None, categorical="auto")
        message = str(caught.value)
        # the first missing cell of the first feature column holding one
        assert "feature column 'island' has" in message, kind
        assert "at row 8" in message and "missing value" in message, kind
        assert "--impute mean|median|most_frequent|drop" in message, kind


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_fit_and_predict_from_csv_and_parquet_write_the_same_predictions(
    sources: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    predictions = {}
    for kind in ("csv", "parquet"):
        out = tmp_path / kind
        code, err = run(
            capsys, "fit", "-d", sources[kind], "-t", "species", "-m", "softmax",
            "--impute", "most_frequent", "--scale", "-o", out, *FAST,
        )  # fmt: skip
        assert code == 0, err
        metrics = json.loads((out / "metrics.json").read_text())["metrics"]
        predictions[kind] = metrics["train"]
        # predict on both files (with their nulls) from each model
        for data_kind in ("csv", "parquet"):
            target = tmp_path / f"{kind}-on-{data_kind}.csv"
            code, err = run(
                capsys, "predict", "-m", out / "model.lingrad", "-d",
                sources[data_kind], "--proba", "--out", target,
            )  # fmt: skip
            assert code == 0, err
    assert predictions["csv"] == predictions["parquet"]
    written = {p.name: p.read_bytes() for p in tmp_path.glob("*-on-*.csv")}
    assert len(written) == 4 and len(set(written.values())) == 1


def test_files_with_missing_cells_are_refused_alike_by_the_cli(
    sources: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind in ("csv", "parquet"):
        code, err = run(
            capsys, "fit", "-d", sources[kind], "-t", "species", "-m", "softmax",
            "-o", tmp_path / kind, *FAST,
        )  # fmt: skip
        assert code == 1 and not (tmp_path / kind).exists()
        assert "feature column 'island' has" in err and "at row 8" in err, kind


def numeric_table(folder: Path) -> dict[str, Path]:
    """A numeric table with a missing cell at data row 3, as CSV ("NA") and as
    Parquet (null)."""
    folder.mkdir()
    rows = [(float(i), float(i % 3), float(2 * i + 1)) for i in range(12)]
    df = pd.DataFrame(rows, columns=["a", "b", "y"])
    df.loc[2, "b"] = np.nan
    csv = folder / "t.csv"
    csv.write_text(df.to_csv(index=False, na_rep="NA"))
    parquet = folder / "t.parquet"
    df.to_parquet(parquet, index=False)
    return {"csv": csv, "parquet": parquet}


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_streamed_missing_cell_is_refused_like_an_in_memory_one(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = numeric_table(tmp_path / "in")[kind]
    messages = []
    for how in ([], ["--stream"]):
        code, err = run(
            capsys, "fit", "-d", path, "-t", "y", "-m", "linear", *how,
            "-o", tmp_path / f"o{len(how)}", *FAST,
        )  # fmt: skip
        assert code == 1, err
        messages.append(err)
    for err in messages:
        assert "feature column 'b' has" in err and "at row 3" in err
        assert "missing value" in err or "empty cell" in err
        assert "fill it or drop that row" in err
    for err in messages:  # in memory and streamed: the imputer is the way out
        assert "--impute mean|" in err


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_folder_of_csv_and_parquet_files_refuses_either_kind_of_missing_cell(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = numeric_table(tmp_path / "parts")  # the missing cell is in `kind`'s
    other = files["parquet" if kind == "csv" else "csv"]
    complete = pd.read_csv(files["csv"]).fillna(1.0)
    if other.suffix == ".csv":
        other.write_text(complete.to_csv(index=False))
    else:
        complete.to_parquet(other, index=False)
    code, err = run(
        capsys, "fit", "-d", tmp_path / "parts", "-t", "y", "-m", "linear",
        "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert code == 1 and not (tmp_path / "o").exists()
    assert f"{files[kind].name}: feature column 'b' has" in err and "at row 3" in err
    assert "fill it or drop that row" in err and "--impute mean|" in err


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_dask_worker_refuses_a_missing_cell_like_the_stream(
    kind: str, tmp_path: Path
) -> None:
    from lingrad.scale.tablefiles import open_files
    from lingrad.workflows.on_dask import read_part

    path = numeric_table(tmp_path / "in")[kind]
    pieces, names = open_files([path], "y", None)
    with pytest.raises(DataError) as caught:
        read_part(pieces[0], "y", names, "train", 0, None, False)
    message = str(caught.value)
    assert "feature column 'b' has" in message and "at row 3" in message
    assert "fill it or drop that row" in message and "--impute mean|" in message


@pytest.mark.parametrize("engine", [["--stream"], ["--engine", "dask"]])
def test_impute_median_is_refused_where_the_table_comes_in_pieces(
    engine: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = numeric_table(tmp_path / "in")["parquet"]
    code, err = run(
        capsys, "fit", "-d", path, "-t", "y", "-m", "linear", *engine,
        "--impute", "median", "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert code == 2 and "--impute mean or most_frequent" in err
    assert not (tmp_path / "o").exists()


def test_a_missing_target_names_impute_drop_which_drops_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "t.csv"
    rows = [f"{i},{i % 4},{2 * i + 1}" for i in range(10)]
    rows[4] = "4,0,NA"
    data.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    code, err = run(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "-o", tmp_path / "o"
    )
    assert code == 1
    assert "target column 'y' has a missing value ('NA') at row 5" in err
    assert "--impute drop" in err
    code, err = run(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "--stream",
        "-o", tmp_path / "o",
    )  # fmt: skip
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "target column 'y' has a missing value ('NA') at row 5" in err
    assert "--impute drop" in err
    out = tmp_path / "dropped"
    code, err = run(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "--impute", "drop",
        "-o", out, *FAST,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["metrics"]["train"]["n"] == 9
    assert doc["data"]["rows left out (missing cells)"] == 1


@pytest.mark.parametrize(
    ("suffix", "separator", "word"),
    [(".csv", ";", "semicolon"), (".csv", "\t", "tab"), (".tsv", ",", "comma")],
)
def test_a_file_with_another_delimiter_gets_a_hint(
    suffix: str,
    separator: str,
    word: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / f"t{suffix}"
    lines = ["a", "b", "y"], ["1", "2", "3"], ["2", "1", "5"]
    data.write_text("".join(separator.join(line) + "\n" for line in lines))
    code, err = run(
        capsys, "fit", "-d", data, "-t", "y", "-m", "linear", "-o", tmp_path / "o"
    )
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"this file looks {word}-separated" in err
