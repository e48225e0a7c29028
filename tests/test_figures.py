"""Every figure in the chapters has alt text and a caption, so a screen reader gets what a sighted reader gets.

A figure's text lives in the metadata of the code cell that displays it (myst-nb):
``"mystnb": {"image": {"alt": "..."}, "figure": {"caption": "...", "name": "fig-..."}}``. The alt text
describes what the image shows; the caption gives its point. The static test checks the metadata; the
other reads the book build's executed notebooks and fails for any cell that outputs an image without
both. (tests/test_browser.py checks the `alt` of every image on the built pages.)
"""
from __future__ import annotations

import pytest

from book_files import all_notebooks, toc_notebooks
from conftest import executed_notebook

import nbformat


def figure_text(cell) -> tuple[str, str, str]:
    """(alt text, caption, name) from a code cell's mystnb metadata; empty strings where missing."""
    mystnb = cell.metadata.get("mystnb", {})
    return (str(mystnb.get("image", {}).get("alt", "")).strip(), str(mystnb.get("figure", {}).get("caption", "")).strip(),
            str(mystnb.get("figure", {}).get("name", "")).strip())


def image_cells_without_text(nb) -> list[str]:
    """'cell N (id): what is missing' for every code cell that outputs an image without alt text or caption."""
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        shown = [o for o in cell.get("outputs", []) if "scrapbook" not in o.get("metadata", {})]  # glued: shown where cited
        if not any(key.startswith("image/") for o in shown for key in o.get("data", {})):
            continue
        alt, caption, _ = figure_text(cell)
        lacks = [what for what, text in (("alt text", alt), ("caption", caption)) if not text]
        if lacks:
            missing.append(f"cell {index} ({cell.get('id')}): no {' and no '.join(lacks)}")
    return missing


def test_the_checker_finds_an_image_without_alt_text_or_caption():
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
    bare = nbformat.v4.new_code_cell("plt.show()", outputs=[png])
    captioned = nbformat.v4.new_code_cell("plt.show()", outputs=[png], metadata={"mystnb": {"figure": {"caption": "c"}}})
    full = nbformat.v4.new_code_cell("plt.show()", outputs=[png], metadata={
        "mystnb": {"image": {"alt": "a"}, "figure": {"caption": "c", "name": "fig-x"}}})
    text_only = nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")])
    nb = nbformat.v4.new_notebook(cells=[bare, captioned, full, text_only])
    assert image_cells_without_text(nb) == [f"cell 0 ({bare.id}): no alt text and no caption",
                                            f"cell 1 ({captioned.id}): no alt text"]


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.name)
def test_figure_metadata_is_complete_and_names_are_unique(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "mystnb" in c.metadata]
    incomplete = [c.id for c in cells if not all(figure_text(c)[:2])]
    assert incomplete == [], "cells with figure metadata need both image.alt and figure.caption"
    names = [figure_text(c)[2] for c in cells if figure_text(c)[2]]
    assert all(n.startswith("fig-") for n in names) and len(names) == len(set(names)), names


def figure_cells_with_other_displays(nb) -> list[str]:
    """Cells with a figure caption that display more than one thing (myst-nb would caption and name each)."""
    crowded = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "figure" in cell.metadata.get("mystnb", {}):
            shown = [o for o in cell.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")
                     and "scrapbook" not in o.get("metadata", {})]
            if len(shown) > 1:
                crowded.append(f"cell {index} ({cell.get('id')}): {len(shown)} displays")
    return crowded


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_every_figure_the_chapter_shows_has_alt_text_and_a_caption(built_book, path):
    nb = executed_notebook(path)
    assert nb is not None, f"the book build has no executed copy of {path.name} (see its log)"
    assert image_cells_without_text(nb) == []
    # a table or progress bar in the figure's cell would get its caption too: display the figure in a cell of its own
    assert figure_cells_with_other_displays(nb) == []
