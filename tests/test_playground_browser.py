"""``lingrad playground`` driven in a real browser (Debian's chromium + chromedriver).

One server, started as a user starts it (``lingrad playground --no-browser``), and
one browser for the whole module; the tests run in order on the same page.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from selenium import webdriver  # the test extra installs it
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

SHOTS = os.environ.get("LINGRAD_PLAYGROUND_SHOTS")  # a folder: keep screenshots


def _executables() -> tuple[str, str]:
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if None in found:
        if os.environ.get("CI"):
            pytest.fail("chromium / chromedriver missing; CI installs them (.ci/run)")
        pytest.skip("Debian's chromium and chromedriver are not installed here")
    return found  # type: ignore[return-value]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``lingrad playground`` in a subprocess: (url, export folder, process)."""
    out = tmp_path_factory.mktemp("exports")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lingrad.cli", "playground", "--no-browser",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
    assert match, f"no URL printed: {line!r}"
    yield match.group(1), out, proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate()  # reaps it and closes its pipe (else an unraisable warning)


@pytest.fixture(scope="module")
def browser(server):
    chromium, chromedriver = _executables()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1500,1400",
                "--hide-scrollbars"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.get(server[0])
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout=20.0):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: condition(d)
    )


def page_t(driver) -> int:
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-t") or -1)


def shown_t(driver, element_id: str) -> int:
    return int(driver.find_element(By.ID, element_id).get_attribute("data-t"))


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def click(driver, element_id: str) -> None:
    driver.find_element(By.ID, element_id).click()


def step(driver, n_clicks: int) -> int:
    """Press Step ``n_clicks`` times; wait until the panels show the new step."""
    t0 = page_t(driver)
    for _ in range(n_clicks):
        click(driver, "step")
        time.sleep(0.05)
    t = t0 + n_clicks
    wait_for(driver, lambda d: shown_t(d, "param-table") == t)
    wait_for(driver, lambda d: shown_t(d, "step-panel") == t)
    return t


def params(driver) -> dict[str, str]:
    cells = driver.find_elements(By.CSS_SELECTOR, ".param-value")
    return {c.get_attribute("data-name"): c.text for c in cells}


def update_block(driver) -> str:
    blocks = driver.find_elements(By.CSS_SELECTOR, "#step-blocks .block")
    titles = [b.get_attribute("data-title") for b in blocks]
    (update,) = [
        b for b, t in zip(blocks, titles, strict=True) if t.startswith("update")
    ]
    return update.text


def set_field(driver, field: str, text: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]')
    box.click()  # focused: a frame arriving now does not rewrite the field
    box.send_keys(Keys.CONTROL, "a")  # what is typed replaces the whole value
    box.send_keys(text, Keys.ENTER)


def message(driver, field: str, expected: str) -> str:
    """The inline message beside ``field`` once it holds ``expected``."""
    el = driver.find_element(By.CSS_SELECTOR, f'[data-msg="{field}"]')
    try:
        wait_for(driver, lambda d: expected in el.text, timeout=10)
    except TimeoutException:  # the assert below says what is there instead
        pass
    return el.text


def choose(driver, select_id: str, value: str) -> None:
    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def shot(driver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / name))


def lecture_trace(steps: int, lr: float = 0.01) -> dict[str, float]:
    """w and b after ``steps`` updates of the lecture's loop, as lingrad explain
    computes them (its walk: per example, in the data's order, the lecture's start)."""
    from lingrad.data.datasets import linear_1d
    from lingrad.models.registry import model_spec
    from lingrad.workflows.walk import walk

    d = linear_1d()
    spec = model_spec("linear")
    w = walk(spec, spec.cls()(random_state=0), d.X, d.y, step=steps, lr=lr, seed=0,
             init=(d.init_W, d.init_b))  # fmt: skip
    return {"w": float(w.before["affine.W"][0, 0]), "b": float(w.before["affine.b"][0])}


# ---- the tests, in order on one page ---------------------------------------------


def test_five_steps_of_linear_1d_equal_the_python_trace(browser):
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute(
        "data-ready") == "1")  # fmt: skip
    choose(browser, "preset", "linear-1d")
    wait_for(browser, lambda d: page_t(d) == 0 and shown_t(d, "param-table") == 0)
    step(browser, 5)
    shown = params(browser)
    expected = lecture_trace(5)
    for name in ("w", "b"):
        assert shown[name] == f"{expected[name]:.6g}", (name, shown, expected)
    # the update line of step 4 lands on the same numbers
    assert f"= {expected['w']:.6g}" in update_block(browser)
    assert "# forward propagation" in browser.find_element(By.ID, "step-blocks").text
    shot(browser, "linear-1d-5-steps.png")


def test_a_new_lr_shows_in_the_update_line(browser):
    set_field(browser, "lr", "0.05")
    wait_for(browser, lambda d: d.find_element(By.ID, "status-lr").text == "0.05")
    step(browser, 1)
    text = update_block(browser)
    assert text.startswith("# update (lr = 0.05)")
    assert " - 0.05 * " in text
    set_field(browser, "lr", "0.01")
    wait_for(browser, lambda d: d.find_element(By.ID, "status-lr").text == "0.01")


def test_play_lowers_J(browser):
    click(browser, "reset")
    wait_for(browser, lambda d: page_t(d) == 0)
    step(browser, 1)
    J_start = float(browser.find_element(By.ID, "status-J").text)
    choose(browser, "speed", "max")
    click(browser, "play")
    wait_for(browser, lambda d: page_t(d) >= 400)  # four epochs of 100 examples
    click(browser, "pause")
    wait_for(browser, lambda d: d.find_element(By.ID, "pause").get_attribute(
        "disabled") is not None)  # fmt: skip
    J_now = float(browser.find_element(By.ID, "status-J").text)
    assert J_now < J_start / 100, (J_start, J_now)
    shot(browser, "linear-1d-played.png")


def test_bad_input_gets_an_inline_message_and_the_server_keeps_serving(
    browser, server, tmp_path
):
    set_field(browser, "lr", "-1")
    assert "greater than 0" in message(browser, "lr", "greater than 0")
    assert "bad" in browser.find_element(By.ID, "lr").get_attribute("class")
    set_field(browser, "lr", "0.01")
    set_field(browser, "gen.n", "lots")
    text = "'lots' is not a whole number"
    assert text in message(browser, "gen.n", text)
    set_field(browser, "gen.n", "100")
    # a 3-class target for a binary-only model
    choose(browser, "preset", "perceptron")
    wait_for(browser, lambda d: d.find_element(By.ID, "data").get_attribute("value")
             == "synthetic:perceptron")  # fmt: skip
    choose(browser, "data", "synthetic:blobs")
    text = "separates two classes; these data have 3"
    assert text in message(browser, "model", text)
    # a file that is not a CSV
    choose(browser, "data", "upload")
    png = tmp_path / "picture.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    browser.find_element(By.ID, "upload").send_keys(str(png))
    assert "not a .csv file" in message(browser, "upload", "not a .csv file")
    shot(browser, "bad-input.png")
    # a CSV, then a target column it does not have (the page lists the real ones)
    choose(browser, "model", "linear")
    wait_for(browser, lambda d: "linear regression" in d.find_element(
        By.ID, "about-model").text)  # fmt: skip
    choose(browser, "data", "upload")
    csv = tmp_path / "houses.csv"
    csv.write_text("size,rooms\n50,2\n80,3\n120,4\n", encoding="utf-8")
    browser.find_element(By.ID, "upload").send_keys(str(csv))
    wait_for(browser, lambda d: "2 columns" in text_of(d, "upload-name"))
    sid = browser.find_element(By.TAG_NAME, "body").get_attribute("data-session")
    reply = api(server[0], f"/api/session/{sid}/configure",
                {"data": "upload", "target": "price"})  # fmt: skip
    assert reply["ok"] is False
    assert "'price'" in reply["errors"]["target"]
    choose(browser, "target", "rooms")  # the upload trains: a regression of rooms
    wait_for(browser, lambda d: "houses.csv" in text_of(d, "about-data"))
    # ... and the page still trains
    choose(browser, "preset", "linear-1d")
    wait_for(browser, lambda d: page_t(d) == 0 and shown_t(d, "param-table") == 0)
    step(browser, 2)


def api(url: str, path: str, body: dict | None = None):
    base, _, query = url.partition("/?")
    headers = {"Content-Type": "application/json"}
    headers["X-Lingrad-Token"] = query.split("token=", 1)[1]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def status_of(request) -> int:
    """The HTTP status a request gets (its error closed: no socket left open)."""
    try:
        with urllib.request.urlopen(request, timeout=10):
            return 200
    except urllib.error.HTTPError as e:
        e.close()
        return e.code


def test_no_token_gets_403(server):
    url = server[0]
    base = url.partition("/?")[0]
    for path in ("/", "/static/playground.js", "/api/events?session=x"):
        assert status_of(base + path) == 403
    post = urllib.request.Request(base + "/api/session", data=b"{}")
    assert status_of(post) == 403
    wrong = url.rsplit("=", 1)[0] + "=not-the-token"
    assert status_of(wrong) == 403
    assert status_of(url) == 200


def test_two_tabs_train_independently(browser, server):
    first = browser.current_window_handle
    t_first = page_t(browser)
    browser.switch_to.new_window("tab")
    browser.get(server[0] + "&preset=logistic-1d")
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute(
        "data-ready") == "1")  # fmt: skip
    assert page_t(browser) == 0
    step(browser, 3)
    assert browser.find_element(By.ID, "preset").get_attribute("value") == "logistic-1d"
    browser.close()
    browser.switch_to.window(first)
    assert page_t(browser) == t_first
    assert browser.find_element(By.ID, "preset").get_attribute("value") == "linear-1d"
    step(browser, 1)


def test_export_writes_the_report_and_model(browser, server):
    from lingrad import load

    click(browser, "export")
    wait_for(browser, lambda d: "report.html" in d.find_element(By.ID,
             "export-result").text, timeout=120)  # fmt: skip
    folders = sorted(Path(server[1]).glob("linear-1d-*"))
    assert len(folders) == 1
    names = {p.name for p in folders[0].iterdir()}
    assert {"report.html", "model.lingrad", "metrics.json", "history.npz"} <= names
    model = load(folders[0] / "model.lingrad")
    w = float(params(browser)["w"])
    assert float(np.ravel(model.coef_)[0]) == pytest.approx(w, rel=1e-5)
    report = (folders[0] / "report.html").read_text(encoding="utf-8")
    assert "lingrad playground" in report


def test_no_console_errors_nothing_from_the_network_and_ctrl_c_stops(browser, server):
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    base = server[0].partition("/?")[0]
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(base + "/") for url in loaded), loaded
    proc = server[2]
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "stopping the playground" in out
    assert "Traceback" not in out
