"""The package's import graph: each chapter's subpackage imports only the shared helpers at the top, the
circuit compiler (chapter 2) and chapter 1's task and models (chapter 3); nothing imports upward or sideways."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from book_files import ROOT

PACKAGE = ROOT / "mesaopt"
SHARED = {"mesaopt", "mesaopt.notebook", "mesaopt.validation", "mesaopt.checking", "mesaopt.resumable",
          "mesaopt.results"}
ALLOWED = {
    "circuits": {"mesaopt.circuits"},
    "maximize": {"mesaopt.maximize"},
    "loopnets": {"mesaopt.loopnets", "mesaopt.circuits"},
    "detection": {"mesaopt.detection", "mesaopt.maximize"},
}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the mesaopt modules that ``path`` imports (relative imports resolved)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            found.add(name)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "mesaopt" or name.startswith("mesaopt.")}


def test_import_resolver_reads_relative_and_absolute_imports(tmp_path):
    assert imported_modules(PACKAGE / "loopnets" / "nets.py") >= {"mesaopt.circuits", "mesaopt.loopnets.loop"}


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_subpackage_imports_only_what_it_may(sub):
    bad = {}
    for path in sorted((PACKAGE / sub).glob("*.py")):
        wrong = {name for name in imported_modules(path)
                 if name not in SHARED and not any(name == a or name.startswith(a + ".") for a in ALLOWED[sub])}
        if wrong:
            bad[path.name] = sorted(wrong)
    assert bad == {}


def test_shared_helpers_import_no_chapter_code():
    for name in ("notebook.py", "validation.py", "checking.py", "resumable.py", "results.py"):
        assert imported_modules(PACKAGE / name) <= SHARED, name


def test_every_subpackage_is_known():
    assert sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()) == sorted(ALLOWED)
