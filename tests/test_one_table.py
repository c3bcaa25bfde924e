"""One table, every engine: the same CSV (a text ID, a text column, missing cells)
gives the same model, metrics and held-out rows in memory, ``--stream`` and
``--engine dask`` (the session's real LocalCluster, through ``--scheduler``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lingrad import load
from lingrad.cli import main
from lingrad.data.split import held_out_at, ids_digest
from lingrad.persist.modelfile import read_meta, save
from lingrad.workflows.pipeline import final_estimator
from lingrad.workflows.prep import parts

SEED, TEST_SIZE = 3, 0.25
CITIES = ("Lima", "Oslo", "Rome", "Kyiv")


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def messy_csv(path: Path, n: int = 500) -> Path:
    """rid (r0, r1, ...), city (text; some "NA"), a (some empty), b, y, label."""
    rng = np.random.default_rng(7)
    lines = ["rid,city,a,b,y,label"]
    for i in range(n):
        a, b = rng.normal(size=2)
        city = CITIES[rng.integers(len(CITIES))]
        y = 1.5 * a - 2 * b + CITIES.index(city) + 0.3 * rng.normal()
        label = "yes" if y + rng.normal() > 1.5 else "no"
        cell_a = "" if rng.random() < 0.06 else f"{a:.6f}"
        cell_city = "NA" if rng.random() < 0.06 else city
        lines.append(f"r{i},{cell_city},{cell_a},{b:.6f},{y:.6f},{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


ENGINES = ("memory", "stream", "dask")


def fit_everywhere(
    capsys: pytest.CaptureFixture[str], client: Any, data: Path, tmp_path: Path,
    *args: Any,
) -> dict[str, Path]:  # fmt: skip
    how = {
        "memory": ["--no-stream"],
        "stream": ["--stream", "--chunk-rows", "64"],
        "dask": ["--engine", "dask", "--scheduler", client.scheduler.address],
    }
    outs = {}
    for engine in ENGINES:
        out = tmp_path / engine
        code, _, err = run(
            capsys, "fit", "-d", data, "--id", "rid", "--impute", "mean",
            "--test-size", TEST_SIZE, "--seed", SEED, "--no-figures", "-o", out,
            *args, *how[engine],
        )  # fmt: skip
        assert code == 0, err
        outs[engine] = out
    return outs


def metrics(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return doc["metrics"]


@pytest.mark.parametrize(
    "model",
    [
        ["-t", "y", "-m", "linear", "--scale"],
        ["-t", "label", "-m", "logistic", "--solver", "lbfgs", "--tol", "1e-12"],
    ],
    ids=["linear-closed-form", "logistic-lbfgs"],
)
def test_the_same_messy_csv_gives_the_same_model_metrics_and_held_out_rows(
    model: list[str], client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "houses.csv")
    outs = fit_everywhere(capsys, client, data, tmp_path, *model)
    fitted = {e: load(outs[e] / "model.lingrad") for e in ENGINES}
    memory = fitted["memory"]
    prep = parts(memory)
    assert set(prep) >= {"num_impute", "cat_impute", "onehot"}  # city, a: filled
    for engine in ("stream", "dask"):
        est, ref = final_estimator(fitted[engine]), final_estimator(memory)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(est.intercept_, ref.intercept_, atol=1e-10)
        theirs = parts(fitted[engine])
        np.testing.assert_allclose(
            theirs["num_impute"].statistics_, prep["num_impute"].statistics_,
            rtol=1e-12,
        )  # fmt: skip
        assert list(theirs["cat_impute"].statistics_) == list(
            prep["cat_impute"].statistics_
        )
        assert [list(c) for c in theirs["onehot"].categories_] == [
            list(c) for c in prep["onehot"].categories_
        ]
        for part in ("train", "test"):
            mine, want = metrics(outs[engine])[part], metrics(outs["memory"])[part]
            assert mine["n"] == want["n"]
            for key, value in want.items():
                if isinstance(value, float):
                    assert mine[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    # the held-out rows: the same IDs everywhere, those the hash rule holds out
    held = held_out_at(SEED, data.name, np.arange(500), TEST_SIZE)
    expected = f"{ids_digest([f'r{i}' for i in np.flatnonzero(held)]):016x}"
    for engine in ENGINES:
        meta = read_meta(outs[engine] / "model.lingrad")
        assert meta["split"] == "hash" and meta["id"] == "rid"
        assert meta["held_out_ids"] == expected, engine
        assert metrics(outs[engine])["test"]["n"] == held.sum()


def test_predictions_of_the_three_models_agree_with_the_id_beside_them(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "t.csv", n=200)
    outs = fit_everywhere(
        capsys, client, data, tmp_path, "-t", "y", "-m", "linear", "--exclude", "label"
    )
    new = tmp_path / "new.csv"
    new.write_text("rid,city,a,b\nq1,Oslo,,1.0\nq2,Paris,0.5,NA\nq3,NA,1,2\n")
    # b holds no missing cell at fit: its mean fills it all the same
    predicted = {}
    for engine in ENGINES:
        code, out, err = run(capsys, "predict", "-m", outs[engine] / "model.lingrad",
                             "-d", new)  # fmt: skip
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == "rid,prediction" and lines[1].startswith("q1,")
        predicted[engine] = np.array([float(x.split(",")[1]) for x in lines[1:]])
    for engine in ("stream", "dask"):
        np.testing.assert_allclose(predicted[engine], predicted["memory"], rtol=1e-9)


def test_evaluate_split_redraws_each_engines_held_out_rows(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "t.csv", n=200)
    outs = fit_everywhere(
        capsys, client, data, tmp_path, "-t", "y", "-m", "linear", "--exclude", "label"
    )
    for engine in ENGINES:
        code, out, err = run(capsys, "evaluate", "-m", outs[engine] / "model.lingrad",
                             "-d", data, "--split", "test", "--json")  # fmt: skip
        assert code == 0, err
        got = json.loads(out)["metrics"]
        want = metrics(outs["memory"])["test"]
        assert got["n"] == want["n"]
        assert got["mse"] == pytest.approx(want["mse"], rel=1e-9)


def test_a_02_in_memory_model_file_keeps_its_train_test_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.model_selection import train_test_split

    data = messy_csv(tmp_path / "t.csv", n=200)
    out = tmp_path / "m"
    code, _, err = run(capsys, "fit", "-d", data, "-t", "b", "-m", "linear",
                       "--exclude", "rid,city,a,label", "--test-size", "0.25",
                       "--seed", "5", "--no-figures", "-o", out)  # fmt: skip
    assert code == 0, err
    path = out / "model.lingrad"
    meta = read_meta(path)
    old = tmp_path / "old.lingrad"
    save(load(path), old, meta={**meta, "split": "rows"})  # as lingrad 0.2 wrote
    code, text, err = run(capsys, "evaluate", "-m", old, "-d", data, "--split",
                          "test", "--json")  # fmt: skip
    assert code == 0, err
    got = json.loads(text)["metrics"]
    import pandas as pd

    table = pd.read_csv(data)
    X, y = table[["y"]], table["b"].to_numpy()
    _, X_te, _, y_te = train_test_split(X, y, test_size=0.25, random_state=5)
    assert got["n"] == math.ceil(0.25 * 200) == len(y_te)
    mse = float(np.mean((load(path).predict(X_te) - y_te) ** 2))
    assert got["mse"] == pytest.approx(mse, rel=1e-12)


DECLARED = ["Rome", "Oslo", "Lima", "Paris", "Kyiv"]  # not sorted; Paris unseen


def test_declared_categories_give_every_engine_the_same_model_and_encoder(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "t.csv", n=300)
    cats = tmp_path / "cats.json"
    cats.write_text(json.dumps({"city": DECLARED}))
    outs = fit_everywhere(
        capsys, client, data, tmp_path, "-t", "label", "-m", "logistic",
        "--solver", "lbfgs", "--tol", "1e-12", "--exclude", "y",
        "--categories", cats,
    )  # fmt: skip
    fitted = {e: load(outs[e] / "model.lingrad") for e in ENGINES}
    ref = final_estimator(fitted["memory"])
    for engine in ENGINES:
        onehot = parts(fitted[engine])["onehot"]
        assert [list(c) for c in onehot.categories_] == [sorted(DECLARED)]
        est = final_estimator(fitted[engine])
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(est.intercept_, ref.intercept_, atol=1e-10)
    assert ref.coef_.shape[-1] == 2 + len(DECLARED)  # a, b, one column per category


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_not_declared_in_categories_is_refused_naming_file_row_and_value(
    engine: str, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "t.csv", n=120)
    cats = tmp_path / "cats.json"
    cats.write_text(json.dumps({"city": ["Lima", "Oslo", "Rome"]}))
    how = {
        "memory": ["--no-stream"],
        "stream": ["--stream", "--chunk-rows", "32"],
        "dask": ["--engine", "dask", "--scheduler", client.scheduler.address],
    }[engine]
    code, _, err = run(capsys, "fit", "-d", data, "-t", "y", "-m", "linear",
                       "--exclude", "rid,label", "--impute", "mean", "--no-figures",
                       "-o", tmp_path / "out", "--categories", cats, *how)  # fmt: skip
    first = next(i for i, line in enumerate(data.read_text().splitlines()[1:])
                 if line.split(",")[1] == "Kyiv")  # fmt: skip
    assert code != 0 and not (tmp_path / "out").exists()
    line = err.strip()
    assert "\n" not in line and "Traceback" not in err
    assert str(cats) in line and "'city'" in line and "'Kyiv'" in line
    assert f"row {first + 1}" in line


@pytest.mark.parametrize(
    "text, what",
    [
        ("{city: [Lima]", "not JSON"),
        ('["Lima"]', "object"),
        ('{"city": "Lima"}', "list"),
        ('{"city": ["Lima", 3]}', "strings"),
        ('{"town": ["Lima"]}', "'town'"),
    ],
    ids=["not-json", "not-a-dict", "not-a-list", "not-strings", "no-such-column"],
)
def test_a_malformed_categories_file_is_a_usage_error(
    text: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = messy_csv(tmp_path / "t.csv", n=40)
    cats = tmp_path / "cats.json"
    cats.write_text(text)
    code, _, err = run(capsys, "fit", "-d", data, "-t", "y", "-m", "linear",
                       "--exclude", "rid,label", "--impute", "mean", "--no-figures",
                       "-o", tmp_path / "out", "--categories", cats)  # fmt: skip
    assert code == 2
    assert "--categories" in err and what in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
