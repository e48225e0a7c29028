"""The lock file pins everything the ranges allow, and nothing of this machine leaks into it.

requirements.txt and pyproject.toml keep the ranges; requirements-lock.txt (pip-compile, options in
pyproject.toml's [tool.pip-tools]) pins every package. README.md says how to refresh the lock.
"""
from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from book_files import ROOT

LOCK = ROOT / "requirements-lock.txt"


def lock_pins() -> dict[str, str]:
    """{canonical name: version} of every `name==version` line of the lock."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line):
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def ranges() -> list[Requirement]:
    """Every requirement of requirements.txt and of pyproject.toml's dependencies."""
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [Requirement(l) for l in lines if l and not l.startswith("-")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return reqs + [Requirement(r) for r in project["dependencies"]]


def test_lock_pins_every_line_and_names_no_path_of_this_machine():
    text = LOCK.read_text()
    entries = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert [l for l in entries if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+$", l)] == ["-e ."]
    assert not re.search(r"file://|(^|[\s=])/(work|opt|root|home|tmp|usr)\b|--(find-links|extra-index-url|index-url)", text)


def test_lock_satisfies_every_range():
    pins = lock_pins()
    wrong = {str(r): pins.get(canonicalize_name(r.name)) for r in ranges()
             if pins.get(canonicalize_name(r.name)) is None or not r.specifier.contains(pins[canonicalize_name(r.name)],
                                                                                       prereleases=True)}
    assert wrong == {}, "requirements-lock.txt is stale: refresh it as README.md says"


def test_lock_keeps_ipykernel_6_and_the_cpu_torch():
    text = (ROOT / "requirements.txt").read_text()
    # the cap and the comment that says why and when to lift it
    assert re.search(r"^# ipykernel 7 .*stalls.*\n(#.*\n)*# Lift the cap when.*\n(#.*\n)*ipykernel>=6,<7$", text, re.MULTILINE)
    pins = lock_pins()
    assert pins["ipykernel"].startswith("6.")
    assert pins["torch"] == "2.13.0+cpu"
    assert not [name for name in pins if name.startswith("nvidia-")], "a CUDA build of torch got into the lock"


def test_this_environment_has_the_locked_versions():
    """The interpreter running the tests was installed from the lock (README.md's commands), not by hand."""
    drift = {}
    for name, pinned in lock_pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            drift[name] = (pinned, installed)
    assert drift == {}, "(locked, installed): reinstall with README.md's command"
