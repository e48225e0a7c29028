"""Write the student copies of the chapters into the built book, for the page *Student copies* to link.

After an HTML build, ``tools/make_student_notebooks.py`` writes one copy per chapter of ``_toc.yml``
(solutions removed) to ``<html>/student/<chapter>.ipynb``, so the published book serves the same
copies the tool makes, built from the same commit as the pages. (Colab cannot open a file from a web
site, only from GitHub: ``tools/push_student_copies.sh`` puts the copies on the branch ``student-copies``.)
"""
from __future__ import annotations

import sys
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
FOLDER = "student"  # inside the HTML output; book/student_copies.md links to ../student/<chapter>.ipynb


def write_copies(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    sys.path.insert(0, str(ROOT / "tools"))
    import make_student_notebooks as tool

    written = tool.write_student_copies(tool.chapter_notebooks(), Path(app.outdir) / FOLDER)
    logger.info(f"student copies: {len(written)} notebooks in {FOLDER}/")


def setup(app):
    app.connect("build-finished", write_copies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
