"""``python -m mesaopt.search N [N ...]``: run chapter 2's network weights on your own n.

The command line lives in :mod:`mesaopt.loopnets.cli`; this module keeps the short name readers type.
"""
import sys

from mesaopt.loopnets.cli import main

if __name__ == "__main__":
    sys.exit(main())
