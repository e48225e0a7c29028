"""Update tests/colab_runtime.txt to a new Colab runtime: the versions of its pip-freeze.txt.

Usage, from the repository root:  .venv/bin/python tools/colab_pins.py path/to/pip-freeze.txt

Colab publishes its runtime's `pip freeze` in the googlecolab/backend-info repository. This rewrites the
version of every package pinned in tests/colab_runtime.txt that the freeze names (a torch wheel URL such
as `torch @ .../torch-2.11.0%2Bcpu-cp313-...whl` gives 2.11.0: the test takes torch from PyPI), keeps the
others and prints them, so you can decide whether they still belong. Edit the file's source line by hand.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

PINS = Path(__file__).resolve().parents[1] / "tests" / "colab_runtime.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze_versions(text: str) -> dict[str, str]:
    """{normalized name: version} from `pip freeze` output, wheel URLs included (local labels dropped)."""
    versions = {}
    for line in text.splitlines():
        line = line.strip()
        if match := PIN.match(line):
            versions[normalize(match.group(1))] = match.group(2)
        elif match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*) @ \S*/([^/\s]+)\.whl", line):
            parts = unquote(match.group(2)).split("-")  # name-version-python-abi-platform
            versions[normalize(match.group(1))] = parts[1].split("+")[0]
    return versions


def update(pins: str, versions: dict[str, str]) -> tuple[str, list[str]]:
    """The pins file with the new versions, and the pinned names the freeze does not have."""
    lines, missing = [], []
    for line in pins.splitlines():
        match = PIN.match(line.strip())
        if match and normalize(match.group(1)) in versions:
            line = f"{match.group(1)}=={versions[normalize(match.group(1))]}"
        elif match:
            missing.append(match.group(1))
        lines.append(line)
    return "\n".join(lines) + "\n", missing


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit(__doc__)
    text, missing = update(PINS.read_text(), freeze_versions(Path(argv[0]).read_text()))
    PINS.write_text(text)
    print(f"updated {PINS}; not in the freeze, kept as they were: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
