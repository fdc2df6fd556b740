"""Measurements outside the code (notebook 05): CPUs, thread pools, memory bandwidth, GPUs.

    cpu_view()                       what this process is allowed to use, seen several ways
    cgroup_files()                   the raw cgroup files behind a container's CPU/memory limits
    child_view(affinity={0})         a child process with a restricted affinity: what it sees, how fast
    env_before_vs_after()            thread env vars work only before a pool starts
    oversubscription(workers, threads)   W worker processes running BLAS/OpenMP work at once
    stream()                         copy / scale / add / triad bandwidth with NumPy (GB/s)
    alloc_vs_out()                   fresh allocations (page faults) vs reused ``out=`` buffers
    transparent_hugepage_mode(), page_size(), faults_verdict()  THP mode, base page, faults' verdict
    kernel_bandwidth(fn, args, nbytes)  achieved GB/s of any memory-bound kernel
    async_timing_demo()              timing work that has not finished (the CPU side of CUDA's rule)

The GPU cells' helpers are in ``optkit.lessons.beyond_code_gpu`` (this lesson's annex); run them
standalone with ``python -m optkit.lessons.beyond_code gpu-demo``.

Heavy libraries (NumPy, torch) are imported inside the functions, so ``gpu-demo`` runs where only
the standard library and torch are installed. Children are started with the same interpreter
(``python -m optkit.lessons.beyond_code worker|probe ...``) and report JSON on stdout.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from optkit.machine import (THREAD_ENV_VARS, cgroup_files, cpu_facts, env_without_thread_settings, gpu_available,
                            torch_module, transparent_hugepage_mode, usable_cpus)
from optkit.sysfs import page_size

__all__ = ["cpu_view", "cgroup_files", "child_view", "env_before_vs_after", "oversubscription",
           "oversubscription_experiment", "threads_per_worker", "import_steps", "stream", "alloc_vs_out",
           "kernel_bandwidth", "kernel_bandwidths", "normalize_fresh", "normalize_into", "async_timing_demo",
           "gpu_available", "torch_module", "transparent_hugepage_mode", "page_size", "faults_verdict"]

GB = 1e9


# ----------------------------------------------------------------------------- CPUs
def cpu_view() -> dict:
    """How many CPUs: os.cpu_count(), the affinity mask, the cgroup quota, loky, and the usable count."""
    c = cpu_facts("/sys/fs/cgroup", "/proc/self/cgroup")
    return {"os.cpu_count()": c["os_cpu_count"], "affinity": c["affinity"],
            "cgroup quota (CPUs)": c["cgroup_quota_cpus"] if c["cgroup_quota_cpus"] is not None else "no limit",
            "cgroup raw": c["cgroup_quota_raw"], "loky cpu_count()": c["loky_cpu_count"], "usable": c["usable"]}


def _run_child(args, env=None, timeout=120.0) -> dict:
    cmd = [sys.executable, "-m", "optkit.lessons.beyond_code", *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"child {' '.join(cmd[2:])} failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def child_view(affinity=None, threads=None, n=384, repeat=20, libs=("numpy", "cv2", "numba"), timeout=120.0) -> dict:
    """Start a child with a restricted CPU affinity (set before any library loads) and report
    what it sees (os.cpu_count, affinity, loky, each library's pool) and how long a NumPy matmul
    of n x n float64 takes there: ``matmul_s`` the median of `repeat` timed products,
    ``matmul_samples_s`` all of them (judge two children on these, not on one median each).

    `affinity`: a set of CPU ids or None (inherit). `threads`: force the thread env vars.
    """
    if affinity is not None:
        if not hasattr(os, "sched_setaffinity"):
            raise NotImplementedError("a restricted CPU affinity needs os.sched_setaffinity, which this "
                                      "platform (macOS, say) does not have; use affinity=None")
        allowed = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()
        affinity = sorted(int(c) for c in affinity)
        if not affinity or (allowed and not set(affinity) <= allowed):
            raise ValueError(f"affinity {affinity} must be a non-empty subset of the allowed CPUs {sorted(allowed)}")
    args = ["probe", "--n", n, "--repeat", repeat, "--libs", ",".join(libs)]
    if affinity is not None:
        args += ["--affinity", ",".join(map(str, affinity))]
    return _run_child(args, env=env_without_thread_settings(threads), timeout=timeout)


def _probe_main(args) -> dict:
    if args.affinity:
        os.sched_setaffinity(0, {int(c) for c in args.affinity.split(",")})
    libs = [x for x in args.libs.split(",") if x]
    res = {"os.cpu_count()": os.cpu_count(),
           "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}
    try:
        from joblib.externals.loky import cpu_count
        res["loky cpu_count()"] = cpu_count()
    except Exception as exc:
        res["loky cpu_count()"] = f"unknown: {exc}"
    import numpy as np
    if "cv2" in libs:
        import cv2
        res["cv2.getNumThreads()"] = cv2.getNumThreads()
    if "numba" in libs:
        import numba
        res["numba threads"] = numba.config.NUMBA_NUM_THREADS
    if "torch" in libs:
        import torch
        res["torch.get_num_threads()"] = torch.get_num_threads()
    if args.set_after:
        for kv in args.set_after.split(","):
            k, v = kv.split("=")
            os.environ[k] = v
        res["set after start"] = args.set_after
    try:
        from threadpoolctl import threadpool_info
        res["pools"] = [{"internal_api": p["internal_api"], "prefix": p["prefix"], "num_threads": p["num_threads"]}
                        for p in threadpool_info()]
    except Exception as exc:
        res["pools"] = f"unknown: {exc}"
    res["env"] = {k: os.environ.get(k) for k in THREAD_ENV_VARS if os.environ.get(k) is not None}
    if args.n > 0:
        a = np.random.default_rng(0).standard_normal((args.n, args.n))
        a @ a
        from optkit.machine import machine_busy_s

        ts, busy0, mine0, wall0 = [], machine_busy_s(), time.process_time(), time.perf_counter()
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            a @ a
            ts.append(time.perf_counter() - t0)
        while time.perf_counter() - wall0 < 0.25:        # the machine's counters tick every 10 ms:
            a @ a                                        # a window long enough to read them
        wall, busy = time.perf_counter() - wall0, machine_busy_s() - busy0
        others = (busy - (time.process_time() - mine0)) / wall if wall > 0 else float("nan")
        res["matmul_s"] = statistics.median(ts)
        res["matmul_samples_s"] = ts                     # every timed product, for clearly_different
        res["matmul_n"] = args.n
        # cores' worth of CPU that other programs used while this child timed (None: unknown)
        res["other_cpu_use"] = round(max(0.0, others), 2) if others == others else None
    return res


def env_before_vs_after(var="OPENBLAS_NUM_THREADS", value=1, libs=("numpy",)) -> dict:
    """Two children: one gets `var=value` in its environment at start, the other sets
    os.environ[var] after NumPy has started its pool. Returns both pool views."""
    before = _run_child(["probe", "--n", 0, "--libs", ",".join(libs)], env=env_without_thread_settings(extra={var: str(value)}))
    after = _run_child(["probe", "--n", 0, "--libs", ",".join(libs), "--set-after", f"{var}={value}"],
                       env=env_without_thread_settings())
    return {"set before start": before, "set after start": after}


def import_steps(modules=("numpy", "cv2", "optkit.native", "numba", "torch"), timeout=120.0) -> list:
    """In a fresh child: import `modules` one by one and list the pools threadpoolctl sees after
    each step. Modules that are not installed are skipped. Returns [(step, [pool dicts])]."""
    res = _run_child(["imports", "--modules", ",".join(modules)], env=env_without_thread_settings(), timeout=timeout)
    return [(step, pools) for step, pools in res["steps"]]


def _imports_main(args) -> dict:
    import importlib
    import importlib.util
    from threadpoolctl import threadpool_info
    steps = []
    for name in [m for m in args.modules.split(",") if m]:
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except Exception:
            continue
        importlib.import_module(name)
        steps.append((name, [{"user_api": p["user_api"], "internal_api": p["internal_api"],
                              "num_threads": p["num_threads"], "library": os.path.basename(p["filepath"]),
                              "filepath": p["filepath"]} for p in threadpool_info()]))
    return {"steps": steps}


# ----------------------------------------------------------------------------- oversubscription
def threads_per_worker(workers: int, cpus: int | None = None) -> int:
    """Threads each worker process may use so that workers x threads <= usable CPUs (at least 1)."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    cpus = usable_cpus() if cpus is None else cpus
    if not isinstance(cpus, int) or cpus < 1:
        raise ValueError(f"cpus must be a positive int, got {cpus!r}")
    return max(1, cpus // workers)


_WORKLOADS = ("blas", "torch")


def oversubscription(workers=2, threads=None, kind="blas", n=256, tasks=200, max_seconds=4.0,
                     timeout=120.0) -> dict:
    """Run `workers` processes at the same time, each doing `tasks` matmuls of n x n float64
    (kind "blas": NumPy -> OpenBLAS; "torch": torch.mm -> MKL/OpenMP), and time every task.

    threads=None leaves the pools at their defaults (sized from the CPUs the process sees);
    an int sets every thread env var to it before the worker starts. All workers load their
    libraries first, report "ready", and start together on "go". A worker stops early after
    `max_seconds` (so a badly oversubscribed run stays short); time per task is what counts.

    Returns {"workers", "threads", "pool_threads" (as each worker's library reports it),
    "kind", "tasks_done", "task_s" (mean seconds per task over all workers), "wall_s"}.
    """
    if kind not in _WORKLOADS:
        raise ValueError(f"kind must be one of {_WORKLOADS}, got {kind!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be None (library default) or a positive int, got {threads!r}")
    env = env_without_thread_settings(threads)
    cmd = [sys.executable, "-m", "optkit.lessons.beyond_code", "worker", "--kind", kind, "--n", str(n),
           "--tasks", str(tasks), "--max-seconds", str(max_seconds)]
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(workers)]
    try:
        deadline = time.monotonic() + timeout
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"worker did not start: {line!r} {p.stderr.read()[-400:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("workers took too long to start")
        t0 = time.perf_counter()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            if p.returncode != 0:
                raise RuntimeError(f"worker failed ({p.returncode}): {err.strip()[-400:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    done = sum(r["tasks_done"] for r in results)
    busy = sum(r["busy_s"] for r in results)
    return {"kind": kind, "workers": workers, "threads": threads,
            "pool_threads": [r["pool_threads"] for r in results], "tasks_done": done,
            "task_s": busy / done, "wall_s": max(r["busy_s"] for r in results),
            "wall_with_exit_s": wall, "n": n}


def _worker_main(args) -> dict:
    if args.kind == "blas":
        import numpy as np
        a = np.random.default_rng(0).standard_normal((args.n, args.n))
        try:
            from threadpoolctl import threadpool_info
            pools = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        except Exception:
            pools = []
        pool = max(pools) if pools else None
    else:
        import torch
        a = torch.randn(args.n, args.n, dtype=torch.float64)
        pool = torch.get_num_threads()
    b = a.copy() if hasattr(a, "copy") else a.clone()
    for _ in range(3):
        a @ b  # warm up: pools started, pages touched
    print("ready", flush=True)
    sys.stdin.readline()
    t_start = time.perf_counter()
    done = 0
    while done < args.tasks:
        a @ b
        done += 1
        if time.perf_counter() - t_start > args.max_seconds:
            break
    busy = time.perf_counter() - t_start
    return {"tasks_done": done, "busy_s": busy, "pool_threads": pool}


def oversubscription_experiment(workers=2, kind="blas", host_threads=None, **kw) -> dict:
    """{label: result} for default pools, capped pools (workers x threads fit the usable CPUs),
    and optionally pools sized for a bigger host (`host_threads`, as a container with a CPU
    quota would get them).

    The configurations are interleaved: ``rounds`` short rounds (a keyword, default 3), each
    running every configuration once in turn through oversubscription() with the other keywords
    (n, tasks, max_seconds, timeout), so a burst of load elsewhere hits them alike. Each result
    is the first round's dict with, over all rounds, "tasks_done" and "wall_s" summed,
    "task_s" the median of the rounds' times per task, "task_s_rounds" the list of them
    (samples for optkit.bench.clearly_different; round i of every configuration ran back to
    back, so their ratio round by round is paired), and "rounds"."""
    rounds = kw.pop("rounds", 3)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds must be a positive int, got {rounds!r}")
    cap = threads_per_worker(workers)
    configs = {}
    if host_threads:
        configs[f"{workers} workers x {host_threads} threads (pools sized for a {host_threads}-core host)"] = host_threads
    configs[f"{workers} workers x default pools"] = None
    configs[f"{workers} workers x {cap} thread{'s' if cap > 1 else ''} (capped)"] = cap
    runs = {label: [] for label in configs}
    for _ in range(rounds):
        for label, threads in configs.items():
            runs[label].append(oversubscription(workers, threads, kind, **kw))
    out = {}
    for label, rs in runs.items():
        r = dict(rs[0])
        r["task_s_rounds"] = [x["task_s"] for x in rs]
        r["task_s"] = statistics.median(r["task_s_rounds"])
        r["tasks_done"] = sum(x["tasks_done"] for x in rs)
        r["wall_s"] = sum(x["wall_s"] for x in rs)
        r["rounds"] = rounds
        out[label] = r
    return out


# ----------------------------------------------------------------------------- memory
def _timed_rounds(funcs: dict, repeat) -> dict:
    """{label: optkit.bench.Timing} of zero-argument kernels, timed through optkit.bench
    (the course's one timing path): one warm-up call each (page faults of first touch,
    thread start-up), then ``repeat`` interleaved rounds, so a burst of load elsewhere hits
    every kernel alike. Bandwidths are computed from the median; the best is kept beside it."""
    from optkit import bench

    return bench.measure(funcs, repeat=max(1, int(repeat)), min_time=0.005, min_repeats=1)


def _rates(t, nbytes) -> dict:
    """Times and GB/s of one kernel: ``gbs`` from the median time (the headline)."""
    return {"median_s": t.median_s, "iqr_s": t.iqr_s, "best_s": t.best_s,
            "gbs": nbytes / t.median_s / GB, "best_gbs": nbytes / t.best_s / GB}


def _split(n, parts):
    step = -(-n // parts)
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def stream(n=2**23, repeat=10, threads=1, block=2**15) -> dict:
    """A small STREAM with NumPy on float64 arrays of n elements (n=2**23: 64 MiB each, beyond the caches).

    copy  b = a            2 arrays moved    np.copyto(b, a)
    scale b = s * a        2 arrays          np.multiply(a, s, out=b)
    add   c = a + b        3 arrays          np.add(a, b, out=c)
    triad a = b + s * c    3 arrays          blocked: s * c goes into a small cache-resident temporary
    Bytes are counted as STREAM counts them (each array read or written once; write-allocate
    traffic is not counted). `threads` > 1 splits the arrays into chunks run by a thread pool
    (NumPy releases the GIL). The four kernels are timed through optkit.bench in interleaved
    rounds; GB/s comes from each kernel's median time. Returns {"gbs": {kernel: GB/s},
    "median_s": {...}, "iqr_s": {...}, "best_s": {...}, "n", "threads", "best"} where "best"
    is the highest of the (median) bandwidths, the roof.
    """
    import numpy as np
    if not isinstance(n, int) or n < 1024:
        raise ValueError(f"n must be an int >= 1024, got {n!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    a = np.full(n, 1.0)
    b = np.full(n, 2.0)
    c = np.full(n, 0.5)
    s = 3.0
    tmp = [np.empty(block) for _ in range(threads)]

    def triad_range(lo, hi, t):
        for i in range(lo, hi, block):
            j = min(hi, i + block)
            buf = tmp[t][: j - i]
            np.multiply(c[i:j], s, out=buf)
            np.add(b[i:j], buf, out=a[i:j])

    kernels = {
        "copy": (lambda lo, hi, t: np.copyto(b[lo:hi], a[lo:hi]), 2),
        "scale": (lambda lo, hi, t: np.multiply(a[lo:hi], s, out=b[lo:hi]), 2),
        "add": (lambda lo, hi, t: np.add(a[lo:hi], b[lo:hi], out=c[lo:hi]), 3),
        "triad": (triad_range, 3),
    }
    chunks = _split(n, threads)
    pool = None
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(threads)
    try:
        runs = {}
        for name, (k, arrays) in kernels.items():
            if pool is None:
                runs[name] = lambda k=k: k(0, n, 0)  # noqa: E731
            else:
                runs[name] = lambda k=k: list(pool.map(lambda it: k(it[1][0], it[1][1], it[0]), enumerate(chunks)))  # noqa: E731
        rates = {name: _rates(t, kernels[name][1] * n * 8)
                 for name, t in _timed_rounds(runs, repeat).items()}
    finally:
        if pool is not None:
            pool.shutdown()
    # check the arithmetic once, so a wrong kernel cannot report a bandwidth
    a[:] = 1.0; b[:] = 2.0; c[:] = 0.5  # noqa: E702
    triad_range(0, n, 0)
    if not np.allclose(a[:: max(1, n // 1000)], 2.0 + s * 0.5):
        raise AssertionError("triad gave a wrong result")
    gbs = {k: r["gbs"] for k, r in rates.items()}
    return {"gbs": gbs, "median_s": {k: r["median_s"] for k, r in rates.items()},
            "iqr_s": {k: r["iqr_s"] for k, r in rates.items()},
            "best_s": {k: r["best_s"] for k, r in rates.items()}, "n": n, "threads": threads,
            "bytes_per_array": n * 8, "best": max(gbs.values())}


def _minflt() -> int:
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    except Exception:
        return -1


def _hugepage_switch():
    """NumPy's (private) switch for madvise(MADV_HUGEPAGE) on large allocations, or None."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
        return _set_madvise_hugepage
    except Exception:
        try:
            from numpy.core.multiarray import _set_madvise_hugepage  # NumPy 1.x
            return _set_madvise_hugepage
        except Exception:
            return None


def alloc_vs_out(n=2**23, repeat=10, small_pages=True) -> dict:
    """c = a + b with a fresh result array each call vs np.add(a, b, out=c) into a reused buffer.

    Fresh arrays this large come straight from the OS (mmap) and every page is faulted in on
    first touch. On Linux NumPy asks for transparent huge pages for large arrays (madvise: few
    faults of 2 MiB each); with small_pages=True a third variant, "fresh, no madvise", allocates
    with that request switched off: one fault per base page (page_size()) where the THP mode is
    madvise (as with most other allocators), huge pages anyway under "always" (see
    transparent_hugepage_mode(); its faults say which happened). Variants are timed through optkit.bench
    in interleaved rounds, so a burst of load elsewhere hits them all alike; page faults are
    counted on separate calls. Returns {label: {"median_s", "iqr_s", "best_s", "gbs" (3 arrays
    moved, from the median), "page_faults_per_call", "result_bytes" (one result array), "timing"
    (the optkit.bench.Timing, for bench.clearly_different)}} (faults -1 where getrusage is missing).
    """
    import numpy as np
    if not isinstance(n, int) or n < 1024:
        raise ValueError(f"n must be an int >= 1024, got {n!r}")
    a = np.full(n, 1.0)
    b = np.full(n, 2.0)
    c = np.empty(n)
    switch = _hugepage_switch()

    def fresh_small():
        prev = switch(False)
        try:
            return a + b
        finally:
            switch(prev)

    variants = {"fresh: c = a + b": lambda: a + b}
    if small_pages and switch is not None:
        variants["fresh, no madvise"] = fresh_small
    variants["reused: np.add(a, b, out=c)"] = lambda: np.add(a, b, out=c)
    timings = _timed_rounds(variants, repeat)
    faults = {k: 0 for k in variants}
    calls = max(1, min(3, int(repeat)))
    for _ in range(calls):
        for label, f in variants.items():
            f0 = _minflt()
            r = f()
            faults[label] += _minflt() - f0
            del r
    np.testing.assert_array_equal(a + b, np.add(a, b, out=c))
    return {k: dict(_rates(timings[k], 3 * n * 8),
                    page_faults_per_call=faults[k] / calls if _minflt() >= 0 else -1,
                    result_bytes=n * 8, timing=timings[k])
            for k in variants}


def faults_verdict(faults, result_bytes, page, thp) -> str:
    """What `faults` per call say about one result of `result_bytes` in base pages of `page` bytes:
    "huge pages" only where the THP mode `thp` can give them (always, madvise)."""
    pages = result_bytes / page
    head = f"{faults:,.0f} faults per call, {pages:,.0f} pages of {page // 1024} KiB: "
    if faults >= 0.9 * pages:
        return head + "one per page"
    if thp not in ("always", "madvise"):
        return head + "fewer faults than pages"
    return head + ("fewer: mostly huge pages" if faults < pages / 8 else "fewer: some huge pages")


def kernel_bandwidth(fn, args=(), nbytes=None, repeat=10) -> dict:
    """Median (and best) time of fn(*args) through optkit.bench and the achieved GB/s (from
    the median) for `nbytes` useful bytes (what the kernel must read and write at least once).
    Returns {"median_s", "iqr_s", "best_s", "gbs", "best_gbs", "nbytes"}."""
    if not callable(fn):
        raise TypeError("fn must be callable")
    if not nbytes or nbytes <= 0:
        raise ValueError("nbytes must be the positive number of bytes the kernel must move")
    t = _timed_rounds({"kernel": lambda: fn(*args)}, repeat)["kernel"]
    return dict(_rates(t, nbytes), nbytes=nbytes)


def kernel_bandwidths(kernels: dict, nbytes, repeat=10) -> dict:
    """kernel_bandwidth for several kernels that move the same useful bytes, timed through
    optkit.bench in interleaved rounds (fairer than one after the other on a busy machine).
    `kernels`: {label: (fn, args)}. Returns {label: {"median_s", "iqr_s", "best_s", "gbs",
    "best_gbs", "nbytes"}}."""
    if not kernels:
        raise ValueError("no kernels given")
    if not nbytes or nbytes <= 0:
        raise ValueError("nbytes must be the positive number of bytes the kernels must move")
    for label, (fn, args) in kernels.items():
        if not callable(fn):
            raise TypeError(f"{label}: fn must be callable")
    runs = {label: (lambda fn=fn, args=args: fn(*args)) for label, (fn, args) in kernels.items()}
    return {k: dict(_rates(t, nbytes), nbytes=nbytes) for k, t in _timed_rounds(runs, repeat).items()}


def normalize_fresh(img, mean=127.5, std=64.0):
    """A memory-bound preprocessing step as a beginner writes it (uint8 image -> float32, minus
    the mean, divided by the std): a fresh float32 array on every call, and three passes over it.

    The cast makes the new array; NumPy's temporary elision usually lets the subtraction and the
    division write into that temporary (large arrays, platforms where NumPy can check it), so
    the peak is one result, but the result is still written three times and read twice, and
    its fresh pages are faulted in on every call."""
    import numpy as np
    return (img.astype(np.float32) - np.float32(mean)) / np.float32(std)


def normalize_into(img, mean=127.5, std=64.0, out=None):
    """The same result written into a reused float32 buffer (`out`): a fast uint8 -> float32
    cast into the buffer, then two in-place passes; no temporaries, no fresh pages."""
    import numpy as np
    if out is None:
        out = np.empty(img.shape, np.float32)
    if out.shape != img.shape or out.dtype != np.float32:
        raise ValueError(f"out must be float32 of shape {img.shape}, got {out.dtype} {out.shape}")
    np.copyto(out, img)       # uint8 -> float32 is a safe cast: every value is exact
    out -= np.float32(mean)
    out /= np.float32(std)
    return out


# ----------------------------------------------------------------------------- asynchronous work
def async_timing_demo(n=512, k=20) -> dict:
    """Timing work that has not finished, on the CPU.

    A background thread does k matmuls of n x n (NumPy releases the GIL, so it really runs in
    the background). Timing only the submit() call measures the launch, not the work; waiting
    for the result (future.result(), the CPU's torch.cuda.synchronize()) measures the work.
    """
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    a = np.random.default_rng(0).standard_normal((n, n))

    def work():
        r = a
        for _ in range(k):
            r = np.tanh(r @ a / n)
        return r

    work()
    with ThreadPoolExecutor(1) as ex:
        t0 = time.perf_counter()
        fut = ex.submit(work)
        launch = time.perf_counter() - t0
        done_at_launch = fut.done()
        fut.result()
        finished = time.perf_counter() - t0
    return {"launch_only_s": launch, "until_result_s": finished, "finished_when_launch_timer_stopped": done_at_launch}


# ----------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m optkit.lessons.beyond_code")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gpu-demo", help="run the GPU cells of notebook 05 and print the results")
    g.add_argument("--json", action="store_true")
    w = sub.add_parser("worker", help=argparse.SUPPRESS)
    w.add_argument("--kind", default="blas", choices=_WORKLOADS)
    w.add_argument("--n", type=int, default=256)
    w.add_argument("--tasks", type=int, default=200)
    w.add_argument("--max-seconds", type=float, default=4.0)
    p = sub.add_parser("probe", help=argparse.SUPPRESS)
    p.add_argument("--affinity", default="")
    p.add_argument("--n", type=int, default=384)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--libs", default="numpy")
    p.add_argument("--set-after", default="")
    im = sub.add_parser("imports", help=argparse.SUPPRESS)
    im.add_argument("--modules", default="numpy")
    args = ap.parse_args(argv)
    if args.cmd == "gpu-demo":
        from optkit.lessons.beyond_code_gpu import gpu_demo

        if args.json:
            res = gpu_demo(print_fn=lambda *a: None)
            res.get("benchmark", {}).pop("text", None)
            print(json.dumps(res, default=str, indent=1))
        else:
            gpu_demo()
        return 0
    res = {"worker": _worker_main, "probe": _probe_main, "imports": _imports_main}[args.cmd](args)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
