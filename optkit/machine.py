"""Machine facts, read once and shared: CPUs (the OS count, the affinity mask, the cgroup quota,
joblib/loky's view, SMT, the frequency governor), memory and its cgroup limit, the thread
pools and the variables that size them, the C compiler and OpenMP, GPUs.

Every reader here reads and never changes the machine, and never raises on an odd system:
what it cannot read is ``unknown("<reason>")``. ``optkit.doctor`` turns these facts into
advice; ``optkit.bench`` records them beside every measurement; the lessons import them.
(``setup.py`` keeps its own build-time OpenMP probe: it runs before optkit is importable.)
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from optkit.fmt import is_unknown, unknown
from optkit.sysfs import cgroup_files, read_cgroup_cpu, read_cgroup_memory, read_text, transparent_hugepage_mode

__all__ = ["THREAD_ENV_VARS", "THREAD_PLACEMENT_VARS", "GPU_FIELDS", "unknown", "is_unknown", "read_cgroup_cpu",
           "read_cgroup_memory", "cgroup_files", "affinity", "loky_cpu_count", "cpu_model", "usable_from", "usable_cpus", "cpu_facts", "smt_topology",
           "cpu_governor", "memory_facts", "importable", "pool_list", "numba_threads", "thread_facts",
           "PACKAGES", "dist_version", "package_versions", "openmp_flag_candidates", "compiler_command", "env_build_flags", "probe_compiler", "openmp_flags", "PTRACE_SCOPE_FILE", "ptrace_scope", "has_cap_sys_ptrace", "query_gpus", "torch_cuda", "torch_module", "gpu_available",
           "env_without_thread_settings", "machine_busy_s", "transparent_hugepage_mode"]

# The variables that size a library's thread pool (OpenMP, MKL, OpenBLAS (which also reads
# GOTO_NUM_THREADS), Numba, Apple Accelerate, numexpr): a child process started with one of them
# set inherits that pool size.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                   "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# Variables that place threads rather than count them (recorded beside measurements).
THREAD_PLACEMENT_VARS = ("OMP_PROC_BIND",)

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

# --------------------------------------------------------------------------- CPUs
def affinity():
    if not hasattr(os, "sched_getaffinity"):
        return unknown("os.sched_getaffinity is not available on this platform")
    try:
        return sorted(os.sched_getaffinity(0))
    except Exception as exc:
        return unknown(exc)


def loky_cpu_count():
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


def cpu_model() -> str:
    """The CPU's model name (x86 "model name", Arm "Hardware"/"cpu model"), else what
    platform knows, else ``unknown(...)``."""
    text, err = read_text(Path("/proc/cpuinfo"))
    if text:
        for line in text.splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")) and ":" in line:
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or unknown(err or "no model name")


def usable_from(os_count, affinity, quota_cpus, loky) -> int:
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
    return usable_from(os.cpu_count(), affinity(), quota, loky_cpu_count())


def cpu_facts(cgroup_root, proc_self_cgroup) -> dict:
    os_count = os.cpu_count() or unknown("os.cpu_count() returned None")
    aff = affinity()
    cg = read_cgroup_cpu(cgroup_root, proc_self_cgroup)
    loky = loky_cpu_count()
    return {
        "model": cpu_model(),
        "os_cpu_count": os_count,
        "affinity": aff,
        "affinity_count": len(aff) if isinstance(aff, list) else aff,
        "cgroup_version": cg["version"],
        "cgroup_quota_file": cg["file"],
        "cgroup_quota_raw": cg["raw"],
        "cgroup_quota_cpus": cg["cpus"],
        "cgroup_error": cg["error"],
        "loky_cpu_count": loky,
        "usable": usable_from(os_count, aff, cg["cpus"], loky),
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
        aff = affinity()
        cpus = aff if isinstance(aff, list) else list(range(os.cpu_count() or 1))
    cores, err = set(), None
    for c, d in _cpu_dirs(sys_cpu, cpus):
        pkg, e1 = read_text(d / "topology" / "physical_package_id")
        core, e2 = read_text(d / "topology" / "core_id")
        if core is None:
            err = e2 or e1
            break
        cores.add((pkg, core))
    active, _ = read_text(sys_cpu / "smt" / "active")
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
        aff = affinity()
        cpus = aff if isinstance(aff, list) else list(range(os.cpu_count() or 1))
    govs, driver, err = {}, None, None
    for c, d in _cpu_dirs(sys_cpu, cpus):
        g, e = read_text(d / "cpufreq" / "scaling_governor")
        if g is None:
            err = e
            continue
        govs.setdefault(g, []).append(c)
        if driver is None:
            driver, _ = read_text(d / "cpufreq" / "scaling_driver")
    if not govs:
        return {"governors": unknown(f"no cpufreq governor ({err})" if err else "no CPUs"),
                "driver": None, "error": err}
    return {"governors": govs, "driver": driver, "error": None}


# --------------------------------------------------------------------------- memory
def memory_facts(cgroup_root, proc_self_cgroup) -> dict:
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


def importable(name: str) -> bool:
    """Whether ``name`` can be imported (without importing it); a module blocked by a None in
    sys.modules (how tests make one "missing") is not."""
    if sys.modules.get(name) is not None:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False


# --------------------------------------------------------------------------- packages
def dist_version(import_name: str):
    for dist in (PACKAGES.get(import_name, import_name),) + _ALT_DISTS.get(import_name, ()):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        except Exception as exc:
            return unknown(exc)
    return None


def package_versions() -> dict:
    """{import name: version} of the packages the course depends on (from package metadata,
    nothing imported), optkit's own version included."""
    out = {}
    for name in PACKAGES:
        v = dist_version(name)
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


# --------------------------------------------------------------------------- threads
def pool_list():
    import numpy  # noqa: F401  (loads OpenBLAS)
    from threadpoolctl import threadpool_info
    return [{k: p.get(k) for k in ("user_api", "internal_api", "prefix", "num_threads", "version", "filepath")}
            for p in threadpool_info()]


def numba_threads():
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


def thread_facts(env, import_torch=True) -> dict:
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
        out["pools"] = pool_list()
    except Exception as exc:
        out["pools"] = unknown(f"threadpoolctl: {exc}")
    try:
        out["numba"] = numba_threads()
    except Exception as exc:
        out["numba"] = unknown(f"numba: {exc}")
    if "torch" in sys.modules or (import_torch and importable("torch")):
        try:
            import torch
            out["torch"] = int(torch.get_num_threads())
            if isinstance(out["pools"], list):
                seen = {p["filepath"] for p in out["pools"]}
                out["pools"] += [p for p in pool_list() if p["filepath"] not in seen]
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
#ifdef _OPENMP
    int n = 0;                    /* only here: CFLAGS=-Wall -Werror must not fail the serial probe */
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


def compiler_command() -> tuple[list | None, str]:
    """(argv, why): the C compiler the builds run, resolved the way distutils does: ``$CC``
    split as a shell would (a set $CC is never replaced by another compiler), else Python's
    configured CC, else cc, gcc, clang. ``argv`` is None, with ``why``, where none runs."""
    import shlex

    env = os.environ.get("CC")
    if env is not None and env.strip():
        try:
            argv = shlex.split(env)
        except ValueError:
            argv = []
        path = shutil.which(argv[0]) if argv else None
        if path is None:
            return None, f"CC={env!r} is not a runnable compiler: fix or unset CC"
        return [path, *argv[1:]], ""
    try:
        conf = shlex.split(sysconfig.get_config_var("CC") or "")
    except ValueError:
        conf = []
    for c in ([conf[0]] if conf else []) + ["cc", "gcc", "clang"] + (["cl"] if os.name == "nt" else []):
        if shutil.which(c):
            return [shutil.which(c), *(conf[1:] if conf and c == conf[0] else [])], ""
    return None, "no C compiler found (CC, cc, gcc, clang)"


def _find_cc(cc=None):
    if cc:
        return shutil.which(cc)
    argv, _ = compiler_command()
    return argv[0] if argv else None


def _is_msvc(path) -> bool:
    return Path(str(path)).stem.lower() == "cl"


def openmp_flag_candidates(cc=None) -> list:
    """(compile flags, link flags) that may give OpenMP, tried in this order: gcc and clang's
    -fopenmp, then Apple clang with Homebrew's libomp (``-Xpreprocessor -fopenmp`` + ``-lomp``);
    Microsoft's ``cl`` (``cc`` naming it) spells it ``/openmp``."""
    if cc and _is_msvc(cc):
        return [(["/openmp"], [])]
    return [(["-fopenmp"], ["-fopenmp"]), (["-Xpreprocessor", "-fopenmp"], ["-lomp"])]


def env_build_flags(environ=None) -> tuple[list, list]:
    """(compile flags, link flags) from the environment as builds use them: CPPFLAGS then
    CFLAGS, and LDFLAGS, each shlex-split. A compiler run by hand does not read them (make and
    setuptools pass them on), so the probe adds them: Homebrew's keg-only libomp is found only
    through CPPFLAGS=-I.../include and LDFLAGS=-L.../lib, as README says."""
    environ = os.environ if environ is None else environ
    split = lambda name: shlex.split(environ.get(name, "") or "")           # noqa: E731
    return split("CPPFLAGS") + split("CFLAGS"), split("LDFLAGS")


def probe_compiler(cc=None, timeout=20.0, refresh=False) -> dict:
    """The course's one compiler probe: compile and run a tiny C program without OpenMP, then
    with each of :func:`openmp_flag_candidates` until one works (cached per process and per
    compiler: ``cc=None``, ``cc="gcc"`` and ``cc="/usr/bin/gcc"`` that find the same executable share
    one answer). ``optkit doctor``, the %%cython magics (optkit.annotate) and %%c_extension
    (optkit.cext, through :func:`openmp_flags`) all ask this function.

    {"cc", "c_ok", "openmp_ok", "openmp_threads", "openmp_flags", "detail"}: ``openmp_flags`` is
    ``{"compile": [...], "link": [...]}`` of the flags that worked, or None (without the
    environment's CPPFLAGS/CFLAGS/LDFLAGS, which the probe adds, see :func:`env_build_flags`, as
    setuptools adds them to the builds). (``setup.py`` keeps its own build-time probe: it runs
    before optkit can be imported.)
    """
    path = _find_cc(cc)
    env_c, env_ld = env_build_flags()
    key = path or f"<none: {cc or 'default'}>"
    if path and (env_c or env_ld):          # another CPPFLAGS/LDFLAGS: another answer
        key = f"{path} {shlex.join(env_c)} | {shlex.join(env_ld)}"
    if key in _COMPILER_CACHE and not refresh:
        return dict(_COMPILER_CACHE[key])
    res = {"cc": None, "c_ok": False, "openmp_ok": False, "openmp_threads": None, "openmp_flags": None,
           "detail": ""}
    if path is None:
        res["detail"] = f"no C compiler found ({cc})" if cc else compiler_command()[1]
        _COMPILER_CACHE[key] = res
        return dict(res)
    res["cc"] = path
    with tempfile.TemporaryDirectory(prefix="optkit-doctor-") as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(_PROBE_C)
        tries = [("c", [], [])] + [("openmp", c, k) for c, k in openmp_flag_candidates(path)]
        for n, (label, cflags, ldflags) in enumerate(tries):
            if label == "openmp" and (res["openmp_ok"] or not res["c_ok"]):
                break
            exe = Path(tmp) / f"probe_{n}"
            try:
                cmd = ([path, "/nologo", *cflags, str(src), f"/Fe{exe}", *(["/link", *ldflags] if ldflags else [])]
                       if _is_msvc(path) else
                       [path, *env_c, *cflags, str(src), "-o", str(exe), *env_ld, *ldflags])
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp)
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
                    res["openmp_flags"] = {"compile": list(cflags), "link": list(ldflags)}
                else:
                    res["detail"] += f"openmp: {' '.join(cflags)} accepted but _OPENMP not defined; "
            except subprocess.TimeoutExpired:
                res["detail"] += f"{label}: timed out after {timeout:g} s; "
            except Exception as exc:
                res["detail"] += f"{label}: {exc}; "
    if res["openmp_ok"]:       # an earlier candidate's failure is no news once one works
        res["detail"] = "; ".join(d for d in res["detail"].split("; ") if not d.startswith("openmp:")).strip()
    res["detail"] = res["detail"].strip().rstrip(";") or "ok"
    _COMPILER_CACHE[key] = res
    return dict(res)



def openmp_flags(cc=None) -> tuple[list, list] | None:
    """(compile flags, link flags) that give OpenMP with this compiler, or None: the answer of
    :func:`probe_compiler` (the same program, the same cached result), as %%c_extension uses it."""
    p = probe_compiler(cc)
    if not p["openmp_ok"]:
        return None
    return list(p["openmp_flags"]["compile"]), list(p["openmp_flags"]["link"])

# --------------------------------------------------------------------------- ptrace (may a profiler attach?)
PTRACE_SCOPE_FILE = Path("/proc/sys/kernel/yama/ptrace_scope")
CAP_SYS_PTRACE = 19            # bit number in /proc/<pid>/status CapEff


def ptrace_scope(path: Path | str = PTRACE_SCOPE_FILE) -> int | None:
    """Yama's ptrace_scope (0-3), or None when the kernel has no Yama (then ordinary rules: a
    process of the same user may attach)."""
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def has_cap_sys_ptrace(status_text: str | None = None) -> bool | None:
    """Whether this process's effective capabilities (CapEff of /proc/self/status) hold
    CAP_SYS_PTRACE; None where there is no such file (not Linux)."""
    if status_text is None:
        try:
            status_text = Path("/proc/self/status").read_text()
        except OSError:
            return None
    m = re.search(r"^CapEff:\s*([0-9a-fA-F]+)\s*$", status_text, re.M)
    if not m:
        return None
    return bool(int(m.group(1), 16) >> CAP_SYS_PTRACE & 1)


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


def torch_cuda():
    if "torch" not in sys.modules:
        return "torch not imported"
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception as exc:
        return unknown(exc)


def torch_module():
    """The torch module when it is installed (importing it), else None."""
    if sys.modules.get("torch") is not None or importable("torch"):
        try:
            import torch
        except ImportError:
            return None
        return torch
    return None


def gpu_available() -> bool:
    """True when torch is installed and sees a CUDA device (torch is not imported otherwise)."""
    try:
        t = torch_module()
        return bool(t is not None and t.cuda.is_available())
    except Exception:
        return False


def env_without_thread_settings(threads=None, extra=None, environ=None) -> dict:
    """The environment without the pool-sizing variables, then `threads` for every pool if given
    (what a child process should start with to show its libraries' own defaults)."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if k not in THREAD_ENV_VARS}
    if threads is not None:
        for k in THREAD_ENV_VARS:
            env[k] = str(int(threads))
    env.update(extra or {})
    return env


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (all CPUs, all programs; NaN if unknown)."""
    try:
        import psutil

        t = psutil.cpu_times()
    except Exception:                                    # noqa: BLE001 - context only
        return float("nan")
    d = t._asdict()
    # guest time is already part of user/nice on Linux; idle and iowait are not busy
    return sum(v for k, v in d.items() if k not in ("idle", "iowait", "guest", "guest_nice"))
