"""What this machine really offers, and what to fix before you measure anything.

    optkit doctor            a plain-text table in a terminal
    optkit doctor --json     the same facts as JSON (only JSON on stdout)
    optkit doctor --check    exit 1 when something an instructor should fix is found
    optkit.doctor()          the same table as HTML in a notebook

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
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from pathlib import Path

from .i18n import tr

__all__ = ["collect", "report", "usable_cpus", "smt_topology", "cpu_governor", "main", "Report", "probe_compiler",
           "read_cgroup_cpu", "read_cgroup_memory", "query_gpus", "THREAD_ENV_VARS"]

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")

# import name -> distribution name (versions come from package metadata: no import needed)
PACKAGES = {
    "numpy": "numpy",
    "cv2": "opencv-python-headless",
    "numba": "numba",
    "cython": "Cython",
    "line_profiler": "line_profiler",
    "matplotlib": "matplotlib",
    "jupyterlab": "jupyterlab",
    "threadpoolctl": "threadpoolctl",
    "joblib": "joblib",
    "psutil": "psutil",
    "torch": "torch",
}
# other distributions that provide the same import name
_ALT_DISTS = {"cv2": ("opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"),
              "cython": ("cython",)}

GPU_FIELDS = ("index", "name", "driver_version", "persistence_mode", "pstate",
              "memory.total", "memory.used", "utilization.gpu", "clocks.sm", "clocks.max.sm")

# cgroup v1 reports "no limit" as a huge number close to 2**63
_NO_LIMIT_BYTES = 1 << 60

TEXT_WIDTH = 100      # characters per line of the text report: fits a notebook beside the file browser
FAIL, WARN, INFO = "fail", "warn", "info"   # severity: FAIL makes `--check` exit non-zero


def unknown(reason) -> str:
    """The doctor's way to say it could not read something."""
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else "no detail"
    return f"unknown: {text[:200]}"


def is_unknown(value) -> bool:
    return isinstance(value, str) and value.startswith("unknown")


def _read_text(path: Path):
    """(text, None) or (None, reason)."""
    try:
        return Path(path).read_text().strip(), None
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"
    except Exception as exc:  # odd file systems
        return None, f"cannot read {path}: {exc}"


# --------------------------------------------------------------------------- cgroups
def _parse_proc_cgroup(text: str) -> dict:
    """/proc/self/cgroup -> {"v2": "/path" or None, "v1": {controller: "/path"}}."""
    out = {"v2": None, "v1": {}}
    for line in text.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        hid, controllers, path = parts
        if hid == "0" and controllers == "":
            out["v2"] = path or "/"
        else:
            for c in controllers.split(","):
                if c:
                    out["v1"][c] = path or "/"
    return out


def _ancestors(root: Path, rel: str) -> list[Path]:
    """root/rel, then each parent directory up to root (the limit may sit on a parent)."""
    rel = (rel or "/").strip("/")
    parts = [p for p in rel.split("/") if p and p != ".."]
    dirs = [root.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]
    return dirs


def _v1_dirs(cgroup_root: Path, controller: str, membership: dict) -> list[Path]:
    """Candidate directories for a v1 controller (mounted alone or co-mounted, e.g. cpu,cpuacct)."""
    rel = membership["v1"].get(controller, "/")
    dirs = []
    mounts = [cgroup_root / controller]
    try:
        mounts += sorted(p for p in cgroup_root.iterdir()
                         if p.is_dir() and "," in p.name and controller in p.name.split(","))
    except OSError:
        pass
    for m in mounts:
        if m.is_dir():
            dirs += _ancestors(m, rel)
            if rel.strip("/"):
                # inside a container the host path in /proc/self/cgroup is often not mounted:
                # the container's own cgroup is the mount root
                dirs.append(m)
    seen, out = set(), []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def read_cgroup_cpu(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup") -> dict:
    """The CPU quota of this process's cgroup (v2 cpu.max or v1 cfs_quota_us/cfs_period_us).

    Returns {"version", "file", "raw", "cpus", "error"}: `cpus` is a float (1.5 for
    "150000 100000"), None for "no limit", or "unknown: <reason>"; `raw` is the file text.
    """
    root = Path(cgroup_root)
    res = {"version": None, "file": None, "raw": None, "cpus": None, "error": None}
    if not root.is_dir():
        res["cpus"] = unknown(f"no cgroup file system at {root}")
        res["error"] = res["cpus"]
        return res
    text, err = _read_text(Path(proc_self_cgroup))
    membership = _parse_proc_cgroup(text or "")
    findings = []   # (cpus or None, version, file, raw)
    errors = []
    # cgroup v2: cpu.max = "<quota|max> <period>"
    v2_dirs = _ancestors(root, membership["v2"] or "/")
    if membership["v2"] and membership["v2"].strip("/"):
        v2_dirs.append(root)
    for d in dict.fromkeys(v2_dirs):
        f = d / "cpu.max"
        if not f.exists():
            continue
        raw, e = _read_text(f)
        if raw is None:
            errors.append(e)
            continue
        fields = raw.split()
        try:
            if len(fields) not in (1, 2):
                raise ValueError
            period = float(fields[1]) if len(fields) == 2 else 100000.0
            if fields[0] == "max":
                findings.append((None, 2, str(f), raw))
            else:
                quota = float(fields[0])
                if quota <= 0 or period <= 0:
                    raise ValueError
                findings.append((quota / period, 2, str(f), raw))
        except ValueError:
            errors.append(f"cannot parse {raw[:40]!r} in {f}")
            findings.append(("bad", 2, str(f), raw))
    # cgroup v1: cpu.cfs_quota_us (-1 = no limit) / cpu.cfs_period_us
    if not findings:
        for d in _v1_dirs(root, "cpu", membership):
            fq, fp = d / "cpu.cfs_quota_us", d / "cpu.cfs_period_us"
            if not fq.exists():
                continue
            rq, e1 = _read_text(fq)
            rp, e2 = _read_text(fp)
            if rq is None or rp is None:
                errors.append(e1 or e2)
                continue
            raw = f"cpu.cfs_quota_us={rq} cpu.cfs_period_us={rp}"
            try:
                q, p = int(rq), int(rp)
                if q < 0:
                    findings.append((None, 1, str(fq), raw))
                elif q == 0 or p <= 0:
                    raise ValueError
                else:
                    findings.append((q / p, 1, str(fq), raw))
            except ValueError:
                errors.append(f"cannot parse {raw!r} in {d}")
                findings.append(("bad", 1, str(fq), raw))
    if not findings:
        reason = errors[0] if errors else f"no cpu.max or cpu.cfs_quota_us under {root}"
        res["cpus"] = unknown(reason)
        res["error"] = res["cpus"]
        if err and not errors:
            res["error"] = unknown(f"{reason}; {err}")
        return res
    # the tightest limit wins; a file that cannot be parsed is reported, never fatal
    limited = [f for f in findings if isinstance(f[0], float)]
    bad = [f for f in findings if f[0] == "bad"]
    if limited:
        best = min(limited, key=lambda f: f[0])
    elif bad:
        best = bad[0]
    else:
        best = findings[0]
    cpus, res["version"], res["file"], res["raw"] = best
    res["cpus"] = unknown(errors[0]) if cpus == "bad" else cpus
    if errors:
        res["error"] = unknown(errors[0])
    return res


def read_cgroup_memory(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup") -> dict:
    """The memory limit of this cgroup: v2 memory.max or v1 memory.limit_in_bytes.

    {"version", "file", "raw", "bytes"}; bytes is None for "no limit" or "unknown: ...".
    """
    root = Path(cgroup_root)
    res = {"version": None, "file": None, "raw": None, "bytes": None}
    if not root.is_dir():
        res["bytes"] = unknown(f"no cgroup file system at {root}")
        return res
    text, _ = _read_text(Path(proc_self_cgroup))
    membership = _parse_proc_cgroup(text or "")
    cands = [(2, d / "memory.max") for d in _ancestors(root, membership["v2"] or "/")]
    cands += [(1, d / "memory.limit_in_bytes") for d in _v1_dirs(root, "memory", membership)]
    best, errors = None, []
    for version, f in dict.fromkeys(cands):
        if not f.exists():
            continue
        raw, e = _read_text(f)
        if raw is None:
            errors.append(e)
            continue
        if raw == "max":
            val = None
        else:
            try:
                val = int(raw)
            except ValueError:
                errors.append(f"cannot parse {raw[:40]!r} in {f}")
                continue
            if val >= _NO_LIMIT_BYTES:
                val = None
        if best is None or (val is not None and (best[0] is None or val < best[0])):
            best = (val, version, str(f), raw)
    if best is None:
        res["bytes"] = unknown(errors[0] if errors else f"no memory.max or memory.limit_in_bytes under {root}")
        return res
    res["bytes"], res["version"], res["file"], res["raw"] = best
    return res


# --------------------------------------------------------------------------- CPUs
def _affinity():
    if not hasattr(os, "sched_getaffinity"):
        return unknown("os.sched_getaffinity is not available on this platform")
    try:
        return sorted(os.sched_getaffinity(0))
    except Exception as exc:
        return unknown(exc)


def _loky_cpu_count():
    try:
        from joblib.externals.loky import cpu_count
    except Exception:
        try:
            from loky import cpu_count  # type: ignore
        except Exception as exc:
            return unknown(f"joblib/loky not importable: {exc}")
    try:
        return int(cpu_count())
    except Exception as exc:
        return unknown(exc)


def _cpu_model() -> str:
    text, err = _read_text(Path("/proc/cpuinfo"))
    if text:
        for line in text.splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or unknown(err or "no model name")


def _usable_from(os_count, affinity, quota_cpus, loky) -> int:
    cands = []
    if isinstance(os_count, int) and os_count > 0:
        cands.append(os_count)
    if isinstance(affinity, list) and affinity:
        cands.append(len(affinity))
    if isinstance(quota_cpus, float) and quota_cpus > 0:
        cands.append(max(1, math.ceil(quota_cpus)))
    if isinstance(loky, int) and loky > 0:
        cands.append(loky)
    return max(1, min(cands)) if cands else 1


def usable_cpus() -> int:
    """CPUs this process can really use: the smallest of os.cpu_count(), the affinity mask,
    the cgroup quota (rounded up) and joblib/loky's cpu_count(). Always >= 1."""
    quota = read_cgroup_cpu()["cpus"]
    return _usable_from(os.cpu_count(), _affinity(), quota, _loky_cpu_count())


def _cpus(cgroup_root, proc_self_cgroup) -> dict:
    os_count = os.cpu_count() or unknown("os.cpu_count() returned None")
    aff = _affinity()
    cg = read_cgroup_cpu(cgroup_root, proc_self_cgroup)
    loky = _loky_cpu_count()
    return {
        "model": _cpu_model(),
        "os_cpu_count": os_count,
        "affinity": aff,
        "affinity_count": len(aff) if isinstance(aff, list) else aff,
        "cgroup_version": cg["version"],
        "cgroup_quota_file": cg["file"],
        "cgroup_quota_raw": cg["raw"],
        "cgroup_quota_cpus": cg["cpus"],
        "cgroup_error": cg["error"],
        "loky_cpu_count": loky,
        "usable": _usable_from(os_count, aff, cg["cpus"], loky),
    }


def _cpu_dirs(sys_cpu: Path, cpus) -> list:
    return [(c, sys_cpu / f"cpu{c}") for c in cpus]


def smt_topology(sys_cpu="/sys/devices/system/cpu", cpus=None) -> dict:
    """Simultaneous multithreading (Hyper-Threading) of the CPUs this process may use:
    ``{"threads_per_core", "cores", "logical", "smt_active", "error"}``. ``cores`` counts
    physical cores (distinct package/core ids among ``cpus``, default: the affinity mask);
    two logical CPUs of one core share its execution units, so a second thread on a core
    gains far less than a second core. Unknown values are ``unknown(...)`` strings."""
    sys_cpu = Path(sys_cpu)
    if cpus is None:
        aff = _affinity()
        cpus = aff if isinstance(aff, list) else list(range(os.cpu_count() or 1))
    cores, err = set(), None
    for c, d in _cpu_dirs(sys_cpu, cpus):
        pkg, e1 = _read_text(d / "topology" / "physical_package_id")
        core, e2 = _read_text(d / "topology" / "core_id")
        if core is None:
            err = e2 or e1
            break
        cores.add((pkg, core))
    active, _ = _read_text(sys_cpu / "smt" / "active")
    smt_active = {"1": True, "0": False}.get(active) if active is not None else None
    if err is not None or not cores:
        return {"threads_per_core": unknown(err or "no CPUs"), "cores": unknown(err or "no CPUs"),
                "logical": len(cpus), "smt_active": smt_active, "error": err}
    return {"threads_per_core": max(1, round(len(cpus) / len(cores))), "cores": len(cores),
            "logical": len(cpus), "smt_active": smt_active, "error": None}


def cpu_governor(sys_cpu="/sys/devices/system/cpu", cpus=None) -> dict:
    """CPU frequency scaling of the usable CPUs: ``{"governors": {name: [cpu, ...]},
    "driver", "error"}`` (``governors`` is an ``unknown(...)`` string where the kernel
    exposes no cpufreq, as in most virtual machines). ``powersave``/``schedutil`` let the
    clock follow the load (a timing can start at a low clock), ``performance`` holds it high."""
    sys_cpu = Path(sys_cpu)
    if cpus is None:
        aff = _affinity()
        cpus = aff if isinstance(aff, list) else list(range(os.cpu_count() or 1))
    govs, driver, err = {}, None, None
    for c, d in _cpu_dirs(sys_cpu, cpus):
        g, e = _read_text(d / "cpufreq" / "scaling_governor")
        if g is None:
            err = e
            continue
        govs.setdefault(g, []).append(c)
        if driver is None:
            driver, _ = _read_text(d / "cpufreq" / "scaling_driver")
    if not govs:
        return {"governors": unknown(f"no cpufreq governor ({err})" if err else "no CPUs"),
                "driver": None, "error": err}
    return {"governors": govs, "driver": driver, "error": None}


# --------------------------------------------------------------------------- memory
def _memory(cgroup_root, proc_self_cgroup) -> dict:
    out = {}
    try:
        import psutil
        vm = psutil.virtual_memory()
        out["total_bytes"], out["available_bytes"] = int(vm.total), int(vm.available)
    except Exception as exc:
        out["total_bytes"] = out["available_bytes"] = unknown(f"psutil: {exc}")
    cg = read_cgroup_memory(cgroup_root, proc_self_cgroup)
    out["cgroup_limit_bytes"] = cg["bytes"]
    out["cgroup_limit_raw"] = cg["raw"]
    out["cgroup_limit_file"] = cg["file"]
    return out


# --------------------------------------------------------------------------- packages
def _dist_version(import_name: str):
    for dist in (PACKAGES.get(import_name, import_name),) + _ALT_DISTS.get(import_name, ()):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        except Exception as exc:
            return unknown(exc)
    return None


def _packages() -> dict:
    out = {}
    for name in PACKAGES:
        v = _dist_version(name)
        if v is None:
            try:
                found = importlib.util.find_spec(name) is not None
            except Exception:
                found = False
            v = unknown("importable but no package metadata") if found else "not installed"
        out[name] = v
    try:
        out["optkit"] = importlib.import_module("optkit").__version__
    except Exception as exc:
        out["optkit"] = unknown(exc)
    return out


def _importable(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False


# --------------------------------------------------------------------------- threads
def _pool_list():
    import numpy  # noqa: F401  (loads OpenBLAS)
    from threadpoolctl import threadpool_info
    return [{k: p.get(k) for k in ("user_api", "internal_api", "prefix", "num_threads", "version", "filepath")}
            for p in threadpool_info()]


def _numba_threads():
    """Numba's pool size without starting its threading layer (starting it would call
    omp_set_num_threads on a shared libgomp and change the OpenMP pool we want to report)."""
    import numba
    try:
        from numba.np.ufunc import parallel
        if getattr(parallel, "_is_initialized", False):
            return int(numba.get_num_threads())
    except Exception:
        pass
    return int(numba.config.NUMBA_NUM_THREADS)


def _threads(env, import_torch=True) -> dict:
    """Thread settings and pools. Pools are read before torch is imported (importing torch
    resets a shared libgomp's thread count); libraries that torch's import adds are appended."""
    out = {"env": {k: env.get(k) for k in THREAD_ENV_VARS}}
    try:
        import cv2
        out["cv2"] = int(cv2.getNumThreads())
    except Exception as exc:
        out["cv2"] = unknown(f"cv2: {exc}")
    # optkit's own OpenMP extension loads libgomp: import it so its pool is seen
    try:
        importlib.import_module("optkit.native")
    except Exception:
        pass
    try:
        out["pools"] = _pool_list()
    except Exception as exc:
        out["pools"] = unknown(f"threadpoolctl: {exc}")
    try:
        out["numba"] = _numba_threads()
    except Exception as exc:
        out["numba"] = unknown(f"numba: {exc}")
    if "torch" in sys.modules or (import_torch and _importable("torch")):
        try:
            import torch
            out["torch"] = int(torch.get_num_threads())
            if isinstance(out["pools"], list):
                seen = {p["filepath"] for p in out["pools"]}
                out["pools"] += [p for p in _pool_list() if p["filepath"] not in seen]
        except Exception as exc:
            out["torch"] = unknown(f"torch: {exc}")
    else:
        out["torch"] = "not installed"
    return out


# --------------------------------------------------------------------------- compiler
_PROBE_C = r"""
#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif
int main(void) {
    int n = 0;
#ifdef _OPENMP
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("openmp %d %d\n", n, omp_get_max_threads());
#else
    printf("serial 1 1\n");
#endif
    return 0;
}
"""
_COMPILER_CACHE: dict = {}


def _find_cc(cc=None):
    cands = [cc] if cc else [os.environ.get("CC"), (sysconfig.get_config_var("CC") or "").split(" ")[0],
                             "cc", "gcc", "clang"]
    for c in cands:
        if c and shutil.which(c):
            return shutil.which(c)
    return None


def probe_compiler(cc=None, timeout=20.0, refresh=False) -> dict:
    """Compile and run a tiny C program without and with -fopenmp (cached per process).

    {"cc", "c_ok", "openmp_ok", "openmp_threads", "detail"}.
    """
    key = cc or "<default>"
    if key in _COMPILER_CACHE and not refresh:
        return dict(_COMPILER_CACHE[key])
    res = {"cc": None, "c_ok": False, "openmp_ok": False, "openmp_threads": None, "detail": ""}
    path = _find_cc(cc)
    if path is None:
        res["detail"] = f"no C compiler found ({cc or 'CC, cc, gcc, clang'})"
        _COMPILER_CACHE[key] = res
        return dict(res)
    res["cc"] = path
    with tempfile.TemporaryDirectory(prefix="optkit-doctor-") as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(_PROBE_C)
        for label, flags in (("c", []), ("openmp", ["-fopenmp"])):
            exe = Path(tmp) / f"probe_{label}"
            try:
                p = subprocess.run([path, *flags, str(src), "-o", str(exe)], capture_output=True,
                                   text=True, timeout=timeout)
                if p.returncode != 0:
                    res["detail"] += f"{label}: compile failed: {(p.stderr or p.stdout).strip()[:160]}; "
                    continue
                r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout)
                words = r.stdout.split()
                if r.returncode != 0 or not words:
                    res["detail"] += f"{label}: probe exited {r.returncode}; "
                    continue
                if label == "c":
                    res["c_ok"] = True
                elif words[0] == "openmp":
                    res["openmp_ok"] = True
                    res["openmp_threads"] = int(words[2])
                else:
                    res["detail"] += "openmp: -fopenmp accepted but _OPENMP not defined; "
            except subprocess.TimeoutExpired:
                res["detail"] += f"{label}: timed out after {timeout:g} s; "
            except Exception as exc:
                res["detail"] += f"{label}: {exc}; "
    res["detail"] = res["detail"].strip().rstrip(";") or "ok"
    _COMPILER_CACHE[key] = res
    return dict(res)


# --------------------------------------------------------------------------- native build
def _native():
    try:
        mod = importlib.import_module("optkit.native")
        info = mod.build_info()
        return dict(info) if isinstance(info, dict) else {"info": repr(info)}
    except Exception as exc:
        return unknown(f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- GPU
def query_gpus(nvidia_smi="nvidia-smi", timeout=15.0) -> dict:
    """GPU facts from `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`.

    {"present": bool, "summary": str, "gpus": [dict], "error": str|None}.
    """
    res = {"present": False, "summary": "no GPU", "gpus": [], "error": None}
    exe = shutil.which(nvidia_smi) if nvidia_smi else None
    if exe is None:
        res["error"] = f"{nvidia_smi or 'nvidia-smi'} not found"
        return res
    cmd = [exe, "--query-gpu=" + ",".join(GPU_FIELDS), "--format=csv,noheader,nounits"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except Exception as exc:
        res["summary"] = unknown(f"nvidia-smi failed: {exc}")
        res["error"] = res["summary"]
        return res
    if p.returncode != 0:
        res["summary"] = unknown(f"nvidia-smi exited {p.returncode}: {(p.stderr or p.stdout).strip()[:160]}")
        res["error"] = res["summary"]
        return res
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        vals = [v.strip() for v in line.split(",")]
        if len(vals) != len(GPU_FIELDS):
            res["error"] = unknown(f"unexpected nvidia-smi line {line[:80]!r}")
            continue
        res["gpus"].append(dict(zip(GPU_FIELDS, vals)))
    if res["gpus"]:
        res["present"] = True
        names = sorted({g["name"] for g in res["gpus"]})
        res["summary"] = f"{len(res['gpus'])} x {', '.join(names)} (driver {res['gpus'][0]['driver_version']})"
    elif res["error"] is None:
        res["summary"] = "no GPU"
        res["error"] = "nvidia-smi lists no GPU"
    else:
        res["summary"] = res["error"]
    return res


def _torch_cuda():
    if "torch" not in sys.modules:
        return "torch not imported"
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception as exc:
        return unknown(exc)


# --------------------------------------------------------------------------- analysis
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
        try:
            k = int(str(val).split(",")[0])
        except ValueError:
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
                     tr("install OpenMP (apt install libgomp1 / brew install libomp); parallel lessons run serially"))
    # native build
    nat = d["native"]
    if is_unknown(nat):
        _problem(problems, FAIL, "native", tr("optkit.native is missing: {why}", why=nat),
                 tr("build it: python setup.py build_ext --inplace (or make lab / make test)"))
    elif isinstance(nat, dict) and nat.get("openmp") is False:
        _problem(problems, WARN, "native", tr("optkit.native was built without OpenMP"),
                 tr("rebuild with a compiler that has OpenMP (unset OPTKIT_NO_OPENMP)"))
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
                     tr("idle GPUs sit in P8; under load expect P0 (data-centre cards) or P2 (GeForce "
                        "cards compute in P2 by design); whether clocks are held back shows in the "
                        "clocks event reasons of nvidia-smi -q -d PERFORMANCE (power cap, thermal)"))
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
    bad = [k for k, v in env.items() if v is not None and (not str(v).isdigit() or int(v) > n)]
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
    guard("packages", _packages)
    guard("cpus", _cpus, cgroup_root, proc_self_cgroup)
    if not isinstance(d["cpus"], dict):
        d["cpus"] = {"usable": 1, "os_cpu_count": d["cpus"], "affinity": d["cpus"], "affinity_count": d["cpus"],
                     "cgroup_quota_cpus": d["cpus"], "cgroup_error": d["cpus"], "loky_cpu_count": d["cpus"],
                     "cgroup_version": None, "cgroup_quota_file": None, "cgroup_quota_raw": None, "model": d["cpus"]}
    guard("memory", _memory, cgroup_root, proc_self_cgroup)
    guard("threads", _threads, env, import_torch)
    if not isinstance(d["threads"], dict):
        d["threads"] = {"env": {k: env.get(k) for k in THREAD_ENV_VARS}, "error": d["threads"]}
    guard("compiler", probe_compiler, cc)
    guard("native", _native)
    guard("gpu", query_gpus, nvidia_smi)
    if not isinstance(d["gpu"], dict):
        d["gpu"] = {"present": False, "summary": d["gpu"], "gpus": [], "error": d["gpu"]}
    d["gpu"]["torch_cuda"] = _torch_cuda()
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
