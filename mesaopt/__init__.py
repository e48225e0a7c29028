"""Mesa-optimizers, hands-on: the reusable pieces behind the book."""
__version__ = "0.1.0"
