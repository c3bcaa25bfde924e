"""The HTML report: one self-contained page, checked as text and in a real browser."""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lingrad.report import format_value, write_report

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# Injected into a copy of the page (the shipped page has no script): records errors
# (script errors and failed resource loads, caught on window in the capture phase)
# and console.error calls, then writes every image's natural width into the DOM.
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(e.message || ("failed to load " + (e.target && e.target.src)));
}, true);
var consoleError = console.error;
console.error = function () {
  window.__errors.push(Array.prototype.join.call(arguments, " "));
  consoleError.apply(console, arguments);
};
window.addEventListener("load", function () {
  var probe = document.createElement("div");
  probe.id = "lingrad-probe";
  var widths = Array.prototype.map.call(document.images, function (i) {
    return i.naturalWidth;
  });
  probe.setAttribute("data-widths", JSON.stringify(widths));
  probe.setAttribute("data-errors", JSON.stringify(window.__errors));
  document.body.appendChild(probe);
});
</script>"""


def tiny_png(path: Path, color=(200, 30, 30), size=(40, 30)) -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def tiny_gif(path: Path, frames: int = 3) -> Path:
    images = [Image.new("P", (20, 20), i * 40) for i in range(frames)]
    images[0].save(path, "GIF", save_all=True, append_images=images[1:], duration=100)
    return path


def basic_report(out: Path, **overrides) -> Path:
    args = dict(
        title="Demo <run> & friends",
        model="ŷ = w·x + b",
        equation="J = (y − ŷ)²\nw := w − lr·∂J/∂w",
        data_summary={"samples": 100, "description": "y = 5x − 3 <no noise>"},
        hyperparams={"lr": 0.01, "shuffle": False, "batch_size": None},
        metrics={"final loss": np.float64(0.123456789), "W": np.arange(20.0)},
        comparison={"w": {"SGD": 4.9, "closed form": 5.0}, "b": {"SGD": -2.9}},
        figures=[tiny_png(out / "fit.png")],
        animations=[tiny_gif(out / "fit.gif")],
        notes="First paragraph.\n\nSecond <b>paragraph</b>.",
    )
    args.update(overrides)
    return write_report(out, **args)


# ---- the page as text ----------------------------------------------------------
def test_page_holds_every_section_escaped(tmp_path):
    page_path = basic_report(tmp_path)
    assert page_path == tmp_path / "report.html"
    page = page_path.read_text(encoding="utf-8")
    assert "<title>Demo &lt;run&gt; &amp; friends</title>" in page
    assert "y = 5x − 3 &lt;no noise&gt;" in page
    assert "Second &lt;b&gt;paragraph&lt;/b&gt;." in page
    assert "<b>paragraph" not in page
    assert "J = (y − ŷ)²\nw := w − lr·∂J/∂w" in page  # line breaks kept (pre-wrap)
    for section in ("Model", "Data", "Hyperparameters", "Final metrics", "Comparison"):
        assert f"<h2>{section}" in page
    assert "0.123457" in page  # 6 significant digits
    assert "… (20 values)" in page  # long arrays shortened
    # the comparison grid: a header row with both columns; a missing cell shows "—"
    assert "<th>SGD</th><th>closed form</th>" in page
    row_b = re.search(r'<td class="key">b</td>(.*?)</tr>', page).group(1)
    assert "—" in row_b


def test_images_are_embedded_and_nothing_is_fetched(tmp_path):
    page = basic_report(tmp_path).read_text(encoding="utf-8")
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 2
    assert srcs[0].startswith("data:image/png;base64,")
    assert srcs[1].startswith("data:image/gif;base64,")
    import base64

    png = base64.b64decode(srcs[0].split(",", 1)[1])
    assert png == (tmp_path / "fit.png").read_bytes()
    assert 'width="40" height="30"' in page
    assert "<script" not in page and "<link" not in page
    assert "http://" not in page and "https://" not in page and "@import" not in page


def test_missing_figure_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        basic_report(tmp_path, figures=[tmp_path / "nope.png"])
    assert not (tmp_path / "report.html").exists()


def test_captions_and_empty_sections(tmp_path):
    page = basic_report(
        tmp_path, comparison=None, animations=[], captions={"fit.png": "The fit"}
    ).read_text(encoding="utf-8")
    assert "The fit — <code>fit.png</code>" in page
    assert page.count('<p class="empty">none</p>') == 2  # comparison, animations


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "—"),
        (True, "yes"),
        (np.int64(7), "7"),
        (0.1 + 0.2, "0.3"),
        (np.float32(1e-12), "1e-12"),
        (float("nan"), "NaN"),
        (-float("inf"), "−∞"),
        (np.array([[1.0, 2.5]]), "[1, 2.5]"),
        ({"w": 1.5, "b": -2}, "w = 1.5, b = -2"),
        ("<x>", "<x>"),  # escaped by the caller, not here
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


# ---- the page in a real browser ------------------------------------------------------
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI installs Debian's chromium")
        pytest.skip("chromium (Debian's package) is not installed here")
    return path


def browse(
    exe: str, page: Path, profile: Path, *args: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a speed requirement
        check=True,
    )


def probe(exe: str, page: Path, profile: Path) -> tuple[list[int], list[str]]:
    """Every image's decoded width and every error, from a copy of ``page`` that
    holds the probe script."""
    probed = page.with_name("probe.html")
    probed.write_text(
        page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1),
        encoding="utf-8",
    )
    dom = browse(exe, probed, profile, "--virtual-time-budget=5000", "--dump-dom")
    found = re.search(r'<div id="lingrad-probe"([^>]*)>', dom.stdout)
    assert found is not None, "the probe did not run: the page never finished loading"
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(1)))
    return (
        json.loads(html.unescape(attrs["data-widths"])),
        json.loads(html.unescape(attrs["data-errors"])),
    )


def fit_report(out: Path) -> Path:
    """``lingrad fit`` on wine: training curves per class, regions in the PCA plane,
    the confusion matrix and the reliability diagram."""
    from lingrad.cli import main

    code = main(["fit", "--data", "sklearn:wine", "--model", "logistic", "--scale",
                 "--test-size", "0.25", "--no-compare", "--out", str(out)])  # fmt: skip
    assert code == 0
    names = {p.name for p in out.glob("*.png")}
    assert {"confusion_matrix.png", "reliability.png", "decision_boundary.png"} < names
    return out / "report.html"


def test_report_in_a_browser_after_moving_the_folder(tmp_path):
    exe = chromium()
    from lingrad.demos import run

    result = run("perceptron", tmp_path / "made-here", quick=True)  # PNGs and a GIF
    n_images = len([p for p in result.files if p.suffix in (".png", ".gif")])
    moved = tmp_path / "elsewhere" / "copy"
    shutil.move(str(result.out_dir), moved)
    page = moved / "report.html"
    assert not result.out_dir.exists()
    for image in moved.glob("*.[pg][ni][gf]"):  # the page must not need them
        image.unlink()

    # 1. the shipped page: loads, logs nothing to the console
    shipped = browse(
        exe, page, tmp_path / "profile1", "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=5000", "--dump-dom",
    )  # fmt: skip
    console = [line for line in shipped.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert "The perceptron" in shipped.stdout

    # 2. a copy with the probe: every image decoded, no error of any kind
    widths, errors = probe(exe, page, tmp_path / "profile2")
    assert len(widths) == n_images
    assert all(w > 0 for w in widths), widths
    assert errors == []

    # 2b. a fit report with the practitioner's figures: every one decoded too
    fitted = fit_report(tmp_path / "fit")
    widths, errors = probe(exe, fitted, tmp_path / "profile4")
    assert len(widths) == 4 and all(w > 0 for w in widths), widths
    assert errors == []

    # 3. a screenshot of the whole page
    shot = tmp_path / "report.png"
    browse(
        exe, page, tmp_path / "profile3", "--virtual-time-budget=5000",
        f"--screenshot={shot}", "--window-size=1200,3000",
    )  # fmt: skip
    with Image.open(shot) as im:
        assert im.size == (1200, 3000)
        pixels = np.asarray(im.convert("L"))
    assert pixels.std() > 10  # text and figures, not a blank page
    assert (pixels < 100).mean() > 0.01  # dark ink: text, lines, points
