"""Experiment results: written run by run by the scripts in ``experiments/``, read back by the chapters.

**Writing.** An experiment is a set of independent runs, each a JSON-able ``spec`` under a unique key, and
one module-level function ``work(spec) -> dict`` that performs a run. :func:`run_all` runs the specs whose
keys the results file does not hold yet (so a killed run continues where it stopped), in one process
or in a pool of worker processes each pinned to a number of torch threads, shows a ``tqdm`` bar, and
rewrites the results file after every finished run. The file holds:

* ``"design"``: what the script was asked to run last (a results file whose design differs in its
  identifying entries, such as its name, is refused; a design that adds runs extends the file);
* ``"provenance"``: the machine (platform, Python, cores, processor), ``"versions"`` of the packages, the git
  commit;
* ``"sessions"``: one entry per invocation: the exact command, workers and threads, wall time, the
  load average at its start and end (other processes on the machine slow a run down);
* ``"runs"``: per key, the spec, the result, and the run's wall and CPU seconds and load averages.

:func:`machine_facts`, :func:`package_versions`, :func:`git_commit` and :func:`command_line` are the
provenance every script in ``experiments/`` records.

**Reading.** :func:`load_results` reads ``experiments/results/<name>.json``: in a clone of the repository
from disk; where only the package is installed (a Colab runtime installs it with pip), the same file of
the package's release (tag ``v<version>``) from the repository named in the package's metadata
(``[project.urls] Repository`` in pyproject.toml). The environment variable ``MESAOPT_RESULTS_URL``
replaces that download address (a folder URL; ``file://`` works), for a fork or a test without network.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

from tqdm.auto import tqdm

from mesaopt.validation import require_int

__all__ = ["machine_facts", "package_versions", "git_commit", "ResultsFile", "run_all", "command_line",
           "results_path", "repository_url", "results_url", "load_results", "RESULTS_URL_VARIABLE"]


# ---- writing ---------------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # not available on this platform
        return None


def machine_facts() -> dict:
    """Platform, Python, processor model, logical cores (and the cores this process may use), memory."""
    facts = {"platform": platform.platform(), "python": platform.python_version(), "machine": platform.machine(),
             "logical_cores": os.cpu_count()}
    if hasattr(os, "sched_getaffinity"):
        facts["usable_cores"] = len(os.sched_getaffinity(0))
    try:
        text = Path("/proc/cpuinfo").read_text()
        facts["processor"] = next(line.split(":", 1)[1].strip() for line in text.splitlines()
                                  if line.startswith("model name"))
    except (OSError, StopIteration):
        facts["processor"] = platform.processor() or None
    try:
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        facts["memory_gib"] = round(kib / 2 ** 20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return facts


def package_versions(names=("mesaopt", "torch", "numpy", "scipy", "tqdm")) -> dict:
    """Installed version of each distribution in ``names`` (None when it is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(path=".") -> dict | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout holding ``path``, or None outside one."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": sha.stdout.strip(), "dirty": bool(status.stdout.strip())}


def command_line(argv=None) -> str:
    """The exact command that started this process, quoted for a shell."""
    return shlex.join([Path(sys.executable).name, *(sys.argv if argv is None else argv)])


class ResultsFile:
    """A JSON results file that is rewritten atomically after every run.

    ``design`` (any JSON-able dict) says what is being run. An existing file whose design differs in
    the entries named by ``identity`` is refused with a clear error rather than mixed with it;
    otherwise its runs are kept and its design is replaced by ``design`` (every run keeps its own spec).
    """

    def __init__(self, path, design: dict, identity=("name",)):
        self.path = Path(path)
        self.design = json.loads(json.dumps(design))
        if self.path.exists():
            self.data = json.loads(self.path.read_text())
            old = self.data.get("design", {})
            if any(old.get(key) != self.design.get(key) for key in identity):
                raise ValueError(f"{self.path} holds results of another design (differs in {list(identity)}); "
                                 "move it away or pass another output file to start afresh")
            self.data["design"] = self.design
        else:
            self.data = {"design": self.design, "provenance": {}, "sessions": [], "runs": {}}

    @property
    def runs(self) -> dict:
        return self.data["runs"]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=False) + "\n")
        os.replace(tmp, self.path)


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _timed(work, key: str, spec: dict):
    load_start, started = _load_average(), _now()
    wall, cpu = time.perf_counter(), time.process_time()
    result = work(spec)
    return key, {"spec": spec, "result": result, "wall_seconds": round(time.perf_counter() - wall, 3),
                 "cpu_seconds": round(time.process_time() - cpu, 3), "started": started, "finished": _now(),
                 "load_average_start": load_start, "load_average_end": _load_average()}


def run_all(specs: dict, work, results: ResultsFile, *, workers: int = 1, threads: int = 1,
            cost=None, description: str = "runs", extra_provenance: dict | None = None,
            command: str | None = None) -> dict:
    """Run every spec of ``specs`` (``{key: spec}``) that ``results`` does not hold yet; return ``results.runs``.

    ``work`` must be a module-level function (worker processes import it). ``cost(spec)``, if given,
    estimates a run's cost: runs start cheapest first, so partial results cover as many runs as possible.
    Each finished run is written at once; an interrupted call loses only the runs in progress. ``command``: the
    command line recorded for this session (default: this process's, :func:`command_line`).
    """
    workers = require_int("workers", workers, 1, 256)
    threads = require_int("threads", threads, 1, 256)
    pending = [key for key in specs if key not in results.runs]
    if cost is not None:
        pending.sort(key=lambda k: cost(specs[k]))
    results.data["provenance"] = {"machine": machine_facts(), "versions": package_versions(),
                                  "git": git_commit(Path(__file__).resolve().parent), **(extra_provenance or {})}
    session = {"command": command or command_line(), "workers": workers, "torch_threads_per_worker": threads,
               "started": _now(), "runs_before": len(results.runs), "runs_to_do": len(pending),
               "load_average_start": _load_average()}
    results.data["sessions"].append(session)
    results.save()
    start = time.perf_counter()
    bar = tqdm(total=len(specs), initial=len(specs) - len(pending), desc=description, smoothing=0)

    def finish(key, record):
        results.runs[key] = record
        session.update(finished=_now(), wall_seconds=round(time.perf_counter() - start, 1),
                       runs_done=len(results.runs) - session["runs_before"], load_average_end=_load_average())
        results.save()
        bar.update(1)
        bar.set_postfix_str(f"{key} {record['wall_seconds']:.0f} s")
        print(f"done {key}: {record['wall_seconds']:.1f} s wall, {record['cpu_seconds']:.1f} s cpu", file=sys.stderr,
              flush=True)

    try:
        if workers == 1:
            _init_worker(threads)
            for key in pending:
                finish(*_timed(work, key, specs[key]))
        elif pending:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                     initializer=_init_worker, initargs=(threads,)) as pool:
                futures = [pool.submit(_timed, work, key, specs[key]) for key in pending]
                for future in as_completed(futures):
                    finish(*future.result())
    finally:
        bar.close()
        session.update(finished=_now(), wall_seconds=round(time.perf_counter() - start, 1),
                       runs_done=len(results.runs) - session["runs_before"], load_average_end=_load_average())
        results.save()
    return results.runs


# ---- reading ---------------------------------------------------------------------------------------

RESULTS_URL_VARIABLE = "MESAOPT_RESULTS_URL"


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"name must be a results file's name such as 'ch1_scaling' (letters, digits, _ and -), "
                         f"got {name!r}")
    return name


def results_path(name: str) -> Path | None:
    """The local ``experiments/results/<name>.json`` of the checkout this package runs from (or of the
    current folder or its parent), or None when there is none."""
    name = _check_name(name)
    for root in (Path(__file__).resolve().parents[1], Path.cwd(), Path.cwd().parent):
        path = root / "experiments" / "results" / f"{name}.json"
        if path.is_file():
            return path
    return None


def repository_url() -> str:
    """The repository URL from the installed package's metadata."""
    for entry in metadata.metadata("mesaopt").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    raise RuntimeError("the installed mesaopt names no Repository URL in its metadata")


def results_url(name: str) -> str:
    """Where :func:`load_results` downloads ``<name>.json`` from when there is no local file: the folder
    ``$MESAOPT_RESULTS_URL`` if set, else ``experiments/results/`` of this release's tag in the repository."""
    name = _check_name(name)
    base = os.environ.get(RESULTS_URL_VARIABLE)
    if not base:
        from mesaopt import __version__

        owner_repo = repository_url().removeprefix("https://github.com/").strip("/")
        base = f"https://raw.githubusercontent.com/{owner_repo}/v{__version__}/experiments/results"
    return f"{base.rstrip('/')}/{name}.json"


def load_results(name: str) -> dict:
    """The stored results ``experiments/results/<name>.json``: the local file when there is one, else the
    file downloaded from :func:`results_url`."""
    path = results_path(name)
    if path is not None:
        return json.loads(path.read_text())
    from urllib.request import urlopen

    url = results_url(name)
    try:
        with urlopen(url, timeout=60) as response:
            return json.loads(response.read().decode())
    except (OSError, ValueError) as error:
        raise FileNotFoundError(f"no local experiments/results/{name}.json and reading {url} failed: {error}; "
                                f"run the chapter from a clone of the repository, or set {RESULTS_URL_VARIABLE} "
                                "to a folder that holds the results") from error
