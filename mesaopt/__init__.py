"""Mesa-optimizers, hands-on: the reusable pieces behind the book."""
# The one place the version is written: pyproject.toml reads it, and each chapter's setup cell installs
# the tag v<this version> in Colab (tests/test_book_files.py checks they agree).
__version__ = "0.2.0"
