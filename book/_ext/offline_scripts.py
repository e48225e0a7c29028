"""Serve MathJax, require.js and the ipywidgets embed bundle from the built book, so it renders offline.

Sphinx and myst-nb load these scripts from public CDNs by default: without internet the math shows
as raw TeX and the widget snapshots stay blank. At build time this extension fetches the npm
packages named in :data:`ASSETS` (``npm pack``, which uses the machine's npm registry settings)
into a cache under ``_build/``, copies the few files a page needs to ``<html>/_vendor/`` (NOT
``_static/``: Jupyter Book adds every script there to every page) and points ``mathjax_path`` and
``nb_ipywidgets_js`` at them. Without npm, or when ``npm pack`` fails, it logs one info line and
uses the same versions from the public CDN instead: never a Sphinx warning, so ``-W`` builds pass.

On pages with widget snapshots it also tells the embed bundle where its fonts are, and lets the
widgets' MathJax 2 call (``MathJax.Hub.Queue``) typeset with MathJax 3. On every page it drops scripts
registered twice (sphinx-thebe's inline config is, and its second copy is a JavaScript error).

``MESAOPT_JS_ASSETS=cdn`` in the environment forces the CDN (to check the fallback).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

CDN = "https://cdn.jsdelivr.net/npm/"
VENDOR_DIR = "_vendor"  # inside the HTML output; beside _static/, not in it
NPM_TIMEOUT_S = 150


@dataclass(frozen=True)
class Asset:
    """One npm package: which files of it a page needs and which of them the page loads."""

    package: str
    version: str
    root: str  # folder inside the package whose content is copied
    keep: tuple[str, ...]  # glob patterns (relative to root) of the files to copy
    entry: str  # the script a page loads, relative to root

    @property
    def folder(self) -> str:
        return f"{self.package.split('/')[-1]}-{self.version}"

    @property
    def cdn_url(self) -> str:
        path = "/".join(part for part in (self.root, self.entry) if part)
        return f"{CDN}{self.package}@{self.version}/{path}"

    @property
    def local_path(self) -> str:
        """The path relative to the output root."""
        return f"{VENDOR_DIR}/{self.folder}/{self.entry}"


# The exact versions, in one place. html-manager 1.0.x renders the widget state ipywidgets 8.1 writes.
ASSETS = {
    "mathjax": Asset("mathjax", "3.2.2", "es5",
                     ("tex-mml-chtml.js", "input/*", "output/chtml.js", "output/chtml/*", "ui/*", "a11y/*",
                      "adaptors/*"),
                     "tex-mml-chtml.js"),
    "requirejs": Asset("requirejs", "2.3.8", "", ("require.js",), "require.js"),
    "html-manager": Asset("@jupyter-widgets/html-manager", "1.0.15", "dist",
                          ("embed-amd.js", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"), "embed-amd.js"),
}


def cache_dir(srcdir: str | Path) -> Path:
    return Path(srcdir) / "_build" / ".js_cache"


def _wanted(relative: str, asset: Asset) -> bool:
    return any(fnmatch(relative, pattern) for pattern in asset.keep)


def fetch(asset: Asset, cache: Path, npm: str | None = None) -> Path | None:
    """Return the cached folder of ``asset``, running ``npm pack`` first if needed; None if impossible."""
    target = cache / asset.folder
    if (target / ".complete").exists():
        return target
    npm = npm or shutil.which("npm")
    if npm is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        try:
            # Few retries and a bounded wait: without a registry the build falls back to the CDN quickly.
            subprocess.run([npm, "pack", f"{asset.package}@{asset.version}", "--pack-destination", tmp,
                            "--silent", "--fetch-retries=1", "--fetch-timeout=60000"],
                           cwd=tmp, check=True, capture_output=True, timeout=NPM_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as err:
            logger.info(f"offline_scripts: npm pack {asset.package}@{asset.version} failed ({err})")
            return None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            return None
        staging = Path(tmp) / "files"
        prefix = "package/" + (asset.root + "/" if asset.root else "")
        with tarfile.open(tarballs[0]) as tar:
            for member in tar.getmembers():
                relative = member.name[len(prefix):] if member.name.startswith(prefix) else None
                if not member.isfile() or not relative or ".." in relative.split("/") or not _wanted(relative, asset):
                    continue
                out = staging / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(member).read())
        if not (staging / asset.entry).exists():
            return None
        (staging / ".complete").write_text(f"{asset.package}@{asset.version}\n")
        try:
            os.replace(staging, target)  # atomic: a concurrent build sees all or nothing
        except OSError:  # another build got there first
            pass
    return target if (target / ".complete").exists() else None


def resolve(srcdir: str | Path, mode: str | None = None) -> dict[str, Path] | None:
    """The cached folder of every asset, or None to use the CDN (mode "cdn", no npm, or a fetch failed)."""
    mode = mode if mode is not None else os.environ.get("MESAOPT_JS_ASSETS", "local")
    if mode == "cdn":
        return None
    folders = {}
    for name, asset in ASSETS.items():
        folder = fetch(asset, cache_dir(srcdir))
        if folder is None:
            return None
        folders[name] = folder
    return folders


def script_settings(local: bool) -> tuple[str, dict[str, dict[str, str]]]:
    """``mathjax_path`` and ``nb_ipywidgets_js`` for local files or for the CDN (same versions)."""
    if local:
        # Sphinx makes a relative script path relative to _static/; our files sit beside it.
        src = {name: f"../{asset.local_path}" for name, asset in ASSETS.items()}
        extra = {}
    else:
        src = {name: asset.cdn_url for name, asset in ASSETS.items()}
        extra = {"crossorigin": "anonymous"}
    widgets_js = {
        src["requirejs"]: dict(extra),
        # The CDN named here is only asked for widget modules the bundle does not contain (none of ours).
        src["html-manager"]: {"data-jupyter-widgets-cdn": CDN, **extra},
    }
    return src["mathjax"], widgets_js


def _configure(app, config) -> None:
    folders = resolve(app.srcdir)
    app.offline_script_folders = folders
    # An 'html' config value: when this file or the choice local/CDN changes, Sphinx rewrites every page.
    config.offline_scripts_signature = hashlib.sha256(Path(__file__).read_bytes() + repr(folders is None).encode()
                                                      ).hexdigest()[:16]
    mathjax_path, widgets_js = script_settings(local=folders is not None)
    config.mathjax_path = mathjax_path
    if "nb_ipywidgets_js" in config:
        config.nb_ipywidgets_js = widgets_js
    where = f"{VENDOR_DIR}/ (fetched with npm)" if folders else "the public CDN (npm unavailable or MESAOPT_JS_ASSETS=cdn)"
    logger.info(f"offline_scripts: MathJax, require.js and the widget embed bundle load from {where}")


def _copy_to_output(app) -> None:
    folders = getattr(app, "offline_script_folders", None)
    if not folders or app.builder.format != "html":
        return
    for name, folder in folders.items():
        shutil.copytree(folder, Path(app.outdir) / VENDOR_DIR / ASSETS[name].folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".complete"))


# ipywidgets 8 typesets widget labels with MathJax 2's API; forward it to MathJax 3 (which replaces
# window.MathJax when its deferred script runs, so this waits for DOMContentLoaded).
MATHJAX2_SHIM = """document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (mj && mj.version && String(mj.version).charAt(0) === "3" && !mj.Hub) {
    mj.Hub = {Queue: function (command) {
      var element = command && command[2];
      mj.startup.promise.then(function () { return mj.typesetPromise(element ? [element] : undefined); });
    }};
  }
});"""


def _script_key(js) -> tuple:
    filename = os.fspath(js.filename) if js.filename else None
    return filename, tuple(sorted((k, str(v)) for k, v in js.attributes.items()))


def _page_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        if _script_key(js) not in seen:
            seen.add(_script_key(js))
            unique.append(js)
    scripts[:] = unique  # the builder's own per-page list: the template renders it after this event
    embed = ASSETS["html-manager"]
    if not any(js.filename and os.fspath(js.filename).split("?")[0].endswith(f"{embed.folder}/{embed.entry}")
               or js.filename and embed.cdn_url in os.fspath(js.filename) for js in unique):
        return
    if getattr(app, "offline_script_folders", None):
        assets = context["pathto"](f"{VENDOR_DIR}/{embed.folder}/", 1).rstrip("/") + "/"
    else:
        assets = embed.cdn_url.rsplit("/", 1)[0] + "/"
    # Before require.js and the embed bundle (priority 500). require.js takes a global `require` object
    # as its configuration: mapping the bundle's AMD module names to its real folder makes the bundle
    # load its fonts (button icons) from there: it derives its public path from a module's URL.
    # The bundle's modules named "@jupyter-widgets/html-manager" and ".../dist/libembed-amd" both do.
    folder = assets.rstrip("/")
    require_config = {"paths": {"@jupyter-widgets/html-manager/dist": folder,
                                "@jupyter-widgets/html-manager": f"{folder}/embed-amd"}}
    app.add_js_file(None, priority=400, body=(
        f"var require = {json.dumps(require_config)};\n"
        f"window.__jupyter_widgets_assets_path__ = {json.dumps(assets)};\n{MATHJAX2_SHIM}"))


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.add_config_value("offline_scripts_signature", "", "html")
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _copy_to_output)
    app.connect("html-page-context", _page_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
