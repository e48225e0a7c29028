"""Colab ships ipywidgets 7.7.1, the book's own environment 8.x: widget code must use only what both share.

A static scan of the package's widget code and the notebooks. That every chapter actually runs under
ipywidgets 7.7.1 is tested in Colab's whole runtime by tests/test_colab_runtime.py.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from book_files import ROOT, toc_notebooks

# Exist in only one of ipywidgets 7.7.1 / 8.x (or changed meaning between them).
ONE_VERSION_CLASSES = {
    "TagsInput", "ColorsInput", "FloatsInput", "IntsInput", "Stack",  # 8 only
    "DatetimePicker", "NaiveDatetimePicker", "TimePicker",  # 8 only
    "FileUpload",  # its .value is a dict in 7 and a tuple in 8
}
ONE_VERSION_ATTRIBUTES = {
    "tooltip",  # 8 only (7: description_tooltip)
    "description_tooltip",  # 7 (deprecated in 8)
    "playing", "repeat", "show_repeat",  # Play: 8 only (7: _playing, no repeat)
    "_playing",  # Play: 7 only
    # style keys of Label/HTML/Checkbox/... new in 8 (7.7.1 has only description_width and a few others)
    "font_size", "font_family", "font_style", "font_variant", "text_color", "text_decoration",
}


def one_version_uses(source: str) -> list[str]:
    """Uses of names that exist in only one of ipywidgets 7.7.1 and 8.x, as 'line N: name'."""
    # IPython magics and shell escapes are not Python
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    found = []
    called = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called.add(id(node.func))  # x.repeat(...) is a method call (numpy, torch), not Play.repeat
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Name) and node.id in ONE_VERSION_CLASSES:
            name = node.id
        elif isinstance(node, ast.Attribute):
            if node.attr in ONE_VERSION_CLASSES or (node.attr in ONE_VERSION_ATTRIBUTES and id(node) not in called):
                name = node.attr
        elif isinstance(node, ast.keyword) and node.arg in ONE_VERSION_ATTRIBUTES:
            name = f"{node.arg}="
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in ONE_VERSION_CLASSES:
            name = node.name
        elif isinstance(node, ast.Constant) and node.value in ONE_VERSION_ATTRIBUTES:
            name = repr(node.value)  # observe(..., names="playing"), getattr(w, "tooltip")
        if name:
            found.append(f"line {getattr(node, 'lineno', '?')}: {name}")
    return sorted(set(found))


def test_the_scanner_finds_one_version_names_and_ignores_method_calls():
    bad = ("import ipywidgets as w\nfrom ipywidgets import TagsInput\np = w.Play(repeat=True)\np.playing = False\n"
           "b = w.Button(tooltip='go')\ns = w.Stack([])\np.observe(f, names='playing')\n"
           "w.Label('x', style={'font_size': '20px'})\n")
    assert one_version_uses(bad) == ["line 2: TagsInput", "line 3: repeat=", "line 4: playing", "line 5: tooltip=",
                                     "line 6: Stack", "line 7: 'playing'", "line 8: 'font_size'"]
    fine = ("import numpy as np\nx = np.repeat([1], 3)\ny = x.repeat(2)\nw.IntSlider(description='k')\n"
            "%matplotlib inline\np = w.Play(interval=100)\nw.jslink((p, 'value'), (s, 'value'))\n")
    assert one_version_uses(fine) == []


def widget_sources() -> list[Path]:
    """Every widget module (mesaopt/*/widget.py), and any other module of the package that uses ipywidgets."""
    package = sorted((ROOT / "mesaopt").rglob("*.py"))
    return [p for p in package if p.name == "widget.py" or "ipywidgets" in p.read_text()]


@pytest.mark.parametrize("path", widget_sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_widget_code_uses_only_what_ipywidgets_7_and_8_share(path):
    assert one_version_uses(path.read_text()) == []


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_notebook_code_uses_only_what_ipywidgets_7_and_8_share(path):
    nb = nbformat.read(path, as_version=4)
    found = {i: uses for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (uses := one_version_uses(cell.source))}
    assert found == {}, f"{path.name}: code cells (index: uses) {found}"
    # ipympl's interactive backend does not work in Colab: figures are redrawn inline inside an Output
    assert not [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and re.search(r"%matplotlib\s+(widget|ipympl)", c.source)]
