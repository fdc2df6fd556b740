"""What this machine really offers, and what to fix before you measure anything.

    optkit doctor            a plain-text table in a terminal
    optkit doctor --json     the same facts as JSON (only JSON on stdout)
    optkit doctor --check    exit 1 when something an instructor should fix is found
    doctor.report()          the same table as HTML in a notebook

The doctor reads, and never changes, the machine: CPUs as the OS, the affinity mask and
the cgroup CPU quota each see them (the quota is what `docker --cpus` sets), memory,
the thread settings of every library that runs its own pool (OpenMP, OpenBLAS/MKL,
Numba, OpenCV, PyTorch) and threadpoolctl's view of the pools actually loaded, whether
a C compiler and OpenMP work, how optkit's own C extension was built, and the GPU state.

It never crashes on an odd system: anything it cannot read is reported as
"unknown: <reason>". Every problem found comes with a one-line advice.
"""
from __future__ import annotations

import argparse
import functools
import html
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import sys
from pathlib import Path

from .i18n import tr
from .machine import (THREAD_ENV_VARS, cpu_facts, is_unknown, memory_facts, package_versions, probe_compiler,
                      query_gpus, thread_facts, torch_cuda, unknown)
from .profilers import attach_report

__all__ = ["collect", "report", "sections", "main", "Report", "FAIL", "WARN", "INFO", "env_thread_count"]


TEXT_WIDTH = 100      # characters per line of the text report: fits a notebook beside the file browser
FAIL, WARN, INFO = "fail", "warn", "info"   # severity: FAIL makes `--check` exit non-zero


# --------------------------------------------------------------------------- native build
def _native():
    try:
        mod = importlib.import_module("optkit.native")
        info = mod.build_info()
        return dict(info) if isinstance(info, dict) else {"info": repr(info)}
    except Exception as exc:
        return unknown(f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- analysis
def env_thread_count(value, var="OMP_NUM_THREADS") -> int | None:
    """The thread count the variable ``var`` asks for, as an int; None when it is not a whole
    number. Only OMP_NUM_THREADS takes a comma list (one count per nesting level: its first item
    counts); Numba, OpenBLAS and MKL read one number (Numba warns about "1,1" and uses every CPU)."""
    text = str(value).strip()
    if var == "OMP_NUM_THREADS":
        text = text.split(",")[0].strip()
    try:
        return int(text)
    except ValueError:
        return None


def _ncpus(n) -> str:
    return tr("{n} usable CPU", n=n) if n == 1 else tr("{n} usable CPUs", n=n)


def _problem(problems, severity, topic, message, advice):
    problems.append({"severity": severity, "topic": topic, "message": message, "advice": advice})


def _analyse(d: dict) -> None:
    """Fill d["problems"], d["recommendations"] and d["checklist"] from the facts."""
    n = d["cpus"]["usable"]
    cpus, thr, mem, gpu = d["cpus"], d["threads"], d["memory"], d["gpu"]
    problems = []
    # CPUs
    if is_unknown(cpus["cgroup_quota_cpus"]) and cpus["cgroup_error"] and "cannot parse" in cpus["cgroup_error"]:
        _problem(problems, WARN, "cpus", tr("cgroup CPU quota {error}", error=cpus["cgroup_error"]),
                 tr("check the container's --cpus setting; the usable count falls back to affinity and loky"))
    if isinstance(cpus["os_cpu_count"], int) and cpus["os_cpu_count"] > n:
        _problem(problems, INFO, "cpus",
                 tr("os.cpu_count() says {count} but only {n} are usable (affinity/quota)",
                    count=cpus["os_cpu_count"], n=n),
                 tr("size thread pools and worker counts from {n}, not os.cpu_count()", n=n))
    # thread environment variables
    for var, val in thr["env"].items():
        if val is None:
            continue
        k = env_thread_count(val, var)
        if k is None:
            _problem(problems, FAIL, "threads", tr("{var}={value} is not a number", var=var, value=repr(val)),
                     f"export {var}={n}")
            continue
        if k > n:
            _problem(problems, FAIL, "threads", tr("{var}={k} is more than the {cpus}", var=var, k=k, cpus=_ncpus(n)),
                     tr("export {var}={n} (or less when you run several worker processes)", var=var, n=n))
        elif k < 1:
            _problem(problems, FAIL, "threads", tr("{var}={k} is not a valid thread count", var=var, k=k),
                     f"export {var}={n}")
    # library pools
    for lib, fix in (("cv2", tr("cv2.setNumThreads({n}) (any time, in every process)", n=n)),
                     ("numba", tr("export NUMBA_NUM_THREADS={n} before Python starts (Numba reads it at "
                                  "import), or numba.set_num_threads({n}) at run time", n=n)),
                     ("torch", tr("torch.set_num_threads({n}) (any time, in every process)", n=n))):
        v = thr.get(lib)
        if isinstance(v, int) and v > n:
            _problem(problems, FAIL, "threads", tr("{lib} runs {v} threads on {cpus} (oversubscribed)",
                                                   lib=lib, v=v, cpus=_ncpus(n)), fix)
    pools = thr.get("pools")
    if isinstance(pools, list):
        for p in pools:
            k = p.get("num_threads")
            if isinstance(k, int) and k > n:
                name = f"{p.get('internal_api')} ({Path(str(p.get('filepath'))).name})"
                _problem(problems, FAIL, "threads", tr("{name} pool has {k} threads on {cpus} (oversubscribed)",
                                                       name=name, k=k, cpus=_ncpus(n)),
                         tr("export OMP_NUM_THREADS={n} OPENBLAS_NUM_THREADS={n} before Python starts, "
                            "or threadpool_limits({n})", n=n))
        omp = [p for p in pools if p.get("user_api") == "openmp"]
        if len({p.get("filepath") for p in omp}) > 1:
            _problem(problems, INFO, "threads",
                     tr("{count} OpenMP runtimes are loaded ({files})", count=len(omp),
                        files=", ".join(Path(str(p["filepath"])).name for p in omp)),
                     tr("each has its own pool: cap them all (OMP_NUM_THREADS or threadpool_limits), "
                        "and avoid running them at the same time"))
        total = sum(p.get("num_threads") or 0 for p in pools) + sum(
            v for v in (thr.get("cv2"), thr.get("numba")) if isinstance(v, int))
        if total > 2 * n and n > 0:
            _problem(problems, INFO, "threads",
                     tr("all pools together could start {total} threads on {cpus}", total=total, cpus=_ncpus(n)),
                     tr("fine while only one library runs at a time; nested or concurrent pools oversubscribe"))
    # compiler
    cc = d["compiler"]
    if isinstance(cc, dict):
        if not cc.get("c_ok"):
            _problem(problems, FAIL, "compiler", tr("no working C compiler ({detail})", detail=cc.get("detail")),
                     tr("install one: apt install build-essential / xcode-select --install / MSVC Build Tools"))
        elif not cc.get("openmp_ok"):
            _problem(problems, WARN, "compiler", tr("the C compiler has no working OpenMP ({detail})",
                                                    detail=cc.get("detail")),
                     tr("install OpenMP (apt install libgomp1 / brew install libomp, then CPPFLAGS/LDFLAGS set "
                        "as in README); parallel lessons run serially"))
    # native build
    nat = d["native"]
    if is_unknown(nat):
        _problem(problems, FAIL, "native", tr("optkit.native is missing: {why}", why=nat),
                 tr("build it: python setup.py build_ext --inplace (or make lab / make test)"))
    elif isinstance(nat, dict) and nat.get("openmp") is False:
        _problem(problems, WARN, "native", tr("optkit.native was built without OpenMP"),
                 tr("rebuild it with a compiler that has OpenMP, OPTKIT_NO_OPENMP unset: make lab (or "
                    "python setup.py build_ext --inplace), which rebuilds when the flags changed"))
    # memory
    lim, avail = mem.get("cgroup_limit_bytes"), mem.get("available_bytes")
    if isinstance(avail, int) and avail < 2 * 2**30:
        _problem(problems, WARN, "memory", tr("only {gib} GiB available", gib=f"{avail / 2**30:.1f}"),
                 tr("close other programs; the notebooks need about 2 GiB"))
    if isinstance(lim, int) and lim < 2 * 2**30:
        _problem(problems, WARN, "memory", tr("cgroup memory limit is {gib} GiB", gib=f"{lim / 2**30:.1f}"),
                 tr("raise the container's --memory limit to at least 4 GiB"))
    # GPU
    for g in gpu.get("gpus", []):
        idx = g.get("index", "?")
        if g.get("persistence_mode", "").lower() not in ("enabled", "on"):
            _problem(problems, WARN, "gpu", tr("GPU {idx}: persistence mode is {mode}", idx=idx,
                                               mode=g.get("persistence_mode")),
                     tr("sudo nvidia-smi -pm 1 (or run nvidia-persistenced): without it the driver de-initialises "
                        "the GPU whenever no process uses it, and the next job pays the start-up again"))
        if g.get("pstate") and g.get("pstate") != "P0":
            _problem(problems, INFO, "gpu", tr("GPU {idx}: performance state {pstate} now", idx=idx,
                                               pstate=g.get("pstate")),
                     tr("an idle GPU is usually in a low-power state (often P8; some data-centre cards "
                        "report P0 at idle clocks); under load expect P0 (data-centre cards) or P2 "
                        "(GeForce cards compute in P2 by design); the clocks decide: whether they are "
                        "held back shows in the clocks event reasons of nvidia-smi -q -d PERFORMANCE "
                        "(power cap, thermal)"))
    d["problems"] = problems
    d["recommendations"] = _recommend(d)
    d["checklist"] = _checklist(d)
    d["ok"] = not any(p["severity"] == FAIL for p in problems)


def _recommend(d: dict) -> list:
    n = d["cpus"]["usable"]
    rec = [
        {"setting": f"export OMP_NUM_THREADS={n}",
         "why": tr("{n} usable CPUs; OpenMP runtimes (libgomp: our extension, torch's own copy), OpenBLAS "
                   "and PyTorch read it at start-up; Numba does not (NUMBA_NUM_THREADS)", n=n)},
        {"setting": f"export OPENBLAS_NUM_THREADS={n} MKL_NUM_THREADS={n}",
         "why": tr("NumPy's OpenBLAS otherwise sizes its pool from the affinity mask; it ignores the quota")},
        {"setting": f"export NUMBA_NUM_THREADS={n}",
         "why": tr("Numba reads it once, at import, and sizes its pool from the affinity mask otherwise "
                   "(which ignores the cgroup quota); later, numba.set_num_threads can only stay at or below it")},
        {"setting": tr("cv2.setNumThreads(1)  # when you bring your own threads or processes"),
         "why": tr("otherwise cv2.setNumThreads({n}); OpenCV reads the affinity mask and the cgroup quota, "
                   "but every worker process still starts a pool of that size", n=n)},
        {"setting": tr("W worker processes: give each max(1, {n} // W) threads "
                       "(threadpoolctl.threadpool_limits(k) in the worker)", n=n),
         "why": tr("workers x threads per worker should not exceed the usable CPUs")},
    ]
    if d["threads"].get("torch") not in (None, "not installed"):
        rec.append({"setting": f"torch.set_num_threads({n})",
                    "why": tr("torch sizes its pool by its own rule (the cores it sees, not the quota) and "
                              "may bring its own libgomp (pip wheels bundle one): threadpoolctl shows "
                              "whether you have one OpenMP pool or two")})
    if d["gpu"].get("present"):
        rec.append({"setting": "sudo nvidia-smi -pm 1",
                    "why": tr("persistence mode keeps the GPU initialised while idle; no start-up cost per job")})
        rec.append({"setting": tr("under load: nvidia-smi -q -d PERFORMANCE"),
                    "why": tr("P0 (data-centre cards) or P2 (GeForce, by design) under load; the clocks "
                              "event reasons say whether power or temperature holds the clocks back")})
        rec.append({"setting": "torch.zeros(..., device='cuda'); torch.cuda.synchronize() before timing",
                    "why": tr("create tensors on the device, and time finished work, not launches")})
    return rec


def _checklist(d: dict) -> list:
    """A production-container checklist, with the status on this machine."""
    n = d["cpus"]["usable"]
    cpus, thr, mem, gpu = d["cpus"], d["threads"], d["memory"], d["gpu"]
    env = thr["env"]
    items = []

    def add(item, status, detail):
        items.append({"item": item, "status": status, "detail": detail})

    q = cpus["cgroup_quota_cpus"]
    add(tr("CPU quota known (docker --cpus / cgroup)"),
        "ok" if isinstance(q, float) or q is None else "check",
        tr("quota {q} CPUs", q=f"{q:g}") if isinstance(q, float) else (tr("no quota set") if q is None else str(q)))
    unset = [k for k, v in env.items() if v is None]
    bad = [k for k, v in env.items() if v is not None and not 1 <= (env_thread_count(v, k) or 0) <= n]
    add(tr("thread env vars set to the usable CPUs ({n})", n=n),
        "fix" if bad else ("set me" if unset else "ok"),
        (tr("too high or invalid: {names}; ", names=", ".join(bad)) if bad else "")
        + (tr("not set: {names}", names=", ".join(unset)) if unset else tr("all set")))
    aff = cpus["affinity_count"]
    add(tr("affinity mask matches the quota"),
        "ok" if isinstance(aff, int) and (not isinstance(q, float) or aff <= math.ceil(q) + 1) else "check",
        tr("affinity {aff} CPUs, quota {q}; --cpuset-cpus pins the container to cores",
           aff=aff, q=q if q is not None else tr("none")))
    pools = thr.get("pools") if isinstance(thr.get("pools"), list) else []
    over = [p for p in pools if isinstance(p.get("num_threads"), int) and p["num_threads"] > n]
    over += [{"internal_api": k} for k in ("cv2", "numba", "torch")
             if isinstance(thr.get(k), int) and thr[k] > n]
    add(tr("every pool <= usable CPUs (threadpoolctl, cv2, numba, torch)"),
        "fix" if over else "ok",
        tr("oversubscribed: {names}", names=", ".join(str(p.get("internal_api")) for p in over)) if over
        else tr("{count} BLAS/OpenMP pools, none above {n}", count=len(pools), n=n))
    lim = mem.get("cgroup_limit_bytes")
    add(tr("memory limit set and known"),
        "ok" if isinstance(lim, int) else "check",
        tr("limit {gib} GiB", gib=f"{lim / 2**30:.1f}") if isinstance(lim, int)
        else tr("no cgroup memory limit: the container can use all host memory (set --memory)"))
    if gpu.get("present"):
        pm = all(g.get("persistence_mode", "").lower() in ("enabled", "on") for g in gpu["gpus"])
        add(tr("GPU persistence mode on"), "ok" if pm else "fix",
            ", ".join(f"GPU {g['index']}: {g['persistence_mode']}, {g['pstate']}" for g in gpu["gpus"]))
        add(tr("GPU clocks not held back under load"), "check",
            tr("nvidia-smi -q -d PERFORMANCE while the service runs: clocks event reasons"))
    else:
        add(tr("GPU state (persistence, P-state)"), "n/a", gpu.get("summary", "no GPU"))
    return items


# --------------------------------------------------------------------------- collect
def collect(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup", nvidia_smi="nvidia-smi",
            cc=None, env=None, import_torch=True) -> dict:
    """Every fact the doctor knows, as a JSON-serialisable dict (see the module docstring).

    Paths are parameters so that tests can point the doctor at fake cgroup trees and a fake
    nvidia-smi. Nothing here raises: a section that fails becomes "unknown: <reason>".
    """
    env = dict(os.environ if env is None else env)
    d: dict = {}

    def guard(key, fn, *a):
        try:
            d[key] = fn(*a)
        except Exception as exc:  # last line of defence: never crash
            d[key] = unknown(f"{type(exc).__name__}: {exc}")

    guard("python", lambda: {"version": platform.python_version(), "implementation": platform.python_implementation(),
                             "executable": sys.executable, "platform": platform.platform()})
    guard("packages", package_versions)
    guard("cpus", cpu_facts, cgroup_root, proc_self_cgroup)
    if not isinstance(d["cpus"], dict):
        d["cpus"] = {"usable": 1, "os_cpu_count": d["cpus"], "affinity": d["cpus"], "affinity_count": d["cpus"],
                     "cgroup_quota_cpus": d["cpus"], "cgroup_error": d["cpus"], "loky_cpu_count": d["cpus"],
                     "cgroup_version": None, "cgroup_quota_file": None, "cgroup_quota_raw": None, "model": d["cpus"]}
    guard("memory", memory_facts, cgroup_root, proc_self_cgroup)
    guard("threads", thread_facts, env, import_torch)
    if not isinstance(d["threads"], dict):
        d["threads"] = {"env": {k: env.get(k) for k in THREAD_ENV_VARS}, "error": d["threads"]}
    guard("compiler", probe_compiler, cc)
    guard("native", _native)
    guard("gpu", query_gpus, nvidia_smi)
    if not isinstance(d["gpu"], dict):
        d["gpu"] = {"present": False, "summary": d["gpu"], "gpus": [], "error": d["gpu"]}
    d["gpu"]["torch_cuda"] = torch_cuda()
    guard("ptrace", lambda: attach_report(probe=True, timeout=10.0).to_dict())   # py-spy by pid
    if not isinstance(d["memory"], dict):
        d["memory"] = {"error": d["memory"]}
    try:
        _analyse(d)
    except Exception as exc:
        d.setdefault("problems", []).append({"severity": WARN, "topic": "doctor", "advice": "please report this",
                                             "message": unknown(f"analysis failed: {type(exc).__name__}: {exc}")})
        d.setdefault("recommendations", [])
        d.setdefault("checklist", [])
        d["ok"] = not any(p["severity"] == FAIL for p in d["problems"])
    return d


# --------------------------------------------------------------------------- rendering
def _fmt_bytes(v):
    if isinstance(v, int):
        return f"{v / 2**30:.1f} GiB"
    return tr("no limit") if v is None else str(v)


def _fmt(v):
    if v is None:
        return tr("not set")
    if isinstance(v, bool):
        return tr("yes") if v else tr("no")
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(map(str, v)) if v else "(none)"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return str(v)


def _affinity_text(aff):
    if not isinstance(aff, list):
        return str(aff)
    # compress runs: 0-3,8
    runs, start, prev = [], None, None
    for c in aff:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            runs.append((start, prev))
            start = prev = c
    if start is not None:
        runs.append((start, prev))
    return ",".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs) + f" ({len(aff)} CPUs)"


def sections(d: dict) -> list:
    """[(section title, [(key, value text), ...]), ...] for the tables."""
    out = []
    py = d.get("python", {})
    rows = [("python", f"{py.get('version')} ({py.get('implementation')})" if isinstance(py, dict) else str(py))]
    pk = d.get("packages", {})
    rows += [(k, str(v)) for k, v in pk.items()] if isinstance(pk, dict) else [("packages", str(pk))]
    out.append((tr("Python & packages"), rows))
    c = d["cpus"]
    q = c.get("cgroup_quota_cpus")
    quota = (tr("{q} CPUs", q=f"{q:g}") if isinstance(q, float) else (tr("no limit") if q is None else str(q)))
    if c.get("cgroup_quota_raw") is not None:
        quota += f"  [cgroup v{c.get('cgroup_version')}: {c.get('cgroup_quota_raw')}]"
    out.append((tr("CPUs"), [
        (tr("model"), str(c.get("model"))),
        ("os.cpu_count()", str(c.get("os_cpu_count"))),
        (tr("affinity mask"), _affinity_text(c.get("affinity"))),
        (tr("cgroup CPU quota"), quota),
        ("loky cpu_count()", str(c.get("loky_cpu_count"))),
        (tr("usable CPUs"), str(c.get("usable"))),
    ]))
    m = d.get("memory", {})
    out.append((tr("Memory"), [
        (tr("total"), _fmt_bytes(m.get("total_bytes"))),
        (tr("available"), _fmt_bytes(m.get("available_bytes"))),
        (tr("cgroup limit"), _fmt_bytes(m.get("cgroup_limit_bytes"))
         + (f"  [{m.get('cgroup_limit_raw')}]" if m.get("cgroup_limit_raw") else "")),
    ]))
    t = d.get("threads", {})
    rows = [(k, _fmt(v)) for k, v in t.get("env", {}).items()]
    rows += [("cv2.getNumThreads()", _fmt(t.get("cv2"))), (tr("numba threads"), _fmt(t.get("numba"))),
             ("torch.get_num_threads()", _fmt(t.get("torch")))]
    pools = t.get("pools")
    if isinstance(pools, list):
        for p in pools:
            rows.append((f"pool {p.get('user_api')}/{p.get('internal_api')}",
                         tr("{n} threads  {file}", n=p.get("num_threads"), file=Path(str(p.get("filepath"))).name)))
    else:
        rows.append(("threadpoolctl", str(pools)))
    out.append((tr("Threads & pools"), rows))
    cc = d.get("compiler")
    if isinstance(cc, dict):
        out.append((tr("Compiler & OpenMP"), [(tr("C compiler"), str(cc.get("cc") or tr("none"))),
                                              (tr("compiles C"), _fmt(cc.get("c_ok"))),
                                              (tr("OpenMP works"), _fmt(cc.get("openmp_ok"))
                                               + (tr(" ({n} threads)", n=cc["openmp_threads"])
                                                  if cc.get("openmp_threads") else "")),
                                              (tr("detail"), str(cc.get("detail")))]))
    else:
        out.append((tr("Compiler & OpenMP"), [(tr("C compiler"), str(cc))]))
    out.append((tr("Native build (optkit.native)"), [("build_info()", _fmt(d.get("native")))]))
    g = d.get("gpu", {})
    rows = [("GPU", str(g.get("summary")))]
    for x in g.get("gpus", []):
        rows.append((f"GPU {x.get('index')}", f"{x.get('name')}, persistence {x.get('persistence_mode')}, "
                     f"{x.get('pstate')}, {x.get('memory.used')}/{x.get('memory.total')} MiB, "
                     f"SM {x.get('clocks.sm')}/{x.get('clocks.max.sm')} MHz"))
    if g.get("error") and not g.get("present"):
        rows.append((tr("why"), str(g.get("error"))))
    rows.append(("torch.cuda.is_available()", _fmt(g.get("torch_cuda"))))
    out.append(("GPU", rows))
    pt = d.get("ptrace")
    out.append((tr("Sampling profiler (py-spy)"), [
        ("ptrace_scope", (tr("no Yama (ordinary rules)") if pt.get("ptrace_scope") is None else str(pt["ptrace_scope"]))
         if isinstance(pt, dict) else str(pt)),
        ("CAP_SYS_PTRACE", _fmt(pt.get("cap_sys_ptrace")) if isinstance(pt, dict) else ""),
        (tr("attaches by pid"), (_fmt(pt.get("attach_ok")) + (f" ({pt['detail']})" if pt.get("detail") else "")
                                 + "  ->  " + pt.get("advice", "")) if isinstance(pt, dict) else "")]))
    probs = d.get("problems", [])
    rows = [(f"[{p['severity']}] {p['topic']}", f"{p['message']}  ->  {p['advice']}") for p in probs]
    out.append((tr("Problems & advice"), rows or [(tr("none"), tr("nothing to fix"))]))
    out.append((tr("Recommended settings for this machine"),
                [(r["setting"], r["why"]) for r in d.get("recommendations", [])]))
    out.append((tr("Production-container checklist"),
                [(f"[{i['status']}] {i['item']}", i["detail"]) for i in d.get("checklist", [])]))
    return out


def _columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters (Hangul) take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap_columns(text: str, width: int, initial_indent: str, subsequent_indent: str) -> list:
    """Greedy word wrap by terminal columns (for Korean text); words are never broken."""
    import re

    lines, line = [], initial_indent
    for chunk in re.split(r"(\s+)", text.strip()):
        if not chunk:
            continue
        if chunk.isspace():
            if line.strip():
                line += chunk
            continue
        if line.strip() and _columns(line) + _columns(chunk) > width:
            lines.append(line.rstrip())
            line = subsequent_indent
        line += chunk
    if line.strip():
        lines.append(line.rstrip())
    return lines


class Report:
    """The doctor's findings: HTML in a notebook, a plain-text table in a terminal."""

    def __init__(self, data: dict):
        self.data = data

    @property
    def problems(self) -> list:
        return self.data.get("problems", [])

    @property
    def ok(self) -> bool:
        return bool(self.data.get("ok"))

    @property
    def usable_cpus(self) -> int:
        return self.data["cpus"]["usable"]

    def to_json(self, **kw) -> str:
        return json.dumps(self.data, default=str, **kw)

    def text(self, only=None, line_width: int = TEXT_WIDTH) -> str:
        """Plain text, every line at most ``line_width`` characters (values wrap between
        words onto indented lines), so it fits a notebook beside JupyterLab's file browser."""
        import textwrap

        secs = sections(self.data)
        if only:
            only = {tr(t) for t in only} | set(only)     # English titles work in every language
            secs = [s for s in secs if s[0] in only]
        width = min(34, max((_columns(k) for _, rows in secs for k, _ in rows), default=10))
        indent = " " * (width + 4)
        plain = functools.partial(textwrap.wrap, width=max(40, line_width), break_long_words=False,
                                  break_on_hyphens=False)

        def wrap(text, initial_indent, subsequent_indent):
            if _columns(text) == len(text):           # no double-width (Hangul) characters
                return plain(text, initial_indent=initial_indent, subsequent_indent=subsequent_indent)
            return _wrap_columns(text, max(40, line_width), initial_indent, subsequent_indent)

        lines = []
        for title, rows in secs:
            lines.append(title)
            lines.append("-" * _columns(title))
            for k, v in rows:
                if _columns(k) <= width:
                    first, rest = "  " + k + " " * (width - _columns(k)) + "  ", indent
                else:  # long keys (settings, checklist items): key line(s), then the value indented
                    lines += wrap(k, initial_indent="  ", subsequent_indent="      ")
                    first, rest = indent, indent
                lines += wrap(str(v), initial_indent=first, subsequent_indent=rest) or [first.rstrip()]
            lines.append("")
        n_fail = sum(p["severity"] == FAIL for p in self.problems)
        lines.append(tr("usable CPUs: {n}; GPU: {gpu}; ", n=self.usable_cpus, gpu=self.data["gpu"].get("summary"))
                     + (tr("no misconfiguration found") if n_fail == 0
                        else tr("{n} misconfiguration(s) to fix", n=n_fail)))
        return "\n".join(lines)

    def checklist(self) -> str:
        """The recommended settings and the production-container checklist, as text."""
        return self.text(only=("Recommended settings for this machine", "Production-container checklist"))

    __str__ = text

    def __repr__(self):
        return self.text()

    def _repr_pretty_(self, p, cycle):
        p.text(self.text())

    def _repr_html_(self) -> str:
        colours = {FAIL: "#f8d7da", WARN: "#fff3cd", INFO: "#e7f1ff"}
        parts = ['<table class="optkit-doctor" style="border-collapse:collapse;font-size:90%">']
        for title, rows in sections(self.data):
            parts.append(f'<tr><th colspan="2" style="text-align:left;background:#eee;padding:4px 6px">'
                         f"{html.escape(title)}</th></tr>")
            for k, v in rows:
                style = ""
                for sev, col in colours.items():
                    if k.startswith(f"[{sev}]"):
                        style = f' style="background:{col}"'
                if "unknown" in v or "[fix]" in k:
                    style = style or ' style="background:#fff3cd"'
                parts.append(f"<tr{style}><td style='text-align:left;padding:2px 6px;width:38%'><code>{html.escape(k)}</code></td>"
                             f"<td style='text-align:left;padding:2px 6px'>{html.escape(v)}</td></tr>")
        parts.append("</table>")
        return "\n".join(parts)


def report(**kw) -> Report:
    """`doctor.report()`: collect the facts (same keywords as `collect`) and render them."""
    return Report(collect(**kw))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="optkit doctor", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the facts as JSON only")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a misconfiguration should be fixed before a workshop")
    ap.add_argument("--cgroup-root", default="/sys/fs/cgroup", help=argparse.SUPPRESS)
    ap.add_argument("--proc-self-cgroup", default="/proc/self/cgroup", help=argparse.SUPPRESS)
    ap.add_argument("--nvidia-smi", default="nvidia-smi", help=argparse.SUPPRESS)
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    rep = report(cgroup_root=args.cgroup_root, proc_self_cgroup=args.proc_self_cgroup, nvidia_smi=args.nvidia_smi)
    if args.json:
        print(rep.to_json(indent=1))
    else:
        print(rep.text())
    if args.check:
        fails = [p for p in rep.problems if p["severity"] == FAIL]
        if not args.json:
            print("\n" + tr("check: {state} ({n} misconfiguration(s) an instructor should fix)",
                            state="FAILED" if fails else "ok", n=len(fails)))
        return 1 if fails else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
