"""Execute a notebook the way the test suite does, and report what happened.

    python -m tests.nbrun notebooks/01_profiling.ipynb [more.ipynb ...]

Runs in the "optkit" kernel with --InteractiveShell.display_page=True (so `%lprun`
output is kept), from the notebook's own folder, with OPTKIT_VERDICTS pointing at a
fresh JSONL file so that self-check verdicts can be read back, and with OPTKIT_RESULTS and
OPTKIT_CONFIG pointing at a fresh temporary folder (removed afterwards), so that a pre-check
never adds a capstone result to a real leaderboard nor a learner id to the user's config,
unless ``env`` names them. The executed copy is written to test-artifacts/executed/.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "executed"
KERNEL = "optkit"
PAGER_FLAG = "--InteractiveShell.display_page=True"


def kernel_args(kernel=KERNEL):
    """The pager flag, unless the kernelspec already passes it (twice kills the kernel)."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel).argv
    except Exception:
        argv = []
    return [] if PAGER_FLAG in argv else [PAGER_FLAG]


@dataclass
class NotebookRun:
    path: Path
    nb: object
    seconds: float
    errors: list = field(default_factory=list)      # (cell index, ename, evalue)
    verdicts: list = field(default_factory=list)    # dicts written by optkit.check
    exception: str | None = None

    def text_outputs(self) -> str:
        """All text a learner would see in outputs (stream, text/plain, text/html)."""
        parts = []
        for cell in self.nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    parts.append(out.get("text", ""))
                data = out.get("data", {})
                for key in ("text/plain", "text/html", "text/markdown"):
                    if key in data:
                        v = data[key]
                        parts.append("".join(v) if isinstance(v, list) else v)
        return "\n".join(parts)

    def images(self) -> int:
        return sum(1 for c in self.nb.cells for o in c.get("outputs", [])
                   if "image/png" in o.get("data", {}))


def execute(path, timeout=900, env=None, kernel=KERNEL) -> NotebookRun:
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    fd, vfile = tempfile.mkstemp(prefix="verdicts-", suffix=".jsonl")
    os.close(fd)
    scratch = tempfile.mkdtemp(prefix="optkit-nbrun-")
    old = dict(os.environ)
    os.environ["OPTKIT_VERDICTS"] = vfile
    # capstone result files and the learner id go to a temporary folder, not the user's
    os.environ["OPTKIT_RESULTS"] = os.path.join(scratch, "results")
    os.environ["OPTKIT_CONFIG"] = os.path.join(scratch, "config")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if env:
        os.environ.update(env)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}},
                            extra_arguments=kernel_args(kernel))
    t0 = time.perf_counter()
    exc = None
    try:
        client.execute()
    except Exception as e:  # a dead kernel or a cell timeout
        exc = f"{type(e).__name__}: {e}"
    finally:
        os.environ.clear()
        os.environ.update(old)
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - t0
    run = NotebookRun(path, nb, seconds, exception=exc)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                run.errors.append((i, out.get("ename"), out.get("evalue")))
    vpath = Path(vfile)
    if vpath.exists():
        run.verdicts = [json.loads(l) for l in vpath.read_text().splitlines() if l.strip()]
        vpath.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, ARTIFACTS / path.name)
    return run


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    bad = 0
    for p in argv:
        run = execute(p)
        print(f"{p}: {run.seconds:.1f} s, {run.images()} images, {len(run.errors)} errors")
        if run.exception:
            print(f"  EXCEPTION: {run.exception}")
        for i, ename, evalue in run.errors:
            print(f"  cell {i}: {ename}: {evalue}")
        for v in run.verdicts:
            print(f"  verdict {v.get('exercise')}: {v.get('status')} (speedup {v.get('speedup')})")
        print(f"  executed copy: {ARTIFACTS / Path(p).name}")
        bad += bool(run.errors or run.exception)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
