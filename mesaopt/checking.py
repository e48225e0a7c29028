"""What every exercise checker shares: calling the student's code and reporting the verdict.

A checker takes the student's function, calls it through :func:`call_student`, compares the
result with the truth, and either returns :func:`passed` or raises :class:`ExerciseFailed`
with a message that says what was expected.
"""
from __future__ import annotations

__all__ = ["ExerciseFailed", "NotImplementedYet", "call_student", "passed", "expect"]


class ExerciseFailed(AssertionError):
    """The student's answer ran but is wrong; the message says how."""


class NotImplementedYet(NotImplementedError):
    """The student's stub still raises NotImplementedError."""


def call_student(fn, *args, exercise: str, **kwargs):
    """Call the student's ``fn``; turn a stub's NotImplementedError into a clear message."""
    if not callable(fn):
        raise TypeError(f"{exercise}: pass your function itself (not its result); got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as err:
        raise NotImplementedYet(
            f"{exercise}: not implemented yet. Replace the `raise NotImplementedError` line in the "
            f"exercise cell with your code, run that cell, then run this check again."
        ) from err


def expect(condition: bool, exercise: str, message: str) -> None:
    """Raise :class:`ExerciseFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseFailed(f"{exercise}: {message}")


def passed(exercise: str, detail: str = "") -> str:
    """Print and return the success line of a checker."""
    line = f"{exercise}: correct." + (f" {detail}" if detail else "")
    print(line)
    return line
