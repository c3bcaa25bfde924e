"""``lingrad fit --engine dask`` / ``--scheduler`` and ``predict`` on folders.

The CLI connects to the session's LocalCluster (conftest.py) with
``--scheduler``; the tests of the CLI's own LocalCluster (where it listens,
what its workers print) start it in a subprocess.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

pytest.importorskip("distributed")

from lingrad import load  # noqa: E402
from lingrad.cli import main  # noqa: E402
from lingrad.data.split import held_out  # noqa: E402
from lingrad.models import LogisticRegression  # noqa: E402


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(2)
    path = tmp_path / "parts"
    path.mkdir()
    frames = []
    for i, n in enumerate((90, 70, 60)):
        X = rng.normal(size=(n, 3))
        label = np.where(
            X @ [1.0, -1.0, 0.5] + 0.5 * rng.normal(size=n) > 0, "yes", "no"
        )
        frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=label)
        frame.to_parquet(path / f"part{i}.parquet", row_group_size=50)
        test = held_out(0, path / f"part{i}.parquet", 0, n, 0.25)
        frames.append(frame.assign(test=test))
    return path, pd.concat(frames, ignore_index=True)


def test_fit_on_the_cluster_gives_the_in_memory_model(client, folder, tmp_path, capsys):
    path, table = folder
    out = tmp_path / "run"
    code, text, err = run(["fit", "--data", path, "--target", "label", "--model",
                           "logistic", "--solver", "newton", "--tol", "1e-10",
                           "--test-size", "0.25", "--engine", "dask", "--scheduler",
                           client.scheduler.address, "--no-figures", "--out", out],
                          capsys)  # fmt: skip
    assert code == 0, err
    assert "on Dask (2 workers, newton)" in text
    assert {"model.lingrad", "metrics.json", "report.html"} <= {
        p.name for p in out.iterdir()
    }
    train = table[~table["test"]]
    ref = LogisticRegression(solver="newton", tol=1e-10).fit(
        train[["a", "b", "c"]].to_numpy(), train["label"]
    )
    model = load(out / "model.lingrad")
    assert_allclose(model.coef_, ref.coef_, rtol=1e-8)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["training rows"] == len(train)
    assert metrics["data"]["held-out rows"] == int(table["test"].sum())
    test = table[table["test"]]
    accuracy = ref.score(test[["a", "b", "c"]].to_numpy(), test["label"])
    assert metrics["metrics"]["test"]["accuracy"] == pytest.approx(accuracy)
    code, text, err = run(["evaluate", "--model", out / "model.lingrad", "--data",
                           path, "--split", "test", "--json"], capsys)  # fmt: skip
    assert code == 0, err
    doc = json.loads(text)["metrics"]
    assert doc["n"] == int(table["test"].sum())
    assert doc["accuracy"] == pytest.approx(accuracy)

    # predict on the folder: one file per table, or one file for all
    code, text, err = run(["predict", "--model", out / "model.lingrad", "--data",
                           path, "--out", tmp_path / "preds"], capsys)  # fmt: skip
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "preds").iterdir())
    assert files == [f"part{i}.predictions.parquet" for i in range(3)]
    first = pd.read_parquet(tmp_path / "preds" / files[0])["prediction"]
    assert list(first) == list(ref.predict(table[["a", "b", "c"]].to_numpy()[:90]))
    code, _, err = run(["predict", "--model", out / "model.lingrad", "--data",
                        f"{path}/*.parquet", "--out", tmp_path / "all.csv"],
                       capsys)  # fmt: skip
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "all.csv")) == len(table)


def test_a_bad_cell_in_the_third_file_is_named(client, tmp_path, capsys):
    path = tmp_path / "csvs"
    path.mkdir()
    for i in range(3):
        rows = ["x,y"] + [f"{j},{2 * j}" for j in range(5)]
        if i == 2:
            rows[4] = "3,three"  # data row 4 (rows counted from 1)
        (path / f"f{i}.csv").write_text("\n".join(rows) + "\n")
    code, _, err = run(["fit", "--data", path, "--target", "y", "--model", "linear",
                        "--engine", "dask", "--scheduler", client.scheduler.address,
                        "--no-figures", "--out", tmp_path / "run"], capsys)  # fmt: skip
    assert code == 1
    assert "f2.csv" in err and "'y'" in err and "row 4" in err and "three" in err
    assert not (tmp_path / "run").exists()


def test_engine_choice_reaches_the_estimator(folder, tmp_path, capsys):
    path, _ = folder
    file = path / "part0.parquet"
    code, _, err = run(["fit", "--data", file, "--target", "label", "--model",
                        "logistic", "--solver", "minibatch", "--max-iter", "2",
                        "--engine", "nodes", "--no-figures", "--no-compare",
                        "--out", tmp_path / "run"], capsys)  # fmt: skip
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["hyperparams"]["engine"] == "nodes"


def test_without_dask_the_engine_says_how_to_install_it(tmp_path):
    code = (
        "import sys; sys.modules['dask'] = sys.modules['distributed'] = None; "
        "from lingrad.cli import main; "
        f"sys.exit(main(['fit', '--data', {str(tmp_path / 'x.csv')!r}, '--target', "
        "'y', '--model', 'linear', '--engine', 'dask', '--out', "
        f"{str(tmp_path / 'run')!r}]))"
    )
    (tmp_path / "x.csv").write_text("x,y\n1,2\n2,4\n3,6\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and 'pip install "lingrad[dask]"' in lines[0]
    assert not (tmp_path / "run").exists()


LISTENING = """
import ipaddress, json, psutil
from lingrad.workflows.on_dask import cluster

def listening(proc):
    conns = getattr(proc, "net_connections", proc.connections)(kind="inet")
    return [c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN]

with cluster(None) as client:
    me = psutil.Process()
    procs = [me, *me.children(recursive=True)]
    ips = [ip for p in procs for ip in listening(p)]
    print(json.dumps({"ips": ips, "dashboard": client.dashboard_link,
                      "workers": len(client.scheduler_info()["workers"])}))
"""


def test_the_cli_cluster_listens_on_loopback_only():
    # the LocalCluster of `fit --engine dask`, alone in a fresh process (the
    # session's cluster of conftest.py does not share its sockets)
    done = subprocess.run(
        [sys.executable, "-c", LISTENING], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    # a scheduler, its dashboard, and per worker its server and its nanny's
    assert len(found["ips"]) >= 2 + 2 * found["workers"]
    assert all(ipaddress.ip_address(ip).is_loopback for ip in found["ips"]), found
    assert found["dashboard"].startswith("http://127.0.0.1:")


IN_PROCESS = """
import json, os
from lingrad.workflows.on_dask import cluster

with cluster(None) as client:
    pids = set(client.run(os.getpid).values())
    threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
    print(json.dumps({"same": pids == {os.getpid()}, "threads": threads}))
"""


def test_the_cli_cluster_runs_its_workers_as_threads_of_its_process():
    # one machine: no worker processes to start and import lingrad, no model or
    # block pickled between processes (a stochastic fit's model visits every block)
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found == {"same": True, "threads": os.cpu_count()}


def test_a_bad_cell_prints_one_line_not_the_workers_logs(tmp_path):
    # the CLI's own LocalCluster (no --scheduler): its workers' logs and
    # tracebacks stay off the terminal; the one-line error is all a user sees
    path = tmp_path / "csvs"
    path.mkdir()
    for i in range(3):
        rows = ["x,y"] + [f"{j},{2 * j}" for j in range(5)]
        if i == 2:
            rows[3] = "2,two"
        (path / f"f{i}.csv").write_text("\n".join(rows) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "lingrad.cli", "fit", "--data", str(path), "--target",
         "y", "--model", "linear", "--engine", "dask", "--no-figures", "--out",
         str(tmp_path / "run")],
        capture_output=True, text=True, env={**os.environ, "LINGRAD_DEBUG": ""},
    )  # fmt: skip
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "f2.csv" in line]
    assert len(errors) == 1 and "'two'" in errors[0] and "row 3" in errors[0]
    assert lines[-1] == errors[0]
    others = [line for line in lines if line != errors[0]]
    assert len(others) <= 1 and all("blocks done" in line for line in others), lines
    assert not (tmp_path / "run").exists()
