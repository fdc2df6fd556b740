"""Where a measurement comes from, recorded beside every result: CPU model, usable CPUs, SMT,
the frequency governor, thread settings and pools, library versions (facts from
``optkit.machine``), and the harness's own overhead."""
from __future__ import annotations

import functools
import os
import platform
import sys
import time

from optkit.i18n import tr
from optkit.machine import THREAD_ENV_VARS, dist_version, THREAD_PLACEMENT_VARS, cpu_governor, cpu_model, smt_topology, usable_cpus
from optkit.timing import cached_overhead

__all__ = ["context", "context_line"]


def _cpu_facts() -> dict:
    """SMT topology and frequency governor of the usable CPUs."""
    try:
        smt, gov = smt_topology(), cpu_governor()
    except Exception as exc:                             # noqa: BLE001 - context only
        return {"threads_per_core": f"unknown: {exc}", "physical_cores": f"unknown: {exc}",
                "cpu_governor": f"unknown: {exc}"}
    govs = gov["governors"]
    return {"threads_per_core": smt["threads_per_core"], "physical_cores": smt["cores"],
            "smt_active": smt["smt_active"],
            "cpu_governor": ", ".join(sorted(govs)) if isinstance(govs, dict) else govs,
            "cpufreq_driver": gov["driver"]}


@functools.lru_cache(maxsize=1)
def _static_context() -> dict:
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: dist_version(module) for name, module in (
            ("numpy", "numpy"), ("opencv", "cv2"), ("numba", "numba"), ("line_profiler", "line_profiler"),
            ("torch", "torch"))},
    }


def context() -> dict:
    """Where a measurement comes from: CPU model, usable CPUs, SMT (threads per core), the
    CPU frequency governor, thread settings, versions.

    Never raises; optional libraries are reported only as far as they are installed.
    Numba's and torch's thread counts are asked only if they are already imported (importing
    them costs seconds, and then they cannot have influenced the timing); for numba the
    count it would start with is given otherwise (``numba_imported`` says which).
    """
    ctx = dict(_static_context())
    ctx["versions"] = dict(ctx["versions"])
    ctx["usable_cpus"] = usable_cpus()
    ctx.update(_cpu_facts())
    ctx["thread_env"] = {k: os.environ.get(k) for k in THREAD_ENV_VARS + THREAD_PLACEMENT_VARS if os.environ.get(k)}
    threads = {}
    try:
        import cv2

        threads["cv2"] = cv2.getNumThreads()
        ctx["versions"]["opencv"] = cv2.__version__
    except Exception:
        pass
    for mod, getter in (("numba", "get_num_threads"), ("torch", "get_num_threads")):
        m = sys.modules.get(mod)
        if m is not None:
            try:
                threads[mod] = getattr(m, getter)()
            except Exception:
                pass
    if "numba" not in threads:     # what numba would start with (importing it costs seconds)
        try:
            threads["numba"] = int(os.environ.get("NUMBA_NUM_THREADS") or
                                   len(os.sched_getaffinity(0)))
        except Exception:
            pass
    ctx["numba_imported"] = "numba" in sys.modules
    pools = []
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            key = f"{info.get('user_api')}:{info.get('internal_api')}"
            threads[key] = info.get("num_threads")
            pools.append({"user_api": info.get("user_api"), "internal_api": info.get("internal_api"),
                          "num_threads": info.get("num_threads"), "version": info.get("version"),
                          "library": os.path.basename(str(info.get("filepath", "")))})
    except Exception:
        pass
    ctx["threadpools"] = pools       # every loaded BLAS/OpenMP runtime (threadpoolctl)
    ctx["threads"] = threads
    ctx["timer"] = "time.perf_counter"
    ctx["harness_overhead_per_call_s"] = cached_overhead()
    ctx["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return ctx


def context_line(ctx: dict) -> str:
    if not ctx:
        return ""
    parts = [str(ctx.get("cpu_model", "?")), tr("{n} usable CPUs", n=ctx.get("usable_cpus", "?"))]
    tpc = ctx.get("threads_per_core")
    if isinstance(tpc, int):
        parts[-1] += (tr(" ({n} threads per core)", n=tpc) if tpc > 1 else tr(" ({n} thread per core)", n=tpc))
    gov = ctx.get("cpu_governor")
    if isinstance(gov, str) and gov and not gov.startswith("unknown"):
        parts.append(tr("governor {governor}", governor=gov))
    env = ctx.get("thread_env") or {}
    if env:
        parts.append(", ".join(f"{k}={v}" for k, v in env.items()))
    v = ctx.get("versions") or {}
    parts.append(f"Python {ctx.get('python', '?')}, NumPy {v.get('numpy') or '?'}")
    return tr("Measured on: {machine}", machine="; ".join(parts))
