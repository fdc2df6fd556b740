"""Sampling profilers from a notebook: py-spy and Scalene, run as programs, their output parsed.

line_profiler (notebook 01) traces the Python lines of the functions you name, in the thread
that runs them. A sampling profiler looks at the whole process from outside, many times a
second: every thread, native frames (with ``--native``), worker processes (with
``--subprocesses``), and a process that is already running (by its pid). This module runs them
and turns what they write into tables:

* :func:`record` runs ``py-spy record --format raw`` on a command and returns a
  :class:`PySpyProfile` (stacks and sample counts, :meth:`PySpyProfile.table` for the hottest
  functions, :meth:`PySpyProfile.native_share` for the time in native frames);
* :func:`try_record` is :func:`record` for a notebook cell that must go on where py-spy cannot
  run (not installed, ptrace forbidden, a container): ``(profile, "")`` or ``(None, why)``;
* :func:`dump` prints the current stacks of a running process (``py-spy dump --pid``);
* :func:`scalene_run` runs ``scalene run`` on a script and :func:`scalene_split` reads the
  Python vs native split of each function from its JSON;
* :func:`attach_report` says whether py-spy may attach to a process by pid here (ptrace
  permission: Yama's ``ptrace_scope``, ``CAP_SYS_PTRACE``, and a real attempt), for the doctor.

py-spy reads another process's memory, which Linux allows only to a process with ptrace
permission over it. Yama's ``/proc/sys/kernel/yama/ptrace_scope`` sets who has it: 0 any process
of the same user, 1 (the usual default) only its ancestors, 2 only a process with
``CAP_SYS_PTRACE``, 3 nobody. A program py-spy starts itself (``py-spy record -- python ...``)
is its child, so that works at 0 and 1 without the capability; attaching to a process started
elsewhere (``--pid``) needs scope 0 or ``CAP_SYS_PTRACE``, which a container gets with
``docker run --cap-add SYS_PTRACE``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from optkit.files import json_marked, write_marked_json
from optkit.i18n import tr
from optkit.machine import has_cap_sys_ptrace, ptrace_scope

NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")


# --------------------------------------------------------------------------- finding the tools
def pyspy_executable() -> str | None:
    """The py-spy program: beside this Python (the venv's bin/) first, then on PATH."""
    here = Path(sys.executable).parent / ("py-spy.exe" if os.name == "nt" else "py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def scalene_available() -> bool:
    """True when Scalene is importable in this Python (it has wheels for Linux x86_64 only)."""
    return importlib.util.find_spec("scalene") is not None


def try_attach(timeout: float = 10.0, pyspy: str | None = None) -> tuple[bool | None, str]:
    """A real attempt: start a small sleeping Python, ``py-spy dump --pid`` it, stop it.

    The sleeper is this process's child and py-spy its sibling (not its parent), which is the
    case of attaching to a service started elsewhere. Returns (True, "") when py-spy printed the
    sleeper's stack, (False, py-spy's reason) when it could not attach, (None, why) when there
    was nothing to try (no py-spy)."""
    pyspy = pyspy or pyspy_executable()
    if not pyspy:
        return None, tr("py-spy is not installed")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)                       # let the interpreter start its main loop
        try:
            proc = subprocess.run([pyspy, "dump", "--pid", str(sleeper.pid)], capture_output=True,
                                  text=True, timeout=timeout, env=_pyspy_env())
        except subprocess.TimeoutExpired:
            return False, tr("py-spy dump did not answer within {s:g} s", s=timeout)
        if proc.returncode == 0 and ("sleep" in proc.stdout or "<module>" in proc.stdout):
            return True, ""
        return False, _why(proc)
    finally:
        sleeper.kill()
        sleeper.wait()


@dataclass
class AttachReport:
    """Whether py-spy can attach to a running process here, and what to do if not."""
    scope: int | None
    cap_sys_ptrace: bool | None
    pyspy: str | None
    attach_ok: bool | None
    detail: str = ""

    @property
    def child_ok(self) -> bool:
        """Profiling a program py-spy starts itself (its child): allowed at scope 0 and 1, at 2
        only with CAP_SYS_PTRACE, never at 3."""
        if self.pyspy is None or self.scope == 3:
            return False
        return self.scope in (None, 0, 1) or bool(self.cap_sys_ptrace)

    @property
    def advice(self) -> str:
        if self.pyspy is None:
            return tr("install the locked set-up (make setup): it brings py-spy")
        if self.attach_ok:
            return tr("nothing to do: py-spy can attach to a running process by pid")
        if self.scope == 3:
            return tr("ptrace is disabled on this kernel (ptrace_scope 3, until reboot): profile programs "
                      "that py-spy starts itself only if an administrator lowers it")
        return tr("start the program under py-spy (py-spy record -- python script.py), or give the "
                  "container the capability: docker run --cap-add SYS_PTRACE (or, on your own machine, "
                  "sudo sysctl kernel.yama.ptrace_scope=0)")

    def to_dict(self) -> dict:
        return {"ptrace_scope": self.scope, "cap_sys_ptrace": self.cap_sys_ptrace, "py_spy": self.pyspy,
                "attach_ok": self.attach_ok, "child_ok": self.child_ok, "detail": self.detail,
                "advice": self.advice}

    def __str__(self) -> str:
        scope = tr("no Yama (ordinary rules)") if self.scope is None else str(self.scope)
        cap = {True: tr("yes"), False: tr("no"), None: tr("unknown")}[self.cap_sys_ptrace]
        att = {True: tr("yes"), False: tr("no"), None: tr("not tried")}[self.attach_ok]
        return (tr("ptrace_scope: {scope} | CAP_SYS_PTRACE: {cap} | py-spy attaches by pid: {att}",
                   scope=scope, cap=cap, att=att)
                + (f" ({self.detail})" if self.detail else "") + "\n-> " + self.advice)


def attach_report(probe: bool = True, timeout: float = 10.0) -> AttachReport:
    """Read ptrace_scope and CapEff, and (probe=True) try ``py-spy dump`` on a sleeping child."""
    pyspy = pyspy_executable()
    ok, detail = try_attach(timeout, pyspy) if probe else (None, "")
    return AttachReport(ptrace_scope(), has_cap_sys_ptrace(), pyspy, ok, detail)


# --------------------------------------------------------------------------- py-spy output
@dataclass(frozen=True)
class Frame:
    """One frame of a py-spy stack: ``name (file:line)`` or, native, ``name (library.so)``."""
    name: str
    file: str
    line: int | None

    @property
    def process(self) -> int | None:
        """The pid of a --subprocesses marker frame, else None."""
        m = _PROCESS.match(self.name) if self.file == "<process>" else None
        return int(m.group(1)) if m else None

    @property
    def native(self) -> bool:
        if self.file == "<process>":
            return False
        base = self.file.rsplit("/", 1)[-1]
        return self.line is None and (base.endswith(NATIVE_SUFFIXES) or ".so." in base or self.file == "")

    @property
    def label(self) -> str:
        where = self.file.rsplit("/", 1)[-1]
        return f"{self.name} ({where}{'' if self.line is None else ':' + str(self.line)})"

    @property
    def function(self) -> str:
        return f"{self.name} ({self.file.rsplit('/', 1)[-1]})"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")     # py-spy colours its messages
_PROCESS = re.compile(r'^process (\d+):')
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def parse_frame(text: str) -> Frame:
    """'rlsa (kernels.py:12)' -> Frame('rlsa', 'kernels.py', 12); a bare address -> its text."""
    text = text.strip()
    if _PROCESS.match(text):                  # --subprocesses: 'process PID:"command line"'
        return Frame(text, "<process>", None)
    m = _FRAME.match(text)
    if not m:
        return Frame(text, "", None)
    return Frame(m.group("name"), m.group("file"), int(m.group("line")) if m.group("line") else None)


def parse_raw(text: str) -> list[tuple[tuple[Frame, ...], int]]:
    """py-spy's ``--format raw`` (collapsed stacks: root;...;leaf COUNT per line) as
    [(frames root first, samples), ...]. Raises ValueError on a line that is not of that form."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        stack, sep, count = line.rstrip().rpartition(" ")
        if not sep or not count.isdigit():
            raise ValueError(f"line {n} is not 'frame;frame;... COUNT': {line[:80]!r}")
        out.append((tuple(parse_frame(f) for f in stack.split(";") if f.strip()), int(count)))
    return out


@dataclass
class PySpyProfile:
    """Collapsed stacks of a py-spy run (what :func:`record` returns)."""
    stacks: list
    command: list = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""

    @property
    def samples(self) -> int:
        return sum(n for _, n in self.stacks)

    def table(self, top: int = 8, by: str = "function", python_only: bool = False,
              where: str | None = None) -> list[dict]:
        """The hottest frames: self samples (the frame was the leaf), total samples (anywhere in the
        stack), both as shares. by="line" keeps file:line apart, by="library" groups native frames
        by their library (a stripped library's frames are bare addresses); python_only skips native frames
        (a native leaf is then charged to the Python frame that called it); where keeps only the
        Python frames whose file name contains it."""
        self_n, total_n, native = Counter(), Counter(), {}
        for frames, n in self.stacks:
            fs = [f for f in frames if f.process is None and not (python_only and f.native)]
            if where is not None:
                fs = [f for f in fs if f.native or where in f.file]
            if not fs:
                continue
            keys = [f.label if by == "line" else f.file.rsplit("/", 1)[-1] if by == "library" and f.native
                    else f.function for f in fs]
            for k, f in zip(keys, fs):
                native[k] = f.native
            self_n[keys[-1]] += n
            for k in set(keys):
                total_n[k] += n
        total = self.samples or 1
        rows = [{"frame": k, "native": native[k], "self": self_n[k], "self_share": self_n[k] / total,
                 "total": total_n[k], "total_share": total_n[k] / total}
                for k in total_n]
        rows.sort(key=lambda r: (-r["self"], -r["total"], r["frame"]))
        return rows[:top]

    def native_share(self) -> float:
        """Share of the samples whose leaf frame is native code (C, C++, a library)."""
        nat = sum(n for frames, n in self.stacks if frames and frames[-1].native)
        return nat / self.samples if self.samples else 0.0

    def share_under(self, name: str) -> float:
        """Share of the samples with a frame named ``name`` anywhere in the stack."""
        hit = sum(n for frames, n in self.stacks if any(f.name == name for f in frames))
        return hit / self.samples if self.samples else 0.0

    def breakdown(self, names) -> list[dict]:
        """For each function name: its share of all samples (anywhere in the stack) and, of
        those, the share whose leaf frame is native (time inside C/C++ called from it)."""
        rows = []
        for name in names:
            under = [(frames, n) for frames, n in self.stacks if any(f.name == name for f in frames)]
            total = sum(n for _, n in under)
            native = sum(n for frames, n in under if frames[-1].native)
            rows.append({"function": name, "samples": total,
                         "share": total / self.samples if self.samples else 0.0,
                         "native_share": native / total if total else 0.0})
        return rows

    def per_process(self) -> dict:
        """{pid: samples} by the innermost process of each stack (``--subprocesses`` prefixes
        each stack with 'process PID:"command"' frames, a worker's below its parent's); {} for
        a profile recorded without --subprocesses."""
        out = Counter()
        for frames, n in self.stacks:
            pids = [f.process for f in frames if f.process is not None]
            if pids:
                out[pids[-1]] += n
        return dict(out)


def _pyspy_env() -> dict:
    """py-spy's environment: no Rust backtrace (with RUST_BACKTRACE=1 its last line is a frame)."""
    return {**os.environ, "RUST_BACKTRACE": "0"}


def _why(proc) -> str:
    """A profiler's reason for failing: its 'Error: ...' line, else its last non-empty line."""
    lines = [_ANSI.sub("", ln).strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    return errors[0] if errors else (lines[-1] if lines else f"exit status {proc.returncode}")


def _run_or_stop(cmd, timeout: float, what: str, env=None, cwd=None) -> subprocess.CompletedProcess:
    """Run ``cmd`` in a session of its own; past ``timeout`` kill the whole process group (the
    profiler and the program it started) and raise RuntimeError."""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=cwd, start_new_session=True)
    except OSError as exc:                      # missing, not executable, not a program
        raise _CannotRun(tr("py-spy failed: {why}", why=exc) if what == "py-spy"
                           else tr("scalene failed: {why}", why=exc)) from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise _Stopped(tr("{what} did not finish within {s:g} s; it was stopped, with the program it ran",
                          what=what, s=timeout)) from None
    except BaseException:                       # KeyboardInterrupt: leave nothing running
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


class _Stopped(RuntimeError):
    """A profiler run that did not finish in time (and was stopped)."""


class _CannotRun(RuntimeError):
    """The profiler's executable could not be started (missing, not executable)."""


class _ProgramFailed(RuntimeError):
    """The program under the profiler failed: its error, not the profiler's."""


# what py-spy says when the kernel's ptrace rules (or a missing capability) stop it
_PTRACE_WORDS = re.compile(r"ptrace|permission|not permitted|EPERM|CAP_SYS_PTRACE|os error (1|13)\b", re.I)


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


# A child's exit status is not something py-spy reports (it exits 0 when its child fails), so a
# Python program is started through this launcher: the same interpreter runs the script (or -m
# module, or -c code) in the same process, then writes the status to a file. Its own frames are
# taken off the stacks again (see _strip_launcher).
_LAUNCHER = r"""
import os, runpy, sys
status_file = sys.argv[1]
del sys.argv[:2]
code = 0
try:
    if sys.argv[0] == "-m":
        del sys.argv[0]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    elif sys.argv[0] == "-c":
        del sys.argv[0]
        src = sys.argv[0]
        sys.argv[0] = "-c"
        exec(compile(src, "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
        runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if exc.code is not None and not isinstance(exc.code, int):
        print(exc.code, file=sys.stderr)
except BaseException:
    import traceback
    traceback.print_exc()
    code = 1
finally:
    with open(status_file, "w") as f:
        f.write(str(code))
sys.exit(code)
"""
_LAUNCHER_NAME = "optkit_pyspy_launcher.py"


def _is_python(exe) -> bool:
    name = Path(str(exe)).name.lower()
    return str(exe) == sys.executable or re.fullmatch(r"python[0-9.]*(\.exe)?", name) is not None


def _launchable(argv) -> bool:
    """A Python command the launcher understands: python script.py ..., -m mod ..., -c code ..."""
    rest = list(map(str, argv[1:]))
    return bool(rest) and _is_python(argv[0]) and (rest[0] in ("-m", "-c") and len(rest) > 1
                                                   or not rest[0].startswith("-"))


def _strip_launcher(stacks):
    """Take the launcher's frames off each stack: its own, and runpy's right after it. A sample
    of the launcher's own work (its imports, writing the status) is dropped."""
    out = []
    for frames, n in stacks:
        kept, state, own_work = [], "", False     # state: "" | "launcher" | "runpy"
        for f in frames:
            if f.file.endswith(_LAUNCHER_NAME):
                state = "launcher"
                continue
            if state and "runpy" in f.file:
                state = "runpy"
                continue
            if state == "launcher" and f.file != "<string>":
                own_work = True                   # not the program (-c code is "<string>")
            state = ""
            kept.append(f)
        if not own_work:
            out.append((tuple(kept), n))
    return out


def record(argv, *, rate: int = 250, native: bool = False, gil: bool = False, subprocesses: bool = False,
           idle: bool = False, threads: bool = False, duration: float | None = None, timeout: float = 120.0,
           out: str | Path | None = None, pyspy: str | None = None,
           allow_failure: bool = False) -> PySpyProfile:
    """``py-spy record --format raw`` of ``argv`` (a command py-spy starts, so no ptrace
    permission beyond the usual is needed) or of a running process (argv = {"pid": PID}).

    Returns a :class:`PySpyProfile`; raises RuntimeError with py-spy's own "Error:" line when it
    failed (for instance: no permission to attach), when it did not finish within ``timeout``
    seconds (py-spy and the program it started are then stopped), and when the Python program it
    started exited with a non-zero status (a profile of a crashed run is no profile), unless
    ``allow_failure`` is true."""
    pyspy = pyspy or pyspy_executable()
    if not pyspy:
        raise RuntimeError(tr("py-spy is not installed (make setup installs it)"))
    tmp = None
    if out is None:
        tmp = tempfile.NamedTemporaryFile(prefix="optkit-pyspy-", suffix=".txt", delete=False)
        tmp.close()
        out = tmp.name
    cmd = [pyspy, "record", "--format", "raw", "-o", str(out), "-r", str(int(rate)), "--nonblocking"]
    cmd += ["--native"] * native + ["--gil"] * gil + ["--subprocesses"] * subprocesses
    cmd += ["--idle"] * idle + ["--threads"] * threads
    if duration is not None:
        cmd += ["-d", str(max(1, int(round(duration))))]
    status = None
    if isinstance(argv, dict):
        cmd += ["--pid", str(int(argv["pid"]))]
    elif _launchable(argv):
        work = Path(tempfile.mkdtemp(prefix="optkit-pyspy-"))
        (work / _LAUNCHER_NAME).write_text(_LAUNCHER)
        status = work / "status"
        cmd += ["--", str(argv[0]), str(work / _LAUNCHER_NAME), str(status), *map(str, argv[1:])]
    else:
        cmd += ["--", *map(str, argv)]
    if gil or native:
        cmd.remove("--nonblocking")           # py-spy refuses --native with it; --gil: GIL and stacks of one pause
    t0 = time.perf_counter()
    try:
        proc = _run_or_stop(cmd, timeout, "py-spy", env=_pyspy_env())
        seconds = time.perf_counter() - t0
        text = Path(out).read_text() if Path(out).exists() else ""
        if status is not None and not allow_failure and status.exists():
            code = status.read_text().strip()   # the program ran: its failure is the news
            if code != "0":
                own = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines()
                       if ln.strip() and not _ANSI.sub("", ln).startswith("py-spy>")]
                raise _ProgramFailed(tr("the profiled program failed (exit status {code}): {why}",
                                        code=code, why=own[-1] if own else "-"))
        if proc.returncode != 0 or not text.strip():
            raise RuntimeError(tr("py-spy failed: {why}", why=_why(proc)))
        if status is not None and not allow_failure and not status.exists():
            raise _ProgramFailed(tr("the profiled program failed (exit status {code}): {why}",
                                    code="?", why="-"))
        msg = next((_ANSI.sub("", ln).strip() for ln in proc.stdout.splitlines() + proc.stderr.splitlines()
                    if "Samples:" in ln), "")
        stacks = parse_raw(text)
        return PySpyProfile(_strip_launcher(stacks) if status is not None else stacks, cmd, seconds, msg)
    finally:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
        if status is not None:
            shutil.rmtree(status.parent, ignore_errors=True)


def try_record(argv, **kwargs) -> tuple[PySpyProfile | None, str]:
    """:func:`record`, for a notebook cell that must go on where py-spy cannot run.

    Returns ``(profile, "")``, or ``(None, why)`` when py-spy is not installed, when this
    machine's ptrace rules forbid what is asked (a program py-spy starts: its child; a pid:
    attaching), when py-spy itself failed or could not be run, when it ran past its timeout,
    or when the program it ran failed; ``why`` is a sentence to print. The advice of
    :func:`attach_report` (ptrace rules, container capabilities) comes only where ptrace is the
    cause; a failing program and a timeout are named as such. Any other error (bad
    arguments) is raised as usual."""
    report = attach_report(probe=False)
    by_pid = isinstance(argv, dict)
    if report.pyspy is None or (not by_pid and not report.child_ok):
        return None, tr("py-spy cannot sample here, so this cell skips its table: {advice}",
                        advice=report.advice)
    try:
        return record(argv, **kwargs), ""
    except _ProgramFailed as exc:
        return None, tr("the program py-spy ran failed ({why}), so this cell skips its table: fix "
                        "the program (run it without py-spy to see its error)", why=exc)
    except _Stopped as exc:
        return None, tr("py-spy did not finish ({why}), so this cell skips its table: give it a "
                        "shorter run or a longer timeout", why=exc)
    except RuntimeError as exc:
        if not isinstance(exc, _CannotRun) and _PTRACE_WORDS.search(str(exc)):
            return None, tr("py-spy could not sample here ({why}), so this cell skips its table: {advice}",
                            why=exc, advice=report.advice)
        return None, tr("py-spy could not sample here ({why}), so this cell skips its table",
                        why=exc)


def dump(pid: int, *, native: bool = False, timeout: float = 15.0, pyspy: str | None = None) -> str:
    """``py-spy dump --pid PID``: the current stack of every thread of a running process."""
    pyspy = pyspy or pyspy_executable()
    if not pyspy:
        raise RuntimeError(tr("py-spy is not installed (make setup installs it)"))
    cmd = [pyspy, "dump", "--pid", str(int(pid))] + ["--native"] * native
    proc = _run_or_stop(cmd, timeout, "py-spy", env=_pyspy_env())
    if proc.returncode != 0:
        raise RuntimeError(tr("py-spy failed: {why}", why=_why(proc)))
    return _ANSI.sub("", proc.stdout)


# --------------------------------------------------------------------------- Scalene
@dataclass(frozen=True)
class Split:
    """One function's CPU time in a Scalene profile: percent of the whole run in Python, in native
    code called from it, in the system (waiting, I/O)."""
    file: str
    function: str
    lineno: int
    python_pct: float
    native_pct: float
    system_pct: float = 0.0

    @property
    def cpu_pct(self) -> float:
        return self.python_pct + self.native_pct

    @property
    def python_share(self) -> float:
        """Python's share of the function's own CPU time (python / (python + native)), 0..1."""
        return self.python_pct / self.cpu_pct if self.cpu_pct > 0 else 0.0


def scalene_run(script, args=(), *, outfile: str | Path, timeout: float = 120.0, cpu_only: bool = True,
                cwd: str | Path | None = None, virtual_time: bool = False) -> dict:
    """``python -m scalene run -o OUT script [--- args]`` (Scalene 2's command line) and its JSON.

    ``script`` and ``outfile`` count from ``cwd``; the script goes absolute (no name reads as an
    option). Scalene writes in a private folder, its TMPDIR too (python shims), removed afterwards;
    the JSON goes to ``outfile`` marked as ours (key ``"optkit"``): an ``outfile`` without that mark
    is never replaced (FileExistsError). RuntimeError: Scalene failed or wrote nothing (its last line).
    ``virtual_time``: ``--use-virtual-time`` (CPU time; wall-clock books a sample on a call as native)."""
    if not scalene_available():
        raise RuntimeError(tr("Scalene is not installed here (its wheels are for Linux x86_64)"))
    script, outfile = (Path(os.path.abspath(Path(cwd or ".") / p)) for p in (script, outfile))
    mark = "written by optkit.profilers.scalene_run, which replaces it on its next run"
    taken = FileExistsError(tr("{path} exists and scalene_run did not write it: left as it is", path=outfile))
    if not json_marked(outfile, "optkit", mark):
        raise taken
    with tempfile.TemporaryDirectory(prefix="optkit-scalene-", ignore_cleanup_errors=True) as private:
        raw, env = Path(private) / "profile.json", dict(os.environ, TMPDIR=private, TEMP=private, TMP=private)
        cmd = [sys.executable, "-m", "scalene", "run", "-o", str(raw)] + ["--cpu-only"] * cpu_only
        cmd += ["--use-virtual-time"] * virtual_time + [str(script)] + (["---", *map(str, args)] if args else [])
        for attempt in range(2):         # Scalene writes nothing when it caught no sample in the
            proc = _run_or_stop(cmd, timeout, "scalene", env=env, cwd=cwd)   # script (a busy machine)
            if raw.exists() or "--profile-all" not in proc.stderr + proc.stdout:
                break
        if proc.returncode != 0 or not raw.exists():
            raise RuntimeError(tr("scalene failed: {why}", why=_why(proc)))
        profile = json.loads(raw.read_text())
    if not write_marked_json(outfile, profile, "optkit", mark):
        raise taken                      # a file put there while Scalene ran is left as it is
    return profile


def scalene_split(profile: dict, file: str | None = None) -> list[Split]:
    """The per-function Python/native/system split of a Scalene JSON profile (``files`` ->
    ``functions`` with ``n_cpu_percent_python`` and ``n_cpu_percent_c``; a profile without the
    ``functions`` list, from older Scalene versions, is summed from its ``lines``). ``file``
    keeps only the files whose path ends with it. Raises ValueError for another schema."""
    files = profile.get("files") if isinstance(profile, dict) else None
    if not isinstance(files, dict):
        raise ValueError("not a Scalene JSON profile: no 'files' table")
    out = []
    for path, entry in files.items():
        if file is not None and not str(path).endswith(str(file)):
            continue
        rows = entry.get("functions")
        if rows is None:
            rows = entry.get("lines")
        if rows is None:
            raise ValueError(f"Scalene profile: {path} has neither 'functions' nor 'lines'")
        for r in rows:
            if "n_cpu_percent_python" not in r or "n_cpu_percent_c" not in r:
                raise ValueError(f"Scalene profile: {path} rows lack n_cpu_percent_python/_c "
                                 f"(keys: {sorted(r)[:8]})")
            out.append(Split(str(path), str(r.get("line", "")).strip(), int(r.get("lineno", 0)),
                             float(r["n_cpu_percent_python"]), float(r["n_cpu_percent_c"]),
                             float(r.get("n_sys_percent", 0.0))))
    return out


def split_of(profile: dict, function: str, file: str | None = None) -> Split:
    """The :class:`Split` of one function by name (KeyError naming those present otherwise)."""
    splits = scalene_split(profile, file)
    for s in splits:
        if s.function == function:
            return s
    raise KeyError(f"{function!r} not in the Scalene profile (functions: {sorted({s.function for s in splits})})")
