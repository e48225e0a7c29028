"""The shortcut network's compiled weights for every n <= 2^30, shipped with the package.

Compiling the three circuits from blocks takes about a second; loading them from
``mesaopt/loopnets/data/shortcut_n_max_2p30.npz`` (plain arrays, no pickle) takes milliseconds, so
``python -m mesaopt.search N --form shortcut`` only loads them. The tests rebuild the circuits and check
that the file holds exactly the same weights. After changing the circuits or the compiler, rewrite it:

    python -m mesaopt.loopnets.shipped
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..circuits.core import load_circuits, save_circuits
from .loop import N_MAX
from .nets import ShortcutSearch

__all__ = ["SHIPPED_SHORTCUT", "load_shortcut", "write_shortcut"]

SHIPPED_SHORTCUT = Path(__file__).resolve().parent / "data" / "shortcut_n_max_2p30.npz"


def load_shortcut(path=SHIPPED_SHORTCUT) -> ShortcutSearch:
    """The shortcut network for every n <= 2^30, from the shipped (or given) weights file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run  python -m mesaopt.loopnets.shipped  to compile it")
    return ShortcutSearch(N_MAX, parts=load_circuits(path))


def write_shortcut(path=SHIPPED_SHORTCUT) -> Path:
    """Compile the shortcut network for every n <= 2^30 and store its circuits at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_circuits(path, ShortcutSearch(N_MAX).parts())
    return path


if __name__ == "__main__":
    print(f"wrote {write_shortcut(*sys.argv[1:2])}")
