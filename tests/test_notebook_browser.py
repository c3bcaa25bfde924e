"""``lingrad.Playground`` in JupyterLab, driven in a real browser (Debian's
chromium + chromedriver): the widget notebook is run, Step is clicked, and the
step counter and the step panel's numbers are ``lingrad explain``'s."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
from selenium import webdriver  # the test extra installs it
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from lingrad.cli import main
from lingrad.notebook import ExplainedStep

ROOT = Path(__file__).parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "00-playground-widget.ipynb"
KERNEL = "lingrad-test"
SHOTS = os.environ.get("LINGRAD_PLAYGROUND_SHOTS")  # a folder: keep a screenshot
START = 120.0  # seconds JupyterLab, the kernel and the first frame may take


def _executables() -> tuple[str, str]:
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if None in found:
        if os.environ.get("CI"):
            pytest.fail("chromium / chromedriver missing; CI installs them (.ci/run)")
        pytest.skip("Debian's chromium and chromedriver are not installed here")
    return found  # type: ignore[return-value]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab, headless, on a free port with a token: (url of the notebook)."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "work"
    work.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL}
    nbformat.write(nb, work / "widget.ipynb")
    spec = home / "data" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    doc = {"argv": argv, "display_name": KERNEL, "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(doc))
    paths = (str(ROOT / "src"), os.environ.get("PYTHONPATH"))
    env = dict(
        os.environ,
        JUPYTER_PATH=str(home / "data"),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONPATH=os.pathsep.join(p for p in paths if p),
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = open(home / "lab.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + START
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > end:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + _tail(home / "lab.log"))
                time.sleep(0.3)
        yield f"{base}/lab/tree/widget.ipynb?token={token}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _tail(path: Path) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-30:])


@pytest.fixture(scope="module")
def browser(lab):
    chromium, chromedriver = _executables()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1500,1400"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.get(lab)
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout=START):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: condition(d)
    )


def widget_t(driver) -> int:
    found = driver.find_elements(By.CSS_SELECTOR, ".lingrad-pg[data-ready='1']")
    return int(found[0].get_attribute("data-t")) if found else -1


def panel(driver) -> tuple[int, list[dict[str, str]]]:
    sec = driver.find_element(By.CSS_SELECTOR, ".lingrad-pg .lg-step-panel")
    blocks = sec.find_elements(By.CSS_SELECTOR, ".lg-blocks section.block")
    return int(sec.get_attribute("data-t")), [
        {
            "title": b.get_attribute("data-title"),
            "text": b.find_element(By.TAG_NAME, "pre").get_attribute("textContent"),
        }
        for b in blocks
    ]


def explain_blocks(tmp_path, capsys, step: int) -> list[dict[str, str]]:
    """``lingrad explain`` on the notebook's data (its first code cell)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    scope: dict = {}
    exec(next(c.source for c in nb.cells if c.cell_type == "code"), scope)
    path = tmp_path / "d.csv"
    table = np.column_stack([scope["X"], scope["y"]])
    np.savetxt(path, table, delimiter=",", header="a,b,label", comments="")
    argv = ["explain", "-m", "logistic", "-d", str(path), "-t", "label"]
    assert main([*argv, "-k", str(step), "--lr", "0.1"]) == 0
    return ExplainedStep(capsys.readouterr().out).blocks


def test_step_in_jupyterlab_shows_explains_step(browser, tmp_path, capsys) -> None:
    opened = (
        "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session);"
    )
    wait_for(browser, lambda d: d.execute_script(opened))
    browser.execute_script(
        "window.jupyterapp.commands.execute('notebook:run-all-cells')"
    )
    # the notebook's last cell steps 5 times from Python: the view follows
    wait_for(browser, lambda d: widget_t(d) == 5)
    browser.find_element(By.CSS_SELECTOR, ".lingrad-pg .lg-step").click()
    wait_for(browser, lambda d: widget_t(d) == 6 and panel(d)[0] == 6)
    status = browser.find_element(By.CSS_SELECTOR, ".lingrad-pg [data-status='t']")
    assert status.text == "6"
    t, blocks = panel(browser)
    if SHOTS:
        browser.save_screenshot(str(Path(SHOTS) / "notebook-widget.png"))
    assert blocks == explain_blocks(tmp_path, capsys, step=5)
