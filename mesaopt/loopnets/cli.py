"""Run the post's loop with network weights on your own n:  python -m mesaopt.search N [N ...]

Prints one line ``N K`` per input, K computed by running the compiled network weights (not the Python
loop). By default each n goes to the form expected to be fastest for it; ``--form`` picks one, and
``--check`` also runs the Python loop and says whether they agree. An N that is not an integer in
1..2^30 gets a one-line error and exit code 2 (the other N are still answered).

The shortcut form (the default) loads its weights, compiled once, from the files shipped with the
package: the narrowest network of the ladder that covers each n (:mod:`mesaopt.loopnets.shipped`), run
in plain Python on packed integers (:mod:`mesaopt.circuits.packed`). That path imports no numpy, scipy or
torch, and the command imports argparse only for an argument list it cannot read itself (``--help``, a
misspelled option), so that its start-up costs about what the Python loop's does. The other forms
compile their circuits for the largest N asked and run them on numpy/scipy (imported only then).
"""
from __future__ import annotations

import sys

from .loop import N_MAX, loop_bound, search_loop

__all__ = ["main", "parse_n", "parse_args", "estimate_seconds", "choose_form", "build_network", "run_form",
           "FORMS", "MAX_SECONDS"]

FORMS = ("recurrent", "reduced", "positional", "shortcut")
MAX_SECONDS = 60.0       # a form expected to take longer than this for one n is refused, with advice
RANGE = f"1..2^30 (1..{N_MAX})"
IMPORT_SECONDS = 0.5     # numpy and scipy (the forms other than the shortcut), under load: about 0.3-0.8 s


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
    50 us per position, each after importing numpy and scipy and compiling (about 0.5 s together); the
    shortcut about 1 ms plus 0.7 us per band position and bit of width of the narrowest shipped network
    covering n (about 0.09 s for n near 2^30)."""
    big_l = loop_bound(n)
    if form == "recurrent":
        return IMPORT_SECONDS + 1e-3 * big_l
    if form == "reduced":
        return IMPORT_SECONDS + 1e-4 * (big_l + 1)
    if form == "positional":
        return IMPORT_SECONDS + 5e-5 * (big_l + 1)
    from .loop import band_grid
    from .shipped import rung_for

    k = rung_for(n)
    return 1e-3 + 7e-7 * k * (band_grid(1 << k) + 1)


def choose_form(n: int) -> str:
    return min(FORMS, key=lambda form: estimate_seconds(form, n))


def build_network(form: str, n_max: int):
    """The network of ``form`` for every n <= n_max: for the shortcut, the narrowest shipped network
    covering n_max, loaded; the other forms compiled (each imported only when asked for)."""
    if form == "shortcut":
        from .shipped import load_shortcut, rung_for

        return load_shortcut(rung_for(n_max))
    if form == "reduced":
        from .reduced import ReducedSearch

        return ReducedSearch(n_max)
    from .nets import PositionalSearch, RecurrentSearch

    return {"recurrent": RecurrentSearch, "positional": PositionalSearch}[form](n_max)


def run_form(form: str, ns: list[int]) -> dict:
    """{n: k} for the given n, computed by the network of ``form``. The shortcut runs each n on the
    narrowest shipped network covering it (n of the same width together, as one batch)."""
    answers = {}
    if form == "shortcut":
        from .shipped import rung_for

        by_rung: dict = {}
        for n in ns:
            by_rung.setdefault(rung_for(n), []).append(n)
        for batch in by_rung.values():
            answers.update(zip(batch, build_network(form, max(batch)).run(batch)))
        return answers
    import numpy as np

    ks = build_network(form, max(ns)).run(np.array(ns, dtype=np.int64))
    return dict(zip(ns, (int(k) for k in ks)))


def parse_args(argv: list[str]):
    """(the N texts, form or None, check): read directly when ``argv`` is only N words, ``--check`` and
    ``--form F`` with F one of :data:`FORMS`; anything else (``--help``, an unknown or misspelled option,
    a word starting with '-') goes to argparse, which answers it as usual."""
    texts, form, check, words = [], None, False, iter(argv)
    runs = 0                                       # argparse takes the N from one run of words only
    previous_was_n = False
    for word in words:
        is_n = not word.startswith("-")
        if word == "--check":
            check = True
        elif word == "--form" or word.startswith("--form="):
            value = word[len("--form="):] if "=" in word else next(words, None)
            if value not in FORMS:
                return _argparse(argv)
            form = value
        elif not is_n:
            return _argparse(argv)
        else:
            texts.append(word)
            runs += not previous_was_n
        previous_was_n = is_n
    return (texts, form, check) if runs == 1 else _argparse(argv)


def _argparse(argv: list[str]):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mesaopt.search",
                                     description="Run the post's search loop with hand-built network weights.")
    parser.add_argument("N", nargs="+", help=f"integers in {RANGE}")
    parser.add_argument("--form", choices=FORMS, default=None,
                        help="which network to run (default: the fastest one for each n)")
    parser.add_argument("--check", action="store_true", help="also run the Python loop and compare")
    args = parser.parse_args(argv)
    return args.N, args.form, args.check


def main(argv=None) -> int:
    texts, chosen, check = parse_args(sys.argv[1:] if argv is None else list(argv))
    status = 0
    items = []                                     # (text, n or None, form or error)
    for text in texts:
        try:
            n = parse_n(text)
        except ValueError as err:
            items.append((text, None, str(err)))
            continue
        form = chosen or choose_form(n)
        seconds = estimate_seconds(form, n)
        if seconds > MAX_SECONDS:
            items.append((text, None, f"N={n}: the {form} form would take about {seconds:,.0f} s for this n "
                                      f"(limit {MAX_SECONDS:.0f} s); use --form shortcut or leave out --form"))
            continue
        items.append((text, n, form))

    needed: dict = {}
    for _, n, form in items:
        if n is not None:
            needed.setdefault(form, []).append(n)
    answers = {form: run_form(form, ns) for form, ns in needed.items()}

    for text, n, info in items:
        if n is None:
            print(f"error: {info}", file=sys.stderr)
            status = 2
            continue
        k = answers[info][n]
        line = f"{n} {k}"
        if check:
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
