"""Run the post's loop with network weights on your own n:  python -m mesaopt.search N [N ...]

Prints one line ``N K`` per input, K computed by running the compiled network weights (not the Python
loop). By default each n goes to the form expected to be fastest for it; ``--form`` picks one, and
``--check`` also runs the Python loop and says whether they agree. An N that is not an integer in
1..2^30 gets a one-line error and exit code 2 (the other N are still answered).

The shortcut form loads its weights, compiled once, from the file shipped with the package
(:mod:`mesaopt.loopnets.shipped`); the other forms compile theirs for the largest N asked. Nothing here
imports torch: the weights run on numpy/scipy.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from .loop import N_MAX, loop_bound, search_loop

__all__ = ["main", "parse_n", "estimate_seconds", "choose_form", "build_network", "FORMS", "MAX_SECONDS"]

FORMS = ("recurrent", "reduced", "positional", "shortcut")
MAX_SECONDS = 60.0       # a form expected to take longer than this for one n is refused, with advice
RANGE = f"1..2^30 (1..{N_MAX})"


def parse_n(text: str) -> int:
    """The integer in ``text`` if it lies in 1..2^30, else ValueError naming the allowed range."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"N must be an integer in {RANGE}, got {text!r}") from None
    if not 1 <= value <= N_MAX:
        raise ValueError(f"N must be an integer in {RANGE}, got {value}")
    return value


def estimate_seconds(form: str, n: int) -> float:
    """Rough time for one n on this machine (measured with benchmarks/search_speed.py, 2 cores):
    recurrent about 1 ms per step, the strength-reduced cell about 0.1 ms per step, positional about
    50 us per position, plus about 10 ms to start; the shortcut loads its weights and always evaluates
    its fixed grid of 4,097 positions: about 0.15 s whatever n is."""
    big_l = loop_bound(n)
    if form == "recurrent":
        return 0.01 + 1e-3 * big_l
    if form == "reduced":
        return 0.01 + 1e-4 * (big_l + 1)
    if form == "positional":
        return 0.01 + 5e-5 * (big_l + 1)
    return 0.15


def choose_form(n: int) -> str:
    return min(FORMS, key=lambda form: estimate_seconds(form, n))


def build_network(form: str, n_max: int):
    """The network of ``form`` for every n <= n_max: the shortcut's shipped weights, loaded; the other
    forms compiled (each imported only when asked for)."""
    if form == "shortcut":
        from .shipped import load_shortcut

        return load_shortcut()
    if form == "reduced":
        from .reduced import ReducedSearch

        return ReducedSearch(n_max)
    from .nets import PositionalSearch, RecurrentSearch

    return {"recurrent": RecurrentSearch, "positional": PositionalSearch}[form](n_max)


def _networks(forms_needed: dict) -> dict:
    """One network per form, wide enough for the largest n it is asked about."""
    return {form: build_network(form, max(ns)) for form, ns in forms_needed.items() if ns}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mesaopt.search",
                                     description="Run the post's search loop with hand-built network weights.")
    parser.add_argument("N", nargs="+", help=f"integers in {RANGE}")
    parser.add_argument("--form", choices=FORMS, default=None,
                        help="which network to run (default: the fastest one for each n)")
    parser.add_argument("--check", action="store_true", help="also run the Python loop and compare")
    args = parser.parse_args(argv)

    status = 0
    items = []                                     # (text, n or None, form)
    for text in args.N:
        try:
            n = parse_n(text)
        except ValueError as err:
            items.append((text, None, str(err)))
            continue
        form = args.form or choose_form(n)
        seconds = estimate_seconds(form, n)
        if seconds > MAX_SECONDS:
            items.append((text, None, f"N={n}: the {form} form would take about {seconds:,.0f} s for this n "
                                      f"(limit {MAX_SECONDS:.0f} s); use --form shortcut or leave out --form"))
            continue
        items.append((text, n, form))

    needed: dict = {form: [] for form in FORMS}
    for _, n, form in items:
        if n is not None:
            needed[form].append(n)
    nets = _networks(needed)
    answers = {}
    for form, ns in needed.items():
        if ns:
            ks = nets[form].run(np.array(ns, dtype=np.int64))
            answers.update({(form, n): int(k) for n, k in zip(ns, ks)})

    for text, n, info in items:
        if n is None:
            print(f"error: {info}", file=sys.stderr)
            status = 2
            continue
        k = answers[(info, n)]
        line = f"{n} {k}"
        if args.check:
            expected = search_loop(n)
            if expected == k:
                line += f"  (form {info}; agrees with the Python loop)"
            else:
                line += f"  (form {info}; DISAGREES: the Python loop gives {expected})"
                status = max(status, 1)
        print(line, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
