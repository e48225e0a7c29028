"""Argument checks that fail early with a message saying what is allowed.

Every public function that takes a user-facing value (a widget setting, a CLI argument, a size)
checks it with these helpers, so bad input never crashes deep inside torch or numpy.
"""
from __future__ import annotations

import math
import numbers

__all__ = ["require_int", "require_float", "require_choice"]


def require_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in [low, high]; otherwise raise ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value}")
    return value


def require_float(name: str, value, low: float | None = None, high: float | None = None,
                  low_inclusive: bool = True) -> float:
    """Return ``value`` as a float if it is a finite number in the given range; otherwise raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise ValueError(f"{name} must be a number{_range(low, high, low_inclusive)}, got {value!r}")
    value = float(value)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if too_low or (high is not None and value > high) or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a number{_range(low, high, low_inclusive)}, got {value}")
    return value


def require_choice(name: str, value, choices) -> object:
    """Return ``value`` if it is one of ``choices``; otherwise raise ValueError listing them."""
    choices = list(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def _range(low, high, low_inclusive: bool = True) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]" if low_inclusive else f" in ({low}, {high}]"
    if low is not None:
        return f" >= {low}" if low_inclusive else f" > {low}"
    if high is not None:
        return f" <= {high}"
    return ""
