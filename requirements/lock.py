"""Regenerate the committed locks from pyproject.toml (what `make lock` runs).

    python requirements/lock.py UV        UV: the uv executable (make lock installs a pinned one)

Writes, with uv's universal resolver (every OS and CPU, every Python from 3.10 up, one file):

    requirements/learner.txt   the learner environment: dependencies + the frameworks extra +
                               torch's own dependencies, every file's sha256; torch itself is not
                               in it (see requirements/torch.txt) and neither is anything CUDA
    requirements/test.txt      the test tools only (pytest, hypothesis, playwright and what they
                               alone need), at versions consistent with learner.txt

Fails when a CUDA package (nvidia-*, cuda-*, triton) or torch reaches learner.txt, when a
package is in both files, or when a locked version has no wheel for one of WHEEL_TARGETS and
the Pythons of pyproject's classifiers (the room's machines must not compile anything).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEARNER = HERE / "learner.txt"
TEST = HERE / "test.txt"
NO_CUDA = HERE / "no-cuda.txt"
PYTHON_MIN = "3.10"          # the oldest Python the README claims (pyproject's requires-python)
# nvidia-ml-py is not CUDA: a small pure-Python binding of the NVIDIA driver's management library
# (scalene imports it to ask for GPUs and finds none); it installs no CUDA library.
CUDA = re.compile(r"^(nvidia-(?!ml-py$)|cuda-|triton$|torch$)")
# The machines the README supports. Not Intel Macs: the locked numba has no x86_64 macOS wheel,
# opencv's needs macOS 14, and PyTorch stopped building for them after 2.2.
WHEEL_TARGETS = ["x86_64-manylinux_2_28", "aarch64-manylinux_2_28", "aarch64-apple-darwin",
                 "x86_64-pc-windows-msvc"]


def claimed_pythons() -> list[str]:
    text = (REPO / "pyproject.toml").read_text()
    return sorted(set(re.findall(r"Programming Language :: Python :: (3\.\d+)", text)),
                  key=lambda v: int(v.split(".")[1]))


def check_wheels(uv: str) -> list[str]:
    """Resolve the learner lock once per target and Python with sdists forbidden."""
    failed = []
    for target in WHEEL_TARGETS:
        for python in claimed_pythons():
            proc = subprocess.run(
                [uv, "pip", "compile", "pyproject.toml", "--extra", "frameworks", "--quiet",
                 "--python-platform", target, "--python-version", python, "--only-binary", ":all:",
                 "--constraints", str(LEARNER.relative_to(REPO)), "--excludes",
                 str(NO_CUDA.relative_to(REPO)), "--no-header", "--no-annotate", "-o", os.devnull],
                cwd=REPO, capture_output=True, text=True)
            if proc.returncode != 0:
                why = next((l.strip() for l in proc.stderr.splitlines() if "cause:" in l), proc.stderr[-200:])
                failed.append(f"{target} Python {python}: {why}")
    return failed


def locked_names(path: Path) -> set[str]:
    """Normalised names of the packages pinned in a uv/pip-compile output file."""
    out = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
        if m:
            out.add(re.sub(r"[-_.]+", "-", m.group(1)).lower())
    return out


def compile_lock(uv: str, out: Path, extras: list[str], extra_args: list[str]) -> None:
    cmd = [uv, "pip", "compile", "pyproject.toml", "--universal", "--python-version", PYTHON_MIN,
           "--generate-hashes", "--quiet", "--custom-compile-command", "make lock",
           "--excludes", str(NO_CUDA.relative_to(REPO)), "--no-emit-package", "torch",
           "-o", str(out.relative_to(REPO))]
    for e in extras:
        cmd += ["--extra", e]
    subprocess.run(cmd + extra_args, cwd=REPO, check=True)


def main(argv: list[str]) -> int:
    uv = argv[0] if argv else "uv"
    compile_lock(uv, LEARNER, ["torch", "frameworks"], [])
    learner = locked_names(LEARNER)
    bad = sorted(n for n in learner if CUDA.match(n))
    if bad:
        print(f"lock: CUDA packages reached {LEARNER.name}: {bad}; add them to {NO_CUDA.name}",
              file=sys.stderr)
        return 1
    skip = []
    for name in sorted(learner):
        skip += ["--no-emit-package", name]
    compile_lock(uv, TEST, ["torch", "frameworks", "test"],
                 ["--constraints", str(LEARNER.relative_to(REPO))] + skip)
    both = learner & locked_names(TEST)
    if both:
        print(f"lock: in both locks: {sorted(both)}", file=sys.stderr)
        return 1
    failed = check_wheels(uv)
    if failed:
        print("lock: no wheel for\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    print(f"lock: {LEARNER.relative_to(REPO)} ({len(learner)} packages), "
          f"{TEST.relative_to(REPO)} ({len(locked_names(TEST))} test-only packages); wheels for "
          f"{', '.join(WHEEL_TARGETS)} x Python {', '.join(claimed_pythons())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
