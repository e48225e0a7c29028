"""A virtual environment that mirrors Google Colab's runtime: Python 3.13 and tests/colab_runtime.txt.

`.venv-colab` is created on first use (about 3 minutes and 5 GB: torch from PyPI brings its CUDA
libraries), then reused while tests/colab_runtime.txt and the Python found are unchanged. mesaopt is
never installed in it by this module: each chapter's own setup cell installs it (tests/test_colab_runtime.py).
`.ci/run` calls this file before the test command, so the suite does not pay for the install.

Python 3.13 is looked for as `python3.13` on PATH (a pyenv shim that fails without a 3.13 version
selected does not count), then in pyenv's versions folder ($PYENV_ROOT or ~/.pyenv).
"""
from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = ROOT / ".venv-colab"
PINS = ROOT / "tests" / "colab_runtime.txt"
PYTHON_VERSION = (3, 13)


def _version(python: str) -> tuple[int, int] | None:
    """(major, minor) of ``python``, or None when it does not run."""
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return tuple(map(int, out.stdout.split())) if out.returncode == 0 else None


def _patch(python: str) -> tuple[int, ...]:
    """The version tuple in a pyenv folder name such as .../versions/3.13.0/bin/python3.13."""
    name = Path(python).parents[1].name
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def find_python() -> tuple[str | None, str]:
    """(a Python 3.13 interpreter, where it was found), or (None, why there is none)."""
    name = "python{}.{}".format(*PYTHON_VERSION)
    tried = []
    on_path = shutil.which(name)
    if on_path:
        if _version(on_path) == PYTHON_VERSION:
            return on_path, "PATH"
        tried.append(f"{on_path} (on PATH) does not run")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(glob.glob(str(pyenv / "{}.{}.*".format(*PYTHON_VERSION) / "bin" / name)), key=_patch)
    for candidate in reversed(candidates):  # the newest patch release first
        if _version(candidate) == PYTHON_VERSION:
            return candidate, "pyenv"
        tried.append(f"{candidate} does not run")
    if not candidates:
        tried.append(f"no {pyenv}/{PYTHON_VERSION[0]}.{PYTHON_VERSION[1]}.*")
    return None, (f"no Python {PYTHON_VERSION[0]}.{PYTHON_VERSION[1]} found ({'; '.join(tried) or f'no {name} on PATH'}); "
                  f"install one (e.g. `pyenv install 3.13`) to run the chapters in Colab's runtime")


def python() -> Path:
    return ENV / "bin" / "python"


def ensure_env() -> Path:
    """Create or update `.venv-colab` when needed (one session at a time); return its python.

    Raises LookupError, with the reason, when there is no Python 3.13.
    """
    base, where = find_python()
    if base is None:
        raise LookupError(where)
    with open(ROOT / ".venv-colab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions at once would run two pip installs into one env
        return _ensure_env(base)


def _ensure_env(base: str) -> Path:
    stamp = ENV / "colab_runtime.sha256"
    digest = hashlib.sha256(PINS.read_bytes() + os.path.realpath(base).encode()).hexdigest()
    if python().exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python()
    shutil.rmtree(ENV, ignore_errors=True)  # from scratch: a pin removed from the file must leave the env too
    subprocess.run([base, "-m", "venv", str(ENV)], check=True, timeout=300)
    result = subprocess.run([str(python()), "-m", "pip", "install", "-q", "-r", str(PINS)], cwd=ROOT,
                            capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"could not create {ENV.name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    stamp.write_text(digest + "\n")
    return python()


def disk_size(path: Path = ENV) -> int:
    """Bytes under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


if __name__ == "__main__":
    start = time.perf_counter()
    try:
        env_python = ensure_env()
    except LookupError as why:  # the tests skip the Colab runtime too; nothing to prepare
        print(f"colab_env: {why}")
        sys.exit(0)
    print(f"colab_env: {env_python} ready in {time.perf_counter() - start:.0f} s, {disk_size() / 1e9:.1f} GB")
