"""Drive JupyterLab in headless Chromium (the system browser) for the browser test.

    with LabServer(notebooks_dir) as lab, Browser() as browser:
        run = run_notebook(browser, lab, "01_profiling.ipynb", timeout_s=300)
        problems(run)   # [] when every check holds

The server is started with optkit.cli.lab_command and lab_env (what `make lab` runs: token auth by the environment,
127.0.0.1, a free port) on a TEMPORARY copy of the notebooks, so nothing JupyterLab writes
can reach the committed notebooks. Test-only settings live in temporary Jupyter directories:
windowing off (every cell attached to the DOM, so off-screen outputs can be inspected) and
autosave off (the notebook is closed with "Discard" and we check the copy is unchanged).
Everything else (the "optkit" kernel, the announcements plugin switched off, recordTiming for
jupyterlab-execute-time) comes from what `optkit install-kernel` put in the environment.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
INSTALL_HINT = ("chromium not found: the browser test needs Debian's chromium package "
                "(as root: `apt-get install chromium`, or `make browser-deps`)")
KERNEL_DISPLAY = "Python (optkit)"
# Error tracebacks and stderr warnings are both rendered as application/vnd.jupyter.stderr in
# JupyterLab 4; a traceback is recognised by IPython's header lines (the notebook model's
# output type "error" is checked as well).
TRACEBACK_RE = re.compile(r"Traceback \(most recent call last\)|^\s*Cell In\[\d+\], line \d+|^-{30,}\n\S+",
                          re.M)
VERDICT_BAD = ("wrong", "error", "not yet", "timeout")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    for cand in CHROMIUM_CANDIDATES:
        if os.access(cand, os.X_OK):
            return cand
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class LabServer:
    """JupyterLab as `make lab` starts it, on a temporary copy of `notebooks`."""

    def __init__(self, notebooks: Path, *, startup_timeout_s: float = 120, extra_env: dict | None = None,
                 extra_args: list | None = None):
        self.source = Path(notebooks)
        self.startup_timeout_s = startup_timeout_s
        self.extra_env = dict(extra_env or {})
        self.extra_args = list(extra_args or [])      # e.g. the Korean UI's app settings dir
        self.token = "optkit-browser-test-" + os.urandom(6).hex()
        self.port = None
        self.proc = None
        self.tmp = None
        self.root = None

    # -- temporary layout: <tmp>/work/notebooks (copy) next to links to the repo's other entries,
    #    so relative paths like ../data resolve as they do in the repository.
    def _prepare(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="optkit-lab-"))
        work = self.tmp / "work"
        work.mkdir()
        self.root = work / "notebooks"
        shutil.copytree(self.source, self.root,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        repo = self.source.resolve().parent
        for entry in repo.iterdir():
            if entry.name in ("notebooks", "build", "test-artifacts") or entry.name.startswith("."):
                continue
            (work / entry.name).symlink_to(entry)
        settings = self.tmp / "settings" / "@jupyterlab"
        (settings / "notebook-extension").mkdir(parents=True)
        (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))
        (settings / "docmanager-extension").mkdir(parents=True)
        (settings / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
            json.dumps({"autosave": False}))
        (self.tmp / "config").mkdir()
        self.verdicts = self.tmp / "verdicts.jsonl"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(self.tmp / "config"),       # no user-level ~/.jupyter config
            "JUPYTERLAB_SETTINGS_DIR": str(self.tmp / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.tmp / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.tmp / "runtime"),
            "OPTKIT_VERDICTS": str(self.verdicts),
            "OPTKIT_RESULTS": str(self.tmp / "results"),           # capstone result files stay here
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        env.update(self.extra_env)
        return env

    def url(self, path: str = "/") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def start(self):
        from optkit.cli import lab_command, lab_config_dir, lab_env

        self._prepare()
        self.port = free_port()
        # expose_app_in_browser: lets the test read the notebook model (output types) and the
        # kernel state; everything the learner sees is still checked in the DOM.
        cmd = lab_command(self.port, self.root) + ["--LabApp.expose_app_in_browser=True"] \
            + self.extra_args
        self.log_path = self.tmp / "server.log"
        self._log = open(self.log_path, "w")
        # the token-stripping config that `make lab` uses, in self.tmp (removed by stop())
        env = lab_env(self.token, self.env(), config_dir=lab_config_dir(self.tmp))
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.root, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {self.startup_timeout_s} s:\n{self.log_tail()}")
                time.sleep(0.2)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text()[-n:]
        except OSError:
            return ""

    def shutdown_kernels(self):
        for s in self.api("/api/sessions") or []:
            try:
                self.api(f"/api/sessions/{s['id']}", method="DELETE")
            except urllib.error.URLError:
                pass

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.proc:
            self._log.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Browser:
    """Headless system Chromium through playwright (never a downloaded browser)."""

    def __init__(self, executable: str | None = None, viewport=(1280, 1000), font_dirs=()):
        self.executable = executable or find_chromium()
        self.viewport = viewport
        self.font_dirs = [str(d) for d in font_dirs]    # more fonts for this browser only (fontconfig)

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        if not self.executable:
            raise RuntimeError(INSTALL_HINT)
        self._tmp = tempfile.mkdtemp(prefix="optkit-chromium-")
        env = None
        if self.font_dirs:      # e.g. the Korean font a learner's desktop would have
            conf = Path(self._tmp) / "fonts.conf"
            dirs = "".join(f"<dir>{d}</dir>" for d in self.font_dirs)
            conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                            f'{dirs}<cachedir>{self._tmp}/fc-cache</cachedir></fontconfig>')
            env = dict(os.environ, FONTCONFIG_FILE=str(conf))
        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            self._tmp, executable_path=self.executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": self.viewport[0], "height": self.viewport[1]}, env=env)
        return self

    def new_page(self):
        page = self.context.new_page()
        page.set_default_timeout(60_000)
        return page

    def __exit__(self, *exc):
        try:
            self.context.close()
        finally:
            self._pw.stop()
            shutil.rmtree(self._tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------
# One notebook, run through the UI.

@dataclass
class BrowserRun:
    name: str
    nb: object                       # the .ipynb as nbformat (tags come from here)
    cells: list                      # per-cell dicts read from the DOM (see _CELLS_JS)
    seconds_open: float = 0.0
    seconds_run: float = 0.0
    timed_out: bool = False
    dialog: str | None = None        # text of a modal dialog that interrupted the run
    kernel_status: str = ""
    screenshot: Path | None = None
    cell_shots: list = field(default_factory=list)
    unchanged_on_disk: bool | None = None
    phases: dict = field(default_factory=dict)   # seconds per phase (open, run, inspect, screenshots, close)

    def tagged(self, tag: str) -> list[int]:
        return [i for i, c in enumerate(self.nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


_KERNEL_READY_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.sessionContext) return false;
  const d = document.querySelector('.jp-Dialog');
  if (d) return 'dialog';
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.connectionStatus === 'connected' && k.status === 'idle');
}"""

# Done when: no cell is queued/running ([*]), the kernel is idle, and either every code cell has an
# execution count or an error stopped "Run All" (the rest stay [ ]). A dialog or a dead kernel ends it too.
_DONE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (document.querySelector('.jp-Dialog')) return 'dialog';
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status === 'dead') return 'dead';
  const ps = [...w.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
  if (!ps.length) return 'empty';
  if (ps.some(t => t.includes('*')) || k.status !== 'idle') return false;
  const allDone = ps.every(t => /^\\[\\d+\\]:$/.test(t));
  let err = false;
  const cells = w.content.widgets;
  for (const c of cells) {
    if (c.model.type !== 'code') continue;
    const outs = c.model.outputs;
    for (let j = 0; j < outs.length; j++) if (outs.get(j).type === 'error') err = true;
  }
  return allDone ? 'done' : (err ? 'error' : false);
}"""

_CELLS_JS = """async () => {
  const w = window.jupyterapp.shell.currentWidget;
  const isWhiteOrClear = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return true;
    const v = m[1].split(',').map(s => parseFloat(s));
    if (v.length === 4 && v[3] === 0) return true;
    return v[0] >= 250 && v[1] >= 250 && v[2] >= 250;
  };
  const imgs = [...w.node.querySelectorAll('.jp-OutputArea-output img')];
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return w.content.widgets.map((cell, i) => {
    const node = cell.node;
    const r = {index: i, type: cell.model.type, prompt: '', outputs: [], modelErrors: [],
               execTime: '', annotation: null, verdicts: []};
    const p = node.querySelector('.jp-InputPrompt'); if (p) r.prompt = p.textContent.trim();
    const et = node.querySelector('.execute-time'); if (et) r.execTime = et.textContent.trim();
    for (const o of node.querySelectorAll('.jp-OutputArea-output')) {
      r.outputs.push({mime: o.getAttribute('data-mime-type') || '', text: o.textContent.slice(0, 4000),
        images: [...o.querySelectorAll('img')].map(im => ({w: im.naturalWidth, h: im.naturalHeight,
                                                          shown: im.getBoundingClientRect().height > 0}))});
    }
    if (cell.model.type === 'code') {
      const outs = cell.model.outputs;
      for (let j = 0; j < outs.length; j++) {
        const o = outs.get(j);
        if (o.type === 'error') { const j2 = o.toJSON(); r.modelErrors.push(j2.ename + ': ' + j2.evalue); }
      }
    }
    const ann = node.querySelectorAll('.optkit-annotation');
    if (ann.length) {
      let colored = 0, total = 0; const colors = new Set();
      for (const a of ann) for (const e of [a, ...a.querySelectorAll('*')]) {
        total++;
        const bg = getComputedStyle(e).backgroundColor;
        if (!isWhiteOrClear(bg)) { colored++; colors.add(bg); }
      }
      r.annotation = {elements: total, colored: colored, colors: [...colors].slice(0, 8)};
    }
    for (const v of node.querySelectorAll('.optkit-verdict'))
      r.verdicts.push({status: v.getAttribute('data-status') || '', text: v.textContent.trim().slice(0, 300)});
    return r;
  });
}"""


def _wait_js(page, js: str, timeout_s: float, poll_ms: int = 500):
    handle = page.wait_for_function(js, timeout=timeout_s * 1000, polling=poll_ms)
    return handle.json_value()


def _screenshot_notebook(page, path: Path) -> Path:
    """The whole notebook as one tall PNG: scroll the notebook panel page by page and stitch."""
    from PIL import Image

    outer = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").first
    box = outer.bounding_box()
    # content height: down to the last cell's bottom (JupyterLab pads below it for scrolling)
    total, view = outer.evaluate("""e => {
      const last = e.querySelector('.jp-WindowedPanel-viewport > .jp-Cell:last-child');
      const end = last ? last.getBoundingClientRect().bottom - e.getBoundingClientRect().top + e.scrollTop + 24
                       : e.scrollHeight;
      return [Math.min(Math.ceil(end), e.scrollHeight), e.clientHeight]; }""")
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": view}
    parts, top = [], 0
    while top < total and len(parts) < 200:
        actual = outer.evaluate(f"e => {{ e.scrollTop = {top}; return e.scrollTop; }}")
        page.wait_for_timeout(50)  # one paint after scrolling (not a wait for work to finish)
        img = Image.open(io.BytesIO(page.screenshot(clip=clip)))
        # keep content rows [top, min(top + view, total)); the browser may clamp scrollTop
        a, b = top - actual, min(top + view, total) - actual
        parts.append(img.crop((0, max(0, a), img.width, max(a + 1, min(b, img.height)))))
        top += view
    height = sum(p.height for p in parts)
    sheet = Image.new("RGB", (parts[0].width, height), "white")
    y = 0
    for p in parts:
        sheet.paste(p, (0, y))
        y += p.height
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, compress_level=3)
    outer.evaluate("e => { e.scrollTop = 0; }")
    return path


# The menu items the harness clicks, as the English UI labels them; a translated UI passes its own
# labels for the same keys (run_notebook(labels=...)).
MENU_LABELS = {"Run": "Run", "Run All Cells": "Run All Cells", "View": "View", "Appearance": "Appearance",
               "Show Left Sidebar": "Show Left Sidebar", "File": "File", "Close Tab": "Close Tab",
               "Discard": "Discard"}


def _menu(page, labels, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(labels[top])}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(labels[item])}$")).click()


def run_notebook(browser: Browser, lab: LabServer, name: str, *, timeout_s: float,
                 artifacts: Path | None = None, plot_shots: bool = False,
                 labels: dict | None = None) -> BrowserRun:
    """Open `name` (relative to the server root), Run > Run All Cells, wait, read the DOM back,
    save screenshots, close without saving. `labels`: the UI's menu labels (default English)."""
    labels = {**MENU_LABELS, **(labels or {})}
    nb_path = lab.root / name
    nb = nbformat.read(nb_path, as_version=4)
    before = file_digest(nb_path)
    page = browser.new_page()
    run = BrowserRun(name=name, nb=nb, cells=[])
    t0 = time.monotonic()
    try:
        # A workspace of its own per notebook: nothing from a previous notebook is restored.
        ws = re.sub(r"\W", "-", Path(name).stem)
        page.goto(lab.url(f"/lab/workspaces/{ws}/tree/{name}"))
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        ready = _wait_js(page, _KERNEL_READY_JS, 120)
        if ready == "dialog":
            run.dialog = page.locator(".jp-Dialog").inner_text()
            return run
        run.seconds_open = time.monotonic() - t0
        _hide_left_sidebar(page, labels)
        t1 = time.monotonic()
        _menu(page, labels, "Run", "Run All Cells")
        try:
            state = _wait_js(page, _DONE_JS, timeout_s)
        except Exception as exc:  # playwright TimeoutError
            if "Timeout" not in type(exc).__name__ and "Timeout" not in str(exc):
                raise
            run.timed_out = True
            state = "timeout"
        run.seconds_run = time.monotonic() - t1
        if state == "dialog":
            run.dialog = page.locator(".jp-Dialog").first.inner_text()
            page.keyboard.press("Escape")
        run.kernel_status = state
        t2 = time.monotonic()
        run.cells = page.evaluate(_CELLS_JS)
        t3 = time.monotonic()
        run.phases.update(open=run.seconds_open, run=run.seconds_run, inspect=t3 - t2)
        if artifacts is not None:
            stem = Path(name).stem
            run.screenshot = _screenshot_notebook(page, artifacts / f"{stem}.png")
            if plot_shots:
                for i in run.tagged("plot"):
                    loc = page.locator(".jp-NotebookPanel .jp-WindowedPanel-viewport > .jp-Cell").nth(i)
                    out = loc.locator(".jp-OutputArea").first
                    shot = artifacts / f"{stem}.cell{i:02d}.png"
                    try:            # best effort: a missing plot is reported by problems(), not here
                        if out.count() and out.is_visible():
                            out.screenshot(path=str(shot), timeout=10_000)
                            run.cell_shots.append(shot)
                    except Exception:
                        pass
            run.phases["screenshots"] = time.monotonic() - t3
    finally:
        t4 = time.monotonic()
        _close_without_saving(page, labels)
        page.close()
        lab.shutdown_kernels()
        run.phases["close"] = time.monotonic() - t4
        run.unchanged_on_disk = file_digest(nb_path) == before
    return run


def _hide_left_sidebar(page, labels=MENU_LABELS):
    """More width for the notebook in screenshots (the file browser is not under test)."""
    try:
        if page.locator("#jp-left-stack:not(.lm-mod-hidden)").count():
            _menu(page, labels, "View", "Appearance")
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(labels['Show Left Sidebar'])}$")).click()
            page.wait_for_selector("#jp-left-stack.lm-mod-hidden", state="attached", timeout=5_000)
    except Exception:  # cosmetic only
        page.keyboard.press("Escape")


def _close_without_saving(page, labels=MENU_LABELS):
    """File > Close Tab; answer the "Save your work" dialog with Discard."""
    try:
        if page.locator(".jp-Dialog").count():
            page.keyboard.press("Escape")
        _menu(page, labels, "File", "Close Tab")
        discard = page.locator(".jp-Dialog button", has_text=re.compile(rf"^{re.escape(labels['Discard'])}$"))
        discard.wait_for(timeout=10_000)
        discard.click()
        page.wait_for_selector(".jp-NotebookPanel", state="detached", timeout=10_000)
    except Exception:  # closing is best effort: the server root is a throw-away copy anyway
        pass


# ------------------------------------------------------------------------------------------
# What must hold for a notebook run in the browser.

def problems(run: BrowserRun) -> list[str]:
    out = []
    if run.dialog:
        out.append(f"a dialog interrupted the run: {run.dialog!r}")
    if run.timed_out:
        out.append("did not finish in time")
    if len(run.cells) != len(run.nb.cells):
        out.append(f"DOM shows {len(run.cells)} cells, the notebook has {len(run.nb.cells)}")
        return out
    for i, (cell, dom) in enumerate(zip(run.nb.cells, run.cells)):
        tags = cell.get("metadata", {}).get("tags", [])
        where = f"cell {i}" + (f" ({','.join(tags)})" if tags else "")
        if cell.cell_type != "code":
            continue
        if not re.fullmatch(r"\[\d+\]:", dom["prompt"]):
            out.append(f"{where}: not executed (prompt {dom['prompt']!r})")
            continue
        for err in dom["modelErrors"]:
            out.append(f"{where}: error output {err}")
        if not dom["modelErrors"]:
            for o in dom["outputs"]:
                if o["mime"] == "application/vnd.jupyter.stderr" and TRACEBACK_RE.search(o["text"]):
                    out.append(f"{where}: traceback shown: {o['text'][:200]!r}")
        if not re.search(r"\d", dom["execTime"]):
            out.append(f"{where}: no execution time shown (jupyterlab-execute-time; recordTiming on?)")
        if "plot" in tags:
            imgs = [im for o in dom["outputs"] for im in o["images"]]
            if not any(im["w"] > 50 and im["h"] > 50 and im["shown"] for im in imgs):
                out.append(f"{where}: no rendered plot image ({imgs})")
        if "lprun" in tags and not any("Timer unit" in o["text"] for o in dom["outputs"]):
            out.append(f"{where}: %lprun table ('Timer unit') not visible")
        if "annotation" in tags:
            ann = dom["annotation"]
            if not ann:
                out.append(f"{where}: no .optkit-annotation element")
            elif ann["colored"] < 2:
                out.append(f"{where}: Cython annotation is not coloured ({ann})")
        if "check" in tags:
            if not dom["verdicts"]:
                out.append(f"{where}: no .optkit-verdict shown")
            for v in dom["verdicts"]:
                if v["status"] in VERDICT_BAD or not v["status"]:
                    out.append(f"{where}: verdict {v['status']!r}: {v['text'][:160]!r}")
    if run.unchanged_on_disk is False:
        out.append("the notebook file changed on disk (JupyterLab saved it)")
    return out
