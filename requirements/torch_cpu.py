"""Install (or download) the CPU build of torch at the version in requirements/torch.txt.

    python requirements/torch_cpu.py [--index URL] [--wheelhouse DIR] [--download DIR]

What `make setup` runs after the learner lock (torch's dependencies are in that lock, so torch
goes in with --no-deps and can bring nothing else):

* --wheelhouse DIR: from DIR only, no index at all (the offline room install);
* on Linux, from --index (TORCH_INDEX in the Makefile; default PyTorch's CPU wheel index) when
  it answers within a few seconds; when it does not, or --index is empty, or on macOS/Windows
  (where PyPI's wheel is the CPU build), from pip's default index and configuration;
* in every case pip first resolves without installing (--dry-run --report) and a wheel that
  requires CUDA packages (nvidia-*, cuda-*, triton) on this machine is refused before it is
  downloaded; after an install, torch must report a CPU build (torch.version.cuda is None).

--download DIR writes the wheel into DIR instead of installing it (`make wheelhouse`).
Exit status 0 on success, 1 with one explanatory line otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare venv (make wheelhouse): the copy pip carries
    from pip._vendor.packaging.requirements import Requirement

HERE = Path(__file__).resolve().parent
PIN_FILE = HERE / "torch.txt"
DEFAULT_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_TIMEOUT_S = 5
CUDA = re.compile(r"^(nvidia-|cuda-|triton$)")
HINT = ("set TORCH_INDEX to an index that serves the CPU build, make a wheelhouse on a machine "
        "that reaches one (README, offline room), or leave torch out with TORCH=0")


def pinned() -> str:
    for line in PIN_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    raise SystemExit(f"torch: no requirement in {PIN_FILE}")


def reachable(index: str) -> bool:
    """True when the index answers at all (any HTTP status) within PROBE_TIMEOUT_S."""
    try:
        urllib.request.urlopen(index.rstrip("/") + "/torch/", timeout=PROBE_TIMEOUT_S).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def cuda_requirements(requires_dist) -> list[str]:
    """The CUDA packages a wheel's Requires-Dist asks for on this machine."""
    out = []
    for text in requires_dist or []:
        req = Requirement(text)
        if CUDA.match(req.name.lower()) and (req.marker is None or req.marker.evaluate({"extra": ""})):
            out.append(req.name)
    return out


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], text=True, capture_output=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="torch_cpu.py", description=__doc__.split("\n")[0])
    ap.add_argument("--index", default=DEFAULT_INDEX, help="CPU wheel index tried first on Linux ('' skips it)")
    ap.add_argument("--wheelhouse", default="", help="install from this folder only, no index")
    ap.add_argument("--download", default="", help="download the wheel into this folder instead")
    args = ap.parse_args(argv)
    spec = pinned()
    if args.wheelhouse:
        source, where = ["--no-index", "--find-links", args.wheelhouse], f"the wheelhouse {args.wheelhouse}"
    elif sys.platform.startswith("linux") and args.index:
        if reachable(args.index):
            source, where = ["--index-url", args.index, "--retries", "1"], args.index
        else:
            print(f"torch: {args.index} did not answer (unreachable, or no reply within {PROBE_TIMEOUT_S} s); "
                  f"trying pip's default index, which must offer a CPU build", flush=True)
            source, where = [], "pip's default index"
    else:
        source, where = [], "pip's default index"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        probe = pip("install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
                    "--report", str(report), *source, spec)
        if probe.returncode != 0:
            tail = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"torch: {spec} not found at {where}: {tail}\n  {HINT}", file=sys.stderr)
            return 1
        items = json.loads(report.read_text()).get("install", [])
    for item in items:
        meta = item.get("metadata", {})
        cuda = cuda_requirements(meta.get("requires_dist"))
        if cuda:
            url = item.get("download_info", {}).get("url", "?")
            print(f"torch: {where} offers a CUDA build of {spec} ({url.rsplit('/', 1)[-1]}, it needs "
                  f"{len(cuda)} CUDA packages: {', '.join(sorted(cuda)[:3])}, ...); refused.\n  {HINT}",
                  file=sys.stderr)
            return 1
    if args.download:
        done = pip("download", "--no-deps", "--quiet", "-d", args.download, *source, spec)
    else:
        done = pip("install", "--no-deps", "--quiet", "--progress-bar", "off", *source, spec)
    if done.returncode != 0:
        print(f"torch: pip failed on {spec} from {where}:\n{done.stdout}{done.stderr}", file=sys.stderr)
        return 1
    if args.download:
        print(f"torch: {spec} (CPU build) from {where} -> {args.download}")
        return 0
    check = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__, torch.version.cuda)"],
                           text=True, capture_output=True)
    if check.returncode != 0 or not check.stdout.strip().endswith("None"):
        print(f"torch: the installed torch is not a CPU build: {check.stdout.strip()} "
              f"{check.stderr.strip()[-300:]}\n  {HINT}", file=sys.stderr)
        return 1
    print(f"torch: {check.stdout.split()[0]} (CPU build) from {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
