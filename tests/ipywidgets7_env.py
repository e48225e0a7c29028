"""A second virtual environment like .venv but with ipywidgets 7.7.1, the version Colab ships.

Created by the tests on first use (a few minutes: pip install of requirements.txt with ipywidgets
pinned to 7.7.1, torch from the same pinned wheel), then reused while requirements.txt is unchanged.
"""
from __future__ import annotations

import fcntl
import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = ROOT / ".venv-ipywidgets7"
IPYWIDGETS7 = "7.7.1"


def requirements() -> str:
    """requirements.txt with the ipywidgets line replaced by ``ipywidgets==7.7.1``."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    out = []
    for line in lines:
        name = re.split(r"[<>=!~\s\[;]", line.strip(), maxsplit=1)[0].lower()
        if name == "ipywidgets":
            continue
        out.append(f"-e {ROOT}" if line.strip() == "-e ." else line)
    assert len(out) == len(lines) - 1, "requirements.txt must name ipywidgets once"
    return "\n".join(out + [f"ipywidgets=={IPYWIDGETS7}"]) + "\n"


def python() -> Path:
    return ENV / "bin" / "python"


def ensure_env() -> Path:
    """Create or update the environment when needed (one test session at a time); return its python."""
    with open(ROOT / ".venv-ipywidgets7.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions at once would run two pip installs into one env
        return _ensure_env()


def _ensure_env() -> Path:
    wanted = requirements()
    stamp = ENV / "requirements.sha256"
    digest = hashlib.sha256(wanted.encode()).hexdigest()
    if python().exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python()
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(ENV)], check=True, timeout=300)
    req = ENV / "requirements-ipywidgets7.txt"
    req.write_text(wanted)
    result = subprocess.run([str(python()), "-m", "pip", "install", "-q", "-r", str(req)], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"could not create {ENV.name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    stamp.write_text(digest + "\n")
    return python()


if __name__ == "__main__":
    print(ensure_env())
