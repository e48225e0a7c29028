"""The built book as a reader sees it: every page opened in headless Chromium with no internet.

The test serves `_build/html` on 127.0.0.1 and opens each page with every other host unreachable
(`--host-resolver-rules`), so MathJax and the widget embed scripts must come from the build itself
(book/_ext/offline_scripts.py). Each page: no JavaScript errors or failed loads, every image loaded,
every math element typeset by MathJax (no TeX errors), every widget view rendered, and, on notebook
pages, the Colab link. Screenshots go to `_build/html/_screenshots/<page>.png`.

A second, tiny book built from tests/fixtures/fixture_chapter.ipynb checks the same machinery on a
page that surely has math, a figure and widgets, including widget state written by ipywidgets 7.7.1.

Chromium and chromedriver are Debian packages (`chromium`, `chromium-driver`); the test installs them
with apt-get when missing and it runs as root, and skips with the reason otherwise.
"""
from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from book_files import ROOT, repository_url, toc_files, toc_notebooks
from conftest import executed_notebook

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from offline_scripts import ASSETS, VENDOR_DIR  # noqa: E402  (the vendored versions, named once)

HTML = ROOT / "_build" / "html"
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT_PART_HEIGHT = 12000  # CSS pixels: a long page is saved as <page>.png, <page>-2.png, ...
SCREENSHOT_MAX_PARTS = 8

# Console lines that are not our pages' errors: the browser asks for /favicon.ico on its own; the
# theme logs with console.error when the reader has no saved light/dark preference yet.
ALLOWED_CONSOLE = [
    re.compile(r"/favicon\.ico - Failed to load resource"),
    re.compile(r"pydata-sphinx-theme\.js.*Got invalid theme mode"),
]


def _install_chromium() -> str | None:
    """Install chromium and chromium-driver with apt-get; return why not, or None when done."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root with apt-get: install the Debian packages chromium and chromium-driver"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
        if result.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {(result.stderr or result.stdout)[-800:]}"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (selenium + the Debian chromedriver)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        why = _install_chromium()
        if why or not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
            pytest.skip(f"headless Chromium is not available and could not be installed ({why})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"mesaopt-chromium-{os.getpid()}"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1800",
                 # no internet: every host but ours is unreachable
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(90)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory: Path):
    """Serve ``directory`` on a free port of 127.0.0.1 in a thread; return (base URL, server)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/", server


# Waits until MathJax has typeset and every widget view has rendered (or 60 s pass), then reports.
INSPECT_JS = r"""
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 60000;
const sleep = ms => new Promise(r => setTimeout(r, ms));
const views = () => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
const renderedView = s => !!s.parentElement.querySelector('.jupyter-widgets, .widget-subarea [class*="widget-"]');
(async () => {
  while (Date.now() < deadline && document.querySelector('.math') && !(window.MathJax && MathJax.startup && MathJax.startup.promise)) await sleep(100);
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { try { await MathJax.startup.promise; } catch (e) {} }
  while (Date.now() < deadline && !views().every(renderedView)) await sleep(200);
  await sleep(300);
  const maths = [...document.querySelectorAll('span.math, div.math')];
  done({
    images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
                                             alt: i.getAttribute('alt'),
                                             inWidget: !!i.closest('.jupyter-widgets, .widget-subarea')})),
    math: maths.length,
    mathTypeset: maths.filter(m => m.querySelector('mjx-container')).length,
    texErrors: document.querySelectorAll('mjx-merror').length,
    widgetViews: views().length,
    widgetViewsRendered: views().filter(renderedView).length,
    colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map(a => a.href),
    resources: performance.getEntriesByType('resource').map(e => e.name),
  });
})();
"""


def save_full_page(driver, screenshot: Path) -> list[Path]:
    """Save the whole page as PNGs of at most SCREENSHOT_PART_HEIGHT pixels each; return their paths."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    for old in screenshot.parent.glob(f"{screenshot.stem}-*.png"):
        old.unlink()
    paths = []
    for part in range(SCREENSHOT_MAX_PARTS):
        top = part * SCREENSHOT_PART_HEIGHT
        if top >= size["height"]:
            break
        clip = {"x": 0, "y": top, "width": size["width"], "scale": 1,
                "height": min(SCREENSHOT_PART_HEIGHT, size["height"] - top)}
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                  "clip": clip})
        path = screenshot if part == 0 else screenshot.with_name(f"{screenshot.stem}-{part + 1}.png")
        path.write_bytes(base64.b64decode(shot["data"]))
        paths.append(path)
    return paths


def inspect_page(driver, url: str, screenshot: Path | None = None) -> dict:
    """Open ``url``; return what INSPECT_JS reports plus the console errors; save a full-page screenshot."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)
    report = driver.execute_async_script(INSPECT_JS)
    report["console"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
                         and not any(p.search(e["message"]) for p in ALLOWED_CONSOLE)]
    if screenshot is not None:
        report["screenshots"] = save_full_page(driver, screenshot)
    return report


def problems(report: dict, base: str) -> list[str]:
    """Everything wrong on a page, as readable lines (empty when the page is fine)."""
    out = [f"console: {m}" for m in report["console"]]
    out += [f"image not loaded: {i['src']}" for i in report["images"] if not i["ok"]]
    if report["mathTypeset"] != report["math"]:
        out.append(f"math typeset in {report['mathTypeset']} of {report['math']} math elements")
    if report["texErrors"]:
        out.append(f"{report['texErrors']} TeX errors")
    if report["widgetViewsRendered"] != report["widgetViews"]:
        out.append(f"{report['widgetViewsRendered']} of {report['widgetViews']} widget views rendered")
    out += [f"loaded from outside the book: {r}" for r in report["resources"] if not r.startswith(base)]
    return out


@pytest.fixture(scope="session")
def book_site(built_book):
    code, log = built_book  # its warnings fail test_book_build.py; here we look at whatever pages it wrote
    assert (HTML / "index.html").exists(), f"the book build wrote no pages:\n{log[-3000:]}"
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed, so the build loads MathJax and the widget scripts from the CDN "
                    "and cannot render offline; install npm (Debian package `npm`) to run this test")
    assert (HTML / "_vendor").is_dir(), "the build did not vendor MathJax and the widget scripts (see its log)"
    base, server = serve(HTML)
    yield base
    server.shutdown()


@pytest.mark.parametrize("doc", toc_files())
def test_book_page_renders_offline_in_chromium(browser, book_site, doc):
    page = f"{doc}.html"
    report = inspect_page(browser, book_site + page, HTML / "_screenshots" / f"{Path(doc).name}.png")
    assert problems(report, book_site) == [], page
    notebook = ROOT / f"{doc}.ipynb"
    if notebook.exists():
        owner_repo = repository_url().removeprefix("https://github.com/")
        expected = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{doc}.ipynb"
        assert set(report["colab"]) == {expected}
        nb = nbformat.read(notebook, as_version=4)
        prose = "\n".join(re.sub(r"`[^`\n]*`", "", c.source) for c in nb.cells if c.cell_type == "markdown")
        if re.search(r"\$[^$\s][^$\n]*\$|\{math\}", prose):
            assert report["math"] > 0 and report["mathTypeset"] == report["math"]
    assert (HTML / "_screenshots" / f"{Path(doc).name}.png").stat().st_size > 10_000


def describes(alt: str | None) -> bool:
    """Whether an image's alt attribute is text for a reader: not empty, not a file name or path."""
    return bool(alt and alt.strip()) and not re.search(r"\.(png|jpe?g|svg|gif)$|^\.*/", alt.strip())


def test_alt_text_check_refuses_empty_alt_and_file_names():
    assert describes("Log-log plot of regret against grid size")
    assert not any(describes(a) for a in (None, "", "  ", "../_images/9800362c.png", "figure.svg"))


def test_book_chapter_pages_show_their_figures_and_widgets(browser, book_site):
    """Across the chapters' pages: each shows the figures (every image with alt text) and widget views its notebook holds."""
    for notebook in toc_notebooks():
        nb = executed_notebook(notebook)
        assert nb is not None, f"the book build has no executed copy of {notebook.name} (see its log)"
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        shown = [o for o in outputs if "scrapbook" not in o.get("metadata", {})]  # glued outputs show where cited
        pngs = sum("image/png" in o.get("data", {}) for o in shown)
        views = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
        page = notebook.relative_to(ROOT).with_suffix(".html").as_posix()
        report = inspect_page(browser, book_site + page)
        loaded = sum(i["ok"] and "/_images/" in i["src"] for i in report["images"])
        assert loaded >= pngs, f"{page}: {loaded} figures loaded, the notebook has {pngs}"
        assert report["widgetViews"] == views and report["widgetViewsRendered"] == views, page
        # a screen reader reads alt: Sphinx's default alt is the file name, which says nothing. Images drawn
        # inside a widget's snapshot (its Output holds a figure) cannot carry alt text in ipywidgets; the same
        # function's figure is shown as a normal figure with alt text and caption, as the figures are counted above.
        no_alt = [i["src"][:80] for i in report["images"] if not i["inWidget"] and not describes(i["alt"])]
        assert no_alt == [], f"{page}: images without alt text (set the cell's mystnb image.alt)"


# ---- the machinery itself, on a tiny book that surely has math, a figure and widgets ----------------

def _fixture_without_exercises():
    nb = nbformat.read(FIXTURES / "fixture_chapter.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "exercise" not in c.source and not c.metadata.get("tags")]
    return nb


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory, colab_python):
    """A two-page book: widget state written by ipywidgets 8 (executed by the build) and by 7.7.1."""
    src = tmp_path_factory.mktemp("fixture_book")
    pages = src / "chapters"  # a subfolder, like book/: relative asset paths must still resolve
    pages.mkdir()
    nb = _fixture_without_exercises()
    nbformat.write(nb, pages / "widgets8.ipynb")
    # Execute the same notebook in Colab's runtime (ipywidgets 7.7.1), keeping its widget state.
    nbformat.write(nb, pages / "widgets7.ipynb")
    script = ("import nbformat, sys\nfrom nbclient import NotebookClient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "NotebookClient(nb, kernel_name='python3', store_widget_state=True).execute()\n"
              "nbformat.write(nb, sys.argv[1])\n")
    # mesaopt from this working tree: .venv-colab never has it installed (the chapters' setup cells do that)
    subprocess.run([str(colab_python), "-c", script, str(pages / "widgets7.ipynb")], cwd=pages, check=True,
                   capture_output=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    state = nbformat.read(pages / "widgets7.ipynb", as_version=4).metadata["widgets"]
    versions = {m["model_module_version"] for m in state["application/vnd.jupyter.widget-state+json"]["state"].values()}
    assert "1.5.0" in versions, versions  # ipywidgets 7's controls
    (src / "_toc.yml").write_text("format: jb-book\nroot: chapters/widgets8\nchapters:\n  - file: chapters/widgets7\n")
    (src / "_config.yml").write_text(
        "title: fixture\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: force\n  exclude_patterns: [chapters/widgets7.ipynb]\n"
        "parse:\n  myst_enable_extensions: [dollarmath, amsmath]\n"
        f"sphinx:\n  local_extensions:\n    offline_scripts: {ROOT / 'book' / '_ext'}\n")
    jb = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jb), "build", ".", "-W", "--keep-going"], cwd=src, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    html = src / "_build" / "html"
    if not (html / "_vendor").is_dir():
        pytest.skip("npm could not fetch MathJax and the widget scripts (see offline_scripts in the build log)")
    base, server = serve(html)
    yield base, html
    server.shutdown()


@pytest.mark.parametrize("name", ["widgets8", "widgets7"])
def test_math_figures_and_widget_state_render_offline(browser, fixture_site, name):
    base, html = fixture_site
    page = f"chapters/{name}.html"
    report = inspect_page(browser, base + page, html / "_screenshots" / f"{name}.png")
    assert problems(report, base) == []
    assert report["math"] >= 2 and report["mathTypeset"] == report["math"]
    assert sum(i["ok"] and "/_images/" in i["src"] for i in report["images"]) == 1  # the matplotlib figure
    assert report["widgetViews"] == 1 and report["widgetViewsRendered"] == 1
    scripts = (html / page).read_text()
    for asset in ASSETS.values():
        assert f"{VENDOR_DIR}/{asset.folder}/{asset.entry}" in scripts
