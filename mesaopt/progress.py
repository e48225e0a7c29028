"""A progress bar for anything that takes more than a couple of seconds.

In a notebook it is an ipywidgets bar with a label (works with ipywidgets 7.7.1 and 8.x); outside a
notebook (tests, scripts) it is silent unless ``stream`` is given. Long-running functions take a
``progress`` argument and call :func:`progress_bar` so the reader sees that work is under way.
"""
from __future__ import annotations

import sys

__all__ = ["progress_bar", "ProgressBar"]


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class ProgressBar:
    """``update(k)`` moves the bar to ``k`` of ``total`` steps; ``close()`` marks it done."""

    def __init__(self, total: int, description: str = "", show: bool | None = None, stream=None):
        self.total = max(int(total), 1)
        self.description = description
        self.value = 0
        self._stream = stream
        self._widget = None
        if show is None:
            show = _in_notebook()
        if show:
            import ipywidgets as widgets
            from IPython.display import display

            self._bar = widgets.IntProgress(value=0, min=0, max=self.total)
            self._label = widgets.Label(value=description)
            self._widget = widgets.HBox([self._bar, self._label])
            display(self._widget)

    def update(self, value: int, note: str = "") -> None:
        self.value = min(int(value), self.total)
        if self._widget is not None:
            self._bar.value = self.value
            self._label.value = f"{self.description} {self.value}/{self.total} {note}".strip()
        elif self._stream is not None:
            print(f"\r{self.description} {self.value}/{self.total} {note}", end="", file=self._stream, flush=True)

    def close(self, note: str = "done") -> None:
        self.update(self.total, note)
        if self._widget is None and self._stream is not None:
            print(file=self._stream)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close("done" if exc[0] is None else "stopped")
        return False


def progress_bar(total: int, description: str = "", show: bool | None = None, stream=None) -> ProgressBar:
    """Create a :class:`ProgressBar`; ``show=None`` shows it only inside a notebook kernel."""
    return ProgressBar(total, description, show=show, stream=stream)


if __name__ == "__main__":  # pragma: no cover - a quick look from a terminal
    import time

    with progress_bar(5, "demo", stream=sys.stderr) as bar:
        for k in range(5):
            time.sleep(0.1)
            bar.update(k + 1)
