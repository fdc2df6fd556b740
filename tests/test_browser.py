"""JupyterLab in a real browser: every notebook runs through the UI and shows what it should.

For each notebooks/NN_*.ipynb: start JupyterLab the way `make lab` does (optkit.cli.lab_command, lab_env:
token auth, 127.0.0.1, a free port) on a temporary copy of notebooks/, open the notebook in headless
Chromium (Debian's `chromium`, driven by playwright; no browser download), Run > Run All Cells,
wait until the kernel is idle and every code cell has an execution count, then check the DOM:
no error output, a rendered image in every "plot" cell, the %lprun table in "lprun" cells, a
coloured Cython annotation in "annotation" cells, a verdict in "check" cells, the per-cell
execution time (jupyterlab-execute-time). Screenshots go to test-artifacts/browser/.

Without chromium (and not root to install it) the module skips with one line saying what to install.
"""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("playwright", reason="pip package 'playwright' missing: pip install playwright")

from tests.browser_helpers import (INSTALL_HINT, REPO, Browser, LabServer, find_chromium, problems,  # noqa: E402
                                   run_notebook)

if find_chromium() is None:
    pytest.skip(INSTALL_HINT, allow_module_level=True)

pytestmark = pytest.mark.browser

NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts" / "browser"
MARGIN_S = 60


def _budget(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    return float(nb.metadata.get("optkit", {}).get("ci_budget_s", 120))


def _params():
    out = []
    for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        limit = _budget(p) * 2 + MARGIN_S
        # pytest-timeout (when installed) as a last resort: the run's own wait ends earlier.
        out.append(pytest.param(p.name, limit, id=p.stem, marks=pytest.mark.timeout(limit + 240)))
    return out


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def lab():
    with LabServer(NOTEBOOKS) as server:
        yield server


def _record(name: str, data: dict):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    summary = ARTIFACTS / "summary.json"
    try:
        all_runs = json.loads(summary.read_text())
    except (OSError, ValueError):
        all_runs = {}
    all_runs[name] = data
    summary.write_text(json.dumps(all_runs, indent=1, sort_keys=True))


def test_lab_requires_the_token(lab):
    """`make lab` serves with token auth: without the token the API refuses."""
    url = f"http://127.0.0.1:{lab.port}/api/contents"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code in (401, 403)
    assert lab.api("/api/contents") is not None


# ---------------------------------------------------------------------------------------------
# The harness itself: a synthetic notebook with one of each thing, then a failure, must be read
# correctly (so that a green browser test means something).

def _synthetic(path: Path):
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata.kernelspec = {"name": "optkit", "display_name": "Python (optkit)", "language": "python"}
    nb.metadata.optkit = {"ci_budget_s": 30}
    nb.cells = [
        v4.new_markdown_cell("# 99 · Harness\n\n## One\n## Two\n## Three"),
        v4.new_code_cell("%matplotlib inline\nimport warnings, matplotlib.pyplot as plt\n"
                         "from IPython.display import HTML\nwarnings.warn('only a warning')"),
        v4.new_code_cell("fig, ax = plt.subplots(figsize=(4, 3)); ax.plot([1, 3, 2]); plt.show()",
                         metadata={"tags": ["plot"]}),
        v4.new_code_cell("def f(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
                         "%load_ext line_profiler\n%lprun -f f f(1000)", metadata={"tags": ["lprun"]}),
        v4.new_code_cell("HTML('<div class=\"optkit-annotation\"><pre style=\"background:#ffff6e\">a</pre>"
                         "<pre style=\"background:#ffffd0\">b</pre></div>')", metadata={"tags": ["annotation"]}),
        v4.new_code_cell("HTML('<div class=\"optkit-verdict\" data-status=\"pass\">pass</div>')",
                         metadata={"tags": ["check"]}),
        v4.new_code_cell("print('no image here')", metadata={"tags": ["plot"]}),
        v4.new_code_cell("HTML('<div class=\"optkit-annotation\"><pre>plain</pre></div>')",
                         metadata={"tags": ["annotation"]}),
        v4.new_code_cell("1 / 0"),
        v4.new_code_cell("print('never runs')"),
    ]
    nbformat.write(nb, path)


def test_harness_reads_the_dom_right(browser, lab, tmp_path):
    _synthetic(lab.root / "zz_harness_selftest.ipynb")      # the server's throw-away copy of notebooks/
    run = run_notebook(browser, lab, "zz_harness_selftest.ipynb", timeout_s=90, artifacts=tmp_path / "shots",
                       plot_shots=True)
    found = problems(run)
    text = "\n".join(found)
    assert run.kernel_status == "error" and not run.timed_out and run.unchanged_on_disk
    # the good cells pass every check ...
    for good in (1, 2, 3, 4, 5):
        assert not [p for p in found if re.match(rf"cell {good}\b", p)], text
    assert "Timer unit" in "".join(o["text"] for o in run.cells[3]["outputs"])
    assert run.cells[4]["annotation"]["colored"] >= 2
    assert run.cells[5]["verdicts"] == [{"status": "pass", "text": "pass"}]
    assert "Last executed" in run.cells[2]["execTime"]
    # ... and each broken thing is reported, at the right cell.
    assert "cell 6 (plot): no rendered plot image" in text
    assert "cell 7 (annotation): Cython annotation is not coloured" in text
    assert "cell 8: error output ZeroDivisionError" in text
    assert "cell 9: not executed" in text
    assert run.screenshot.exists() and run.cell_shots


@pytest.mark.parametrize("name, limit_s", _params())
def test_notebook_in_jupyterlab(browser, lab, name, limit_s):
    t0 = time.monotonic()
    run = run_notebook(browser, lab, name, timeout_s=limit_s, artifacts=ARTIFACTS)
    found = problems(run)
    _record(name, {
        "wall_s": round(time.monotonic() - t0, 1), "open_s": round(run.seconds_open, 1),
        "run_all_s": round(run.seconds_run, 1), "limit_s": limit_s, "state": run.kernel_status,
        "cells": len(run.nb.cells), "plots": len(run.tagged("plot")), "checks": len(run.tagged("check")),
        "verdicts": [v["status"] for c in run.cells for v in c["verdicts"]],
        "phases_s": {k: round(v, 1) for k, v in run.phases.items()},
        "screenshot": str(run.screenshot.relative_to(REPO)) if run.screenshot else None,
        "problems": found,
    })
    assert run.unchanged_on_disk, "JupyterLab wrote to the notebook copy; it must be closed without saving"
    assert not found, f"{name} in JupyterLab:\n  " + "\n  ".join(found)
    assert run.screenshot and run.screenshot.stat().st_size > 10_000
