"""Reading the stored results of the scripts in ``experiments/`` (``experiments/results/<name>.json``).

In a clone of the repository the file is read from disk. Where only the package is installed (a
Colab runtime installs it from the repository with pip), the same file is downloaded from the
repository named in the package's metadata (``[project.urls] Repository`` in pyproject.toml).
"""
from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

__all__ = ["results_path", "load_results", "repository_url"]


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"name must be a results file's name such as 'ch1_scaling' (letters, digits, _ and -), got {name!r}")
    return name


def results_path(name: str) -> Path | None:
    """The local ``experiments/results/<name>.json`` of the checkout this package runs from (or of the
    current folder or its parent), or None when there is none."""
    name = _check_name(name)
    roots = [Path(__file__).resolve().parents[1], Path.cwd(), Path.cwd().parent]
    for root in roots:
        path = root / "experiments" / "results" / f"{name}.json"
        if path.is_file():
            return path
    return None


def repository_url() -> str:
    """The repository URL from the installed package's metadata."""
    for entry in metadata.metadata("mesaopt").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    raise RuntimeError("the installed mesaopt names no Repository URL in its metadata")


def load_results(name: str, branch: str = "main") -> dict:
    """The stored results ``experiments/results/<name>.json``: the local file when there is one, else the
    file downloaded from the repository's ``branch``."""
    path = results_path(name)
    if path is not None:
        return json.loads(path.read_text())
    from urllib.request import urlopen

    owner_repo = repository_url().removeprefix("https://github.com/").strip("/")
    url = f"https://raw.githubusercontent.com/{owner_repo}/{branch}/experiments/results/{_check_name(name)}.json"
    try:
        with urlopen(url, timeout=60) as response:
            return json.loads(response.read().decode())
    except OSError as error:
        raise FileNotFoundError(f"no local experiments/results/{name}.json and downloading {url} failed: {error}") from error
