"""book/_ext/offline_scripts.py: MathJax and the widget scripts from the build itself, or from the CDN without npm.

Tiny Sphinx builds (a page with math) in a temporary folder, a few seconds each: one with no npm on
PATH must fall back to the CDN with no warning (the README's build command must work with only Python
and pip); one with the npm cache already filled must copy the files beside `_static/` and point the
page at them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book_files import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import offline_scripts  # noqa: E402
from offline_scripts import ASSETS, CDN, VENDOR_DIR  # noqa: E402

PAGE = "# A page\n\nSome math: $x^2 + 1$.\n\n$$\n\\int_0^1 P(x)\\,dx\n$$\n"


def sphinx_build(src: Path, path_env: str, mode: str | None = None) -> subprocess.CompletedProcess:
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_nb', 'offline_scripts']\nmyst_enable_extensions = ['dollarmath']\n"
        "nb_execution_mode = 'off'\nexclude_patterns = ['_build']\n")
    (src / "index.md").write_text(PAGE)
    env = {k: v for k, v in os.environ.items() if k != "MESAOPT_JS_ASSETS"}
    env["PATH"] = path_env
    if mode:
        env["MESAOPT_JS_ASSETS"] = mode
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "-b", "html", str(src), str(src / "_build" / "html")],
                          capture_output=True, text=True, env=env, timeout=300)


def test_script_settings_name_the_same_versions_locally_and_on_the_cdn():
    local_mathjax, local_widgets = offline_scripts.script_settings(local=True)
    cdn_mathjax, cdn_widgets = offline_scripts.script_settings(local=False)
    assert local_mathjax == f"../{VENDOR_DIR}/mathjax-3.2.2/tex-mml-chtml.js"
    assert cdn_mathjax == f"{CDN}mathjax@3.2.2/es5/tex-mml-chtml.js"
    assert list(local_widgets) == [f"../{VENDOR_DIR}/requirejs-2.3.8/require.js",
                                   f"../{VENDOR_DIR}/html-manager-1.0.15/embed-amd.js"]
    assert list(cdn_widgets) == [f"{CDN}requirejs@2.3.8/require.js", f"{CDN}@jupyter-widgets/html-manager@1.0.15/dist/embed-amd.js"]
    assert all(attrs.get("crossorigin") == "anonymous" for attrs in cdn_widgets.values())
    # the versions above are the ones ASSETS names (the one place that records them)
    assert {a.folder for a in ASSETS.values()} == {"mathjax-3.2.2", "requirejs-2.3.8", "html-manager-1.0.15"}


def test_without_npm_the_build_uses_the_cdn_and_warns_nothing(tmp_path):
    python_only = str(Path(sys.executable).parent)  # no npm here
    assert shutil.which("npm", path=python_only) is None
    result = sphinx_build(tmp_path, python_only)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "index.html").read_text()
    assert f'src="{CDN}mathjax@3.2.2/es5/tex-mml-chtml.js' in html
    assert not (tmp_path / "_build" / "html" / VENDOR_DIR).exists()
    assert "load from the public CDN" in result.stdout


def test_forcing_the_cdn_works_even_with_npm(tmp_path):
    result = sphinx_build(tmp_path, os.environ.get("PATH", ""), mode="cdn")
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr[-3000:]
    assert f"{CDN}mathjax@3.2.2/" in (tmp_path / "_build" / "html" / "index.html").read_text()


def test_with_the_npm_cache_filled_the_build_serves_the_files_itself(tmp_path):
    cache = offline_scripts.cache_dir(ROOT)
    if not all((cache / a.folder / ".complete").exists() for a in ASSETS.values()):
        pytest.skip("the npm cache under _build/.js_cache is not filled yet (the book build fills it when npm works)")
    shutil.copytree(cache, offline_scripts.cache_dir(tmp_path))
    python_only = str(Path(sys.executable).parent)  # filled cache: npm is not needed
    result = sphinx_build(tmp_path, python_only)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr[-3000:]
    out = tmp_path / "_build" / "html"
    html = (out / "index.html").read_text()
    assert f'src="_static/../{VENDOR_DIR}/mathjax-3.2.2/tex-mml-chtml.js' in html
    for asset in ASSETS.values():
        assert (out / VENDOR_DIR / asset.folder / asset.entry).stat().st_size > 10_000
    assert list((out / VENDOR_DIR / "mathjax-3.2.2" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert not list((out / "_static").rglob("tex-mml-chtml.js"))  # not under _static/
