"""Grade submitted chapter notebooks with the package's own checkers.

    python -m mesaopt.grade alice.ipynb bob.ipynb --out grades.csv
    python -m mesaopt.grade submissions/*.ipynb --out grades.csv --timeout 600 --chapter ch3_detecting_search

For each submission: read it (a file that is not a notebook gets a row that says so), tell its chapter
from its exercises (labels, stub functions, checker calls; the file name only breaks ties), run all its
cells in a fresh kernel with a time limit for the whole notebook (errors allowed, as a student's "Run
all" would), then grade each exercise of that chapter in the same kernel: drop every ``mesaopt`` module,
import the package again from the source files of the installed package (a finder put first on
``sys.meta_path`` that reads only those ``.py`` files, so a module the notebook wrote next to itself, a
changed ``sys.path`` or a stale ``.pyc`` cannot stand in for it), look up the student's function by
name and call the checker on it. The verdict comes back through a file whose name is drawn after the
student's cells ran; what the notebook printed is never read as a verdict, only to note when it claimed
"<label>: correct." for an exercise the grader failed.

One CSV row per submission and exercise: notebook, chapter, exercise, passed (yes/no), the checker's
message, seconds the check took. A notebook that timed out or whose kernel died gets an extra row with
exercise ``(notebook)``. Exit code 0 when every submission was graded (whatever the scores), 1 when
grading stopped because a notebook changed the package's files, 2 on bad arguments.

What it cannot defend against: the checks run in the student's own Python process, after the student's
code. Code written to subvert the grader, which patches numpy, torch, builtins or the import machinery,
walks the checker's stack frames, keeps a thread running, or edits files on disk, can still forge a pass
(edits to the package's own files are detected). Read such a submission; grade as a user that cannot
write to the installed package.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXERCISES", "Exercise", "Row", "chapters", "grade_notebook", "identify_chapter", "main", "poll_kernel_channels_in_slices"]


@dataclass(frozen=True)
class Exercise:
    chapter: str  # the chapter notebook's file stem in book/
    label: str  # the {exercise} directive's :label:
    function: str  # the function the student writes
    checker: str  # "module:function" of the package's checker

    @property
    def checker_module(self) -> str:
        return self.checker.split(":")[0]

    @property
    def checker_name(self) -> str:
        return self.checker.split(":")[1]


# Every exercise of the book, one line each (tests/test_grade.py fails when this differs from the chapters).
EXERCISES = tuple(Exercise(*row) for row in [
    ("ch1_training_an_optimizer", "ch1-grid-layer", "grid_weights", "mesaopt.maximize.exercises:check_grid_weights"),
    ("ch1_training_an_optimizer", "ch1-regret-loss", "regret_loss", "mesaopt.maximize.exercises:check_regret_loss"),
    ("ch2_search_as_weights", "ch2-comparator", "greater_than", "mesaopt.loopnets.exercises:check_comparator"),
    ("ch2_search_as_weights", "ch2-max-node", "max_node", "mesaopt.loopnets.exercises:check_max_node"),
    ("ch3_detecting_search", "ch3-min-cdf", "min_of_k_cdf", "mesaopt.detection.exercises:check_min_of_k_cdf"),
    ("ch3_detecting_search", "ch3-known-base", "known_base_p_value", "mesaopt.detection.exercises:check_known_base_p_value"),
    ("ch3_detecting_search", "ch3-budget-alpha", "alpha_from_budget", "mesaopt.detection.exercises:check_alpha_from_budget"),
])

NOTEBOOK_ROW = "(notebook)"
HEADER = ["notebook", "chapter", "exercise", "passed", "message", "seconds"]
PACKAGE = Path(__file__).resolve().parent  # the installed package the checkers are imported from


def chapters() -> list[str]:
    """The chapters that have exercises, in book order."""
    return list(dict.fromkeys(ex.chapter for ex in EXERCISES))


@dataclass
class Row:
    notebook: str
    chapter: str
    exercise: str
    passed: bool
    message: str
    seconds: float

    def cells(self) -> list[str]:
        message = " ".join(self.message.split())[:1000]
        return [self.notebook, self.chapter, self.exercise, "yes" if self.passed else "no", message, f"{self.seconds:.2f}"]


def identify_chapter(nb, path: Path) -> str | None:
    """The chapter ``nb`` belongs to, or None.

    Each exercise of a chapter scores a point for its ``:label:`` in a markdown cell, one for a code cell
    defining its function and one for a call of its checker; the chapter with most points wins. The file
    name (the chapter's stem or its ``chN`` prefix in it) decides only between tied chapters or when
    nothing matches, so a renamed copy is still recognised.
    """
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    scores = dict.fromkeys(chapters(), 0)
    for ex in EXERCISES:
        scores[ex.chapter] += sum(bool(re.search(pattern, text, re.MULTILINE)) for pattern, text in [
            (rf"^:label:\s*{re.escape(ex.label)}\s*$", markdown),
            (rf"^def\s+{ex.function}\s*\(", code),
            (rf"\b{ex.checker_name}\s*\(", code)])
    stem = path.stem.lower()
    named = {ch for ch in scores if ch in stem or re.search(rf"(?<![a-z0-9]){ch.split('_')[0]}(?![0-9])", stem)}
    best = max(scores.values())
    candidates = {ch for ch, score in scores.items() if score == best} if best else set(scores)
    if len(candidates) > 1:
        candidates &= named
    return candidates.pop() if len(candidates) == 1 else None


def _package_digest() -> str:
    """A hash of every source file of the installed package, to notice a notebook that edits them."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Inside the student's kernel. The grading cell runs _BOOT with builtins.exec in a namespace of its own,
# so no name the student defined or shadowed is looked up, except the function being graded.

_BOOT = '''
import importlib.machinery, sys

class SourceOnly(importlib.machinery.SourceFileLoader):
    def path_stats(self, path):  # no stats: the bytecode cache is neither read nor written
        raise OSError("compiled from source by the grader")

class Pinned:
    """Finds mesaopt and its submodules only among the .py files of the installed package."""
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "mesaopt" and not name.startswith("mesaopt."):
            return None
        for folder in ([PARENT] if name == "mesaopt" else list(path or [])):
            spec = importlib.machinery.FileFinder(folder, (SourceOnly, [".py"])).find_spec(name)
            if spec is not None:
                return spec
        return None

NAMESPACE.pop("_mesaopt_grade_builtins", None)
for name in [n for n in sys.modules if n == "mesaopt" or n.startswith("mesaopt.")]:
    del sys.modules[name]
sys.meta_path.insert(0, Pinned)
try:
    grade = importlib.import_module("mesaopt.grade")
    grade._check_in_kernel(NAMESPACE, LABEL, FUNCTION, CHECKER, PACKAGE, RESULT)
finally:
    sys.meta_path.remove(Pinned)
'''


def _grading_cell(ex: Exercise, result: Path) -> str:
    values = {"PARENT": str(PACKAGE.parent), "PACKAGE": str(PACKAGE), "LABEL": ex.label,
              "FUNCTION": ex.function, "CHECKER": ex.checker, "RESULT": str(result)}
    names = ", ".join(f"{key!r}: {value!r}" for key, value in values.items())
    return ("import builtins as _mesaopt_grade_builtins\n"
            f"_mesaopt_grade_builtins.exec({_BOOT!r}, {{'__builtins__': _mesaopt_grade_builtins, "
            f"'NAMESPACE': _mesaopt_grade_builtins.globals(), {names}}})\n")


def _rebind_to_fresh_package(namespace: dict) -> None:
    """Point the student's names for mesaopt modules, functions and classes at the fresh import, so
    the student's code and the checker use the same classes (``from mesaopt.circuits import mux``)."""
    import importlib
    import types

    for name, value in list(namespace.items()):
        if isinstance(value, types.ModuleType):
            module_name, path = getattr(value, "__name__", ""), []
        elif isinstance(value, (types.FunctionType, type)):
            module_name, path = getattr(value, "__module__", "") or "", value.__qualname__.split(".")
        else:
            continue
        if module_name != "mesaopt" and not module_name.startswith("mesaopt."):
            continue
        try:
            fresh = importlib.import_module(module_name)
            for part in path:
                fresh = getattr(fresh, part)
        except (ImportError, AttributeError):
            continue
        namespace[name] = fresh


def _check_in_kernel(namespace: dict, label: str, function: str, checker: str, package: str, result: str) -> None:
    """Run in the student's kernel from a fresh import: check ``namespace[function]`` and write the verdict."""
    import importlib
    import types

    module_name, checker_name = checker.split(":")
    checking = importlib.import_module("mesaopt.checking")
    module = importlib.import_module(module_name)
    outside = sorted(name for name, m in sys.modules.items() if (name == "mesaopt" or name.startswith("mesaopt."))
                     and not os.path.realpath(getattr(m, "__file__", "") or "").startswith(package + os.sep))
    fn = namespace.get(function)
    passed, seconds = False, 0.0
    if outside:
        message = f"{label}: not graded: {', '.join(outside)} did not come from {package}"
    elif fn is None:
        message = f"{label}: no function named `{function}` is defined: write it in the exercise cell and run that cell"
    elif isinstance(fn, types.FunctionType) and (fn.__module__ or "").startswith("mesaopt"):
        message = f"{label}: `{function}` is the package's own {fn.__module__}.{fn.__qualname__}, not your code"
    else:
        _rebind_to_fresh_package(namespace)
        fn = namespace.get(function)
        start = time.perf_counter()
        try:
            message, passed = str(getattr(module, checker_name)(fn)), True
        except (checking.ExerciseFailed, checking.NotImplementedYet) as err:
            message = str(err)
        except Exception as err:  # noqa: BLE001 - the student's code raised: that is the verdict
            message = f"{label}: the check stopped with {type(err).__name__}: {err}"
        seconds = time.perf_counter() - start
    with open(result, "x") as f:  # "x": a file someone else made first is not overwritten, the grader sees it
        json.dump({"label": label, "passed": passed, "message": message, "seconds": seconds}, f)


# ---------------------------------------------------------------------------------------------------
# In the grader's process (and in the book build, book/_ext/kernel_polling.py).

POLL_SLICE_SECONDS = 0.5


def poll_kernel_channels_in_slices(slice_seconds: float = POLL_SLICE_SECONDS) -> None:
    """Make nbclient notice a kernel's reply within ``slice_seconds`` instead of at the cell's time limit.

    nbclient mimics a front end's Output widget: while it awaits a cell's reply on the shell socket, it sends
    the widget's state to the kernel on that same socket. With pyzmq's asyncio sockets the send can consume the
    socket's edge-triggered "readable" event, so the waiting poll never wakes up: the reply sits in the socket
    until the cell's time limit, when a last poll finds it and the cell "succeeds" (jupyter/nbclient#312). In
    the book build that was the chapter that took ~300 s instead of ~30 s. Polling in short slices, each
    starting with a real poll of the socket, bounds the loss to one slice. Idempotent; affects this process's
    asynchronous kernel clients only (nbval's blocking client does not have the problem).
    """
    from jupyter_client import channels

    # jupyter_client 8 names the asyncio channel AsyncZMQSocketChannel; 7.x (Colab's runtime) has only the
    # asyncio one, named ZMQSocketChannel. Both poll ``self.socket`` and read with ``self._recv()``.
    AsyncZMQSocketChannel = getattr(channels, "AsyncZMQSocketChannel", None) or channels.ZMQSocketChannel
    if getattr(AsyncZMQSocketChannel.get_msg, "_polls_in_slices", False):
        return
    from queue import Empty

    async def get_msg(self, timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = slice_seconds if deadline is None else max(0.0, min(slice_seconds, deadline - time.monotonic()))
            if await self.socket.poll(int(wait * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty

    get_msg._polls_in_slices = True
    AsyncZMQSocketChannel.get_msg = get_msg


_TIMEOUT = "MesaoptGradeTimeout"  # the error nbclient reports, after interrupting the kernel, for a cell out of time


def _runner(nb, cwd: str):
    """An nbclient NotebookClient that keeps no outputs, only notes which exercises the output claims passed."""
    import logging

    from nbclient import NotebookClient

    poll_kernel_channels_in_slices()
    labels = [ex.label for ex in EXERCISES]

    class Runner(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            if self.listening:
                content = msg.get("content", {})
                text = str(content.get("text", "")) + str(content.get("data", {}).get("text/plain", ""))
                seen, self.tail = self.tail + text, (self.tail + text)[-200:]
                self.claims |= {label for label in labels if f"{label}: correct." in seen}
            return None

    quiet = logging.getLogger("mesaopt.grade.nbclient")
    quiet.setLevel(logging.CRITICAL)  # its timeout messages would repeat what the CSV says
    runner = Runner(nb, kernel_name="python3", allow_errors=True, record_timing=False, store_widget_state=False,
                    shutdown_kernel="immediate", interrupt_on_timeout=True, log=quiet,
                    error_on_timeout={"ename": _TIMEOUT, "evalue": "", "traceback": []},
                    resources={"metadata": {"path": cwd}})
    runner.listening, runner.tail, runner.claims, runner.reply, runner.limit = True, "", set(), None, None
    runner.timeout_func = lambda cell: runner.limit  # the trait `timeout` takes whole seconds only
    runner.on_cell_executed = lambda cell, cell_index, execute_reply: setattr(runner, "reply", execute_reply)
    return runner


def _execute(runner, source_or_cell, seconds: float, index: int = 0) -> bool:
    """Run one cell with a time limit; False when it ran out of time (nbclient then interrupted the kernel)."""
    import nbformat

    cell = source_or_cell if not isinstance(source_or_cell, str) else nbformat.v4.new_code_cell(source_or_cell)
    runner.limit, runner.reply = max(seconds, 0.01), None
    runner.execute_cell(cell, index, store_history=not isinstance(source_or_cell, str))
    return not (runner.reply and runner.reply.get("content", {}).get("ename") == _TIMEOUT)


def _run_cells(runner, nb, timeout: float) -> tuple[str | None, bool]:
    """Run the notebook's code cells within ``timeout`` seconds in all; (what went wrong or None, kernel usable)."""
    from nbclient.exceptions import DeadKernelError

    deadline = time.perf_counter() + timeout
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        where = f"cell {index + 1} of {len(nb.cells)}"
        try:
            if time.perf_counter() >= deadline or not _execute(runner, cell, deadline - time.perf_counter(), index):
                usable = _execute(runner, "pass", 10.0)  # after the interrupt: does the kernel answer again?
                return f"timed out after {timeout:g} s in {where}; the later cells did not run", usable
        except DeadKernelError:
            return f"the kernel died in {where}", False
    return None, True


def _run_and_check(nb, name: str, chapter: str, timeout: float, check_timeout: float) -> list[Row]:
    import shutil

    from nbclient.exceptions import DeadKernelError

    exercises = [ex for ex in EXERCISES if ex.chapter == chapter]
    verdicts: dict[str, Row] = {}
    trouble = None  # what kept the notebook from running to its end, or a check from finishing
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mesaopt-grade-") as cwd:
        runner = _runner(nb, cwd)
        results = None
        try:
            with runner.setup_kernel():
                trouble, usable = _run_cells(runner, nb, timeout)
                runner.listening = False
                results = Path(tempfile.mkdtemp(prefix="mesaopt-verdicts-"))  # its name is drawn only now
                for ex in exercises:
                    if not usable:
                        break
                    result = results / f"{secrets.token_hex(16)}.json"
                    if _execute(runner, _grading_cell(ex, result), check_timeout):
                        verdicts[ex.label] = _read_verdict(result, name, chapter, ex, runner.claims)
                    else:
                        verdicts[ex.label] = Row(name, chapter, ex.label, False,
                                                 f"{ex.label}: the check did not finish within {check_timeout:g} s",
                                                 check_timeout)
                        usable = _execute(runner, "pass", 10.0)
                        trouble = trouble or (None if usable else "the kernel did not answer after a check timed out")
        except (DeadKernelError, RuntimeError, TimeoutError, OSError) as err:  # died or would not start
            trouble = trouble or f"the kernel stopped: {type(err).__name__}: {err}"
        finally:
            if results is not None:
                shutil.rmtree(results, ignore_errors=True)
    rows = [verdicts.get(ex.label) or Row(name, chapter, ex.label, False, f"{ex.label}: not graded: {trouble}", 0.0)
            for ex in exercises]
    if trouble:
        rows.append(Row(name, chapter, NOTEBOOK_ROW, False, trouble, time.perf_counter() - start))
    return rows


def _read_verdict(result: Path, name: str, chapter: str, ex: Exercise, claims: set) -> Row:
    try:
        verdict = json.loads(result.read_text())
        ok = (verdict.get("label") == ex.label and isinstance(verdict.get("passed"), bool)
              and isinstance(verdict.get("message"), str) and isinstance(verdict.get("seconds"), (int, float)))
    except (OSError, ValueError, AttributeError):
        ok = False
    if not ok:
        return Row(name, chapter, ex.label, False, f"{ex.label}: the check left no verdict (its cell was stopped)", 0.0)
    message = verdict["message"]
    if not verdict["passed"] and ex.label in claims:
        message += f' [the notebook\'s own output claims "{ex.label}: correct."]'
    return Row(name, chapter, ex.label, verdict["passed"], message, float(verdict["seconds"]))


def grade_notebook(path: Path, timeout: float = 600.0, check_timeout: float = 60.0,
                   chapter: str | None = None, name: str | None = None) -> list[Row]:
    """The rows for one submission: one per exercise of its chapter, plus one when something went wrong."""
    import nbformat

    name = name or str(path)
    start = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as err:  # noqa: BLE001 - anything unreadable is reported the same way
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return [Row(name, chapter or "", NOTEBOOK_ROW, False, f"not a valid notebook (nothing graded): {first}",
                    time.perf_counter() - start)]
    chapter = chapter or identify_chapter(nb, path)
    if chapter is None:
        return [Row(name, "", NOTEBOOK_ROW, False, "could not tell which chapter this is (it shows none of the "
                    "book's exercises and its name none of the chapters'): give --chapter", time.perf_counter() - start)]
    return _run_and_check(nb, name, chapter, timeout, check_timeout)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + message
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m mesaopt.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="+", type=Path, help="the submitted .ipynb files")
    parser.add_argument("--out", type=Path, help="the CSV to write (default: standard output)")
    parser.add_argument("--timeout", type=_positive, default=600.0,
                        help="seconds for all of one notebook's cells (default 600)")
    parser.add_argument("--check-timeout", type=_positive, default=60.0, help="seconds for each check (default 60)")
    parser.add_argument("--chapter", choices=chapters(), help="grade every submission as this chapter")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.submissions if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    if args.out is not None:
        if not args.out.parent.is_dir():
            parser.error(f"--out: no such folder: {args.out.parent}")
        if args.out.suffix == ".ipynb" or any(args.out.resolve() == p.resolve() for p in args.submissions):
            parser.error(f"--out {args.out} would overwrite a notebook; name a .csv file")

    rows: list[Row] = []
    code = 0
    digest = _package_digest()
    for number, path in enumerate(args.submissions, 1):
        if code:
            rows.append(Row(str(path), "", NOTEBOOK_ROW, False, "not graded: an earlier submission changed the "
                            "package's files", 0.0))
            continue
        start = time.perf_counter()
        graded = grade_notebook(path, args.timeout, args.check_timeout, args.chapter)
        if _package_digest() != digest:
            code = 1
            for row in graded:
                row.passed, row.message = False, f"not graded: the notebook changed the files of {PACKAGE}"
            print(f"error: {path} changed the files of {PACKAGE}; reinstall it before grading again", file=sys.stderr)
        rows.extend(graded)
        done = [r for r in graded if r.exercise != NOTEBOOK_ROW]
        trouble = [r.message for r in graded if r.exercise == NOTEBOOK_ROW]
        print(f"[{number}/{len(args.submissions)}] {path}: {graded[0].chapter or '?'}, "
              f"{sum(r.passed for r in done)}/{len(done)} passed, {time.perf_counter() - start:.0f} s"
              + (f" ({trouble[0]})" if trouble else ""), file=sys.stderr)

    out = open(args.out, "w", newline="") if args.out else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(row.cells() for row in rows)
    finally:
        if args.out:
            out.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
