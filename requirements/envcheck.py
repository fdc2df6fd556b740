"""Compare the running environment with the committed locks.

    python requirements/envcheck.py [--test]     exit 1 and list every difference
    python requirements/envcheck.py --prune      uninstall what neither lock holds (make setup)

Expected: every entry of requirements/learner.txt whose marker holds here (and of
requirements/test.txt with --test), at exactly its version; torch at the version of
requirements/torch.txt when it is installed (TORCH=0 leaves it out); nothing else but pip
(the venv's own) and optkit itself. tests/test_packaging.py uses the same functions.
"""
from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.version import Version

HERE = Path(__file__).resolve().parent
LEARNER, TEST, TORCH = HERE / "learner.txt", HERE / "test.txt", HERE / "torch.txt"
UNLOCKED = {"pip", "optkit"}     # the venv's pip; the project itself (editable)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(path: Path) -> list[tuple[str, str, str]]:
    """(name, version, marker text or '') for every pinned line of a lock file."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]*?))?\s*\\?$", line)
        if m:
            out.append((norm(m.group(1)), m.group(2), (m.group(3) or "").strip()))
    return out


def expected(paths) -> dict[str, str]:
    """name -> version this machine should have, markers evaluated for the running Python."""
    out = {}
    for path in paths:
        for name, version, marker in lock_entries(path):
            if not marker or Marker(marker).evaluate():
                if name in out and out[name] != version:
                    raise ValueError(f"{path.name}: {name} pinned twice for this machine")
                out[name] = version
    return out


def torch_pin() -> str:
    for line in TORCH.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line.split("==", 1)[1]
    raise ValueError(f"no pin in {TORCH}")


def installed() -> dict[str, str]:
    """What is installed in this environment's site-packages (not whatever else is on sys.path:
    setuptools puts its own vendored packages there once imported)."""
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return {norm(d.metadata["Name"]): d.version for d in metadata.distributions(path=paths)}


def differences(with_test: bool) -> list[str]:
    want = expected([LEARNER, TEST] if with_test else [LEARNER])
    have = installed()
    out = []
    for name, version in sorted(want.items()):
        if name not in have:
            out.append(f"missing: {name}=={version}")
        elif Version(have[name]) != Version(version):
            out.append(f"wrong version: {name} {have[name]} installed, {version} locked")
    for name in sorted(set(have) - set(want) - UNLOCKED):
        if name == "torch":
            if Version(Version(have[name]).base_version) != Version(torch_pin()):
                out.append(f"wrong version: torch {have[name]} installed, {torch_pin()} pinned")
        else:
            out.append(f"not in the lock: {name}=={have[name]}")
    return out


def prune() -> list[str]:
    """Uninstall every distribution that neither lock holds (left by an older lock)."""
    locked = {n for path in (LEARNER, TEST) for n, _, _ in lock_entries(path)}
    extra = sorted(set(installed()) - locked - UNLOCKED - {"torch"})
    if extra:
        print(f"not in the lock any more, uninstalling: {' '.join(extra)}")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *extra], check=True)
    return extra


def main(argv) -> int:
    if "--prune" in argv:
        prune()
        return 0
    diff = differences("--test" in argv)
    for line in diff:
        print(line)
    if not diff:
        print(f"environment equals the lock ({sys.prefix})")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
