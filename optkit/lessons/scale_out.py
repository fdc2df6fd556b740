"""Helpers for notebook 07 (scale out): one unit of work, run serially, with multiprocessing,
with joblib, and with Dask distributed, and checked equal everywhere.

The unit of work is the case study's batch preprocessing for one document: load the page
(here: generate it from its seed, the stand-in for reading it from storage), cut every word
out with a perspective warp, convert to grey, normalise each crop. What travels to a worker is
a list of seeds (a few bytes each); what comes back is the float32 crop stack.

    process_seed(seed) -> (N, h, w) float32        process_chunk(seeds) -> list of those
                                                    (notebook 07 runs its copies, in
                                                    notebooks/lesson07_tasks.py: tasks=)
    chunked(items, size) -> list of lists           pickled_size(obj) -> bytes on the wire
    run_serial / run_pool / run_joblib / run_dask   all return results in input order
    results_equal(a, b)                             exact, array by array
    timed(fn, ...) -> Timed                         seconds, pages/s, and who used the CPU
    DaskSession(...)                                LocalCluster (processes, one thread each)
                                                    or OPTKIT_DASK_SCHEDULER=tcp://host:8786
"""
from __future__ import annotations

import functools
import logging
import os
import pickle
import time
import warnings
from dataclasses import dataclass

import numpy as np

from optkit import bench, data
from optkit.i18n import tr
from optkit.lessons.frameworks_first import CROP_SIZE, check_worker_import, crop_gray_batch, normalise_batch
from optkit.workers import CheckedPool, PoolClosedError, WorkerImportError, stop_pool

__all__ = [
    "DOC_ARGS", "CROP_SIZE", "preprocess", "process_seed", "process_chunk", "box_features",
    "features_chunk", "chunked", "pickled_size", "run_serial", "make_pool", "run_pool",
    "run_joblib", "run_dask", "results_equal", "Timed", "timed", "DaskSession",
    "SCHEDULER_ENV", "have_bokeh", "one_thread", "in_one_thread", "cpu_ms_per_page", "dashboard_viewer",
    "DashboardCost", "dashboard_cost", "check_seeds", "check_worker_import", "check_yours",
    "PoolClosedError", "WorkerImportError", "stop_pool",
]

#: small pages so that a hundred of them fit a notebook's time budget
DOC_ARGS = dict(width=640, height=480, n_boxes=30)
SCHEDULER_ENV = "OPTKIT_DASK_SCHEDULER"


# --------------------------------------------------------------------------- the unit of work

def preprocess(doc, size=CROP_SIZE) -> np.ndarray:
    """Crop every quad of a document upright, grey, normalised: (N, h, w) float32."""
    return normalise_batch(crop_gray_batch(doc.image, doc.quads, size))


def process_seed(seed: int, width: int = DOC_ARGS["width"], height: int = DOC_ARGS["height"],
                 n_boxes: int = DOC_ARGS["n_boxes"], size=CROP_SIZE) -> np.ndarray:
    """Load (generate) the document with this seed and preprocess it. Deterministic, so
    every process, here or on a cluster node, returns the same bytes for the same seed."""
    doc = data.make_document(width, height, n_boxes=n_boxes, seed=int(seed))
    return preprocess(doc, size)


def process_chunk(seeds, **doc_args) -> list:
    """One task = one chunk of documents: per-task overheads are paid once per chunk."""
    return [process_seed(s, **doc_args) for s in seeds]


def box_features(seed: int, n_boxes: int = 30) -> np.ndarray:
    """A deliberately tiny task (tens of microseconds): width, height and angle of random
    word boxes for one seed. Used to show what per-task overhead costs."""
    rng = np.random.default_rng(int(seed))
    w = rng.uniform(20, 160, n_boxes)
    h = rng.uniform(14, 40, n_boxes)
    a = rng.uniform(-3, 3, n_boxes)
    return np.stack([w, h, a], axis=1).astype(np.float32)


def features_chunk(seeds, n_boxes: int = 30) -> list:
    return [box_features(s, n_boxes) for s in seeds]


def chunked(items, size: int) -> list:
    """Consecutive chunks of at most ``size`` items, in order (the last may be shorter)."""
    size = int(size)
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def pickled_size(obj) -> int:
    """Bytes that pickling ``obj`` produces: roughly what a task or a result costs on the wire."""
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def results_equal(a, b) -> bool:
    """True when two result lists hold the same arrays (shape, dtype, every value)."""
    if len(a) != len(b):
        return False
    return all(x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


def check_yours(name: str, expected, got) -> None:
    """For a notebook cell that times the learner's copy of a runner: raise ValueError, with a
    message that names the function and how its results differ from the single-process run's
    (count, order, or the first page that differs), unless :func:`results_equal` holds."""
    from optkit.i18n import tr

    got = list(got) if isinstance(got, (list, tuple)) else got
    if isinstance(got, list) and results_equal(expected, got):
        return
    if not isinstance(got, list):
        detail = tr("it returned a {kind}, not a list of arrays", kind=type(got).__name__)
    elif len(got) != len(expected):
        detail = tr("{n} results, expected {m} (one per page)", n=len(got), m=len(expected))
    else:
        def same(x, y):
            return (getattr(x, "shape", None) == y.shape and getattr(x, "dtype", None) == y.dtype
                    and np.array_equal(x, y))

        i = next(i for i, (x, y) in enumerate(zip(got, expected)) if not same(x, y))
        j = next((j for j, y in enumerate(expected) if same(got[i], y)), None)
        detail = (tr("result {i} is the one of page {j}: keep the order of the input", i=i, j=j)
                  if j is not None else
                  tr("result {i} differs from the single-process run's", i=i))
    raise ValueError(tr("your {name} returned results that differ from the single-process run: "
                        "{detail}. Fix it before its time counts (its time is not shown).",
                        name=name, detail=detail))


def check_seeds(seeds):
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("no seeds given")
    if min(seeds) < 0:
        raise ValueError("seeds must be >= 0")
    return seeds


# --------------------------------------------------------------------------- runners

@dataclass
class Timed:
    """Results plus how long they took (seconds) and the documents per second, with the CPU
    context: CPU time of this process and its child processes (the workers), and the busy
    CPU time of the whole machine over the same span (NaN where unknown)."""

    results: list
    seconds: float
    cpu_s: float = float("nan")
    busy_cpu_s: float = float("nan")

    @property
    def per_s(self) -> float:
        return len(self.results) / self.seconds if self.seconds > 0 else float("nan")

    @property
    def own_cpus(self) -> float:
        """Cores' worth of CPU used by this process and its workers during the run."""
        return self.cpu_s / self.seconds if self.seconds > 0 else float("nan")

    @property
    def other_cpus(self) -> float:
        """Cores' worth of CPU used by other programs on the machine during the run (>= 0)."""
        if not self.seconds > 0 or not (np.isfinite(self.cpu_s) and np.isfinite(self.busy_cpu_s)):
            return float("nan")
        return max(0.0, (self.busy_cpu_s - self.cpu_s) / self.seconds)


def timed(fn, *args, **kwargs) -> Timed:
    """Run ``fn(*args, **kwargs)`` once; wall time plus the CPU context (see :class:`Timed`).

    Timed by :func:`optkit.bench.time_once` (the course's one-shot timer), not repeated in
    rounds: a run is a whole multi-process job of many pages whose worker start-up, task
    shipping and result gathering are part of what is measured, and repeating it would
    multiply the notebook's minutes. Workers that start during the run count from zero;
    workers that exit during it count as far as they were waited for."""
    out, t = bench.time_once(fn, *args, **kwargs)
    return Timed(out, t.median_s, t.cpu_s + t.child_cpu_s, t.busy_cpu_s)


def _unit(tasks):
    """Where the unit of work comes from: ``tasks`` (a module with process_seed and
    process_chunk, such as notebooks/lesson07_tasks.py) or, by default, this module."""
    if tasks is None:
        return process_seed, process_chunk
    return tasks.process_seed, tasks.process_chunk


def run_serial(seeds, tasks=None, **doc_args) -> list:
    """The single-process reference: one document after the other. ``tasks``: see run_pool."""
    return _unit(tasks)[1](check_seeds(seeds), **doc_args)


def one_thread():
    """Limit this process to one thread (OpenCV's pool and BLAS pools): what every worker
    runs at start-up, and what the notebook's own process uses for the serial reference,
    so that one worker and the serial run do the same work."""
    import cv2

    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - threadpoolctl is a dependency, but be lenient
        pass


def make_pool(workers: int, method: str = "spawn"):
    """A multiprocessing Pool whose workers run one thread each. ``spawn`` (the default
    here): fresh interpreters that import what they need, safe next to thread pools
    (forking a process whose OpenMP/OpenCV pools are running can hang the child). A
    :class:`optkit.workers.CheckedPool`: a function from a notebook cell is refused before any
    worker sees it (spawn workers cannot import it: the task would be lost and ``map`` would
    wait for ever), and a closed pool says which cell starts it again."""
    import multiprocessing as mp

    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return CheckedPool(workers, initializer=one_thread, context=mp.get_context(method),
                       home=tr("Define it in lesson07_tasks.py, the file beside this notebook (the "
                               "section \"The unit of work\" says why), and pass `tasks.` + its name "
                               "(restart the kernel after changing that file), or pass a function "
                               "of `scale` itself"),
                       restart=tr("the Clean up cell at the end of the notebook closes it. Run the "
                                  "cell that starts it again (the first code cell of \"multiprocessing "
                                  "and joblib\": `pool = scale.make_pool(MAX_WORKERS)`), then this one"))


def run_pool(pool, seeds, chunksize: int = 1, tasks=None, **doc_args) -> list:
    """``pool.map`` over seeds; ``chunksize`` seeds travel to a worker per task. ``tasks``: a
    module whose process_seed / process_chunk run instead of this module's (the notebook
    passes its helper file; the workers import that module by name)."""
    fn = _unit(tasks)[0]
    fn = functools.partial(fn, **doc_args) if doc_args else fn
    return pool.map(fn, check_seeds(seeds), chunksize=int(chunksize))


def run_joblib(seeds, n_jobs: int = 2, chunk: int = 4, tasks=None, **doc_args) -> list:
    """joblib with the loky backend (a reusable process pool): one delayed call per chunk.
    ``tasks``: see run_pool."""
    from joblib import Parallel, delayed

    parts = chunked(check_seeds(seeds), chunk)
    work = _unit(tasks)[1]
    out = Parallel(n_jobs=n_jobs, backend="loky")(delayed(in_one_thread)(work, c, **doc_args)
                                                  for c in parts)
    return [r for part in out for r in part]


def in_one_thread(work, *args, **kwargs):
    """Run ``work(*args, **kwargs)`` in a process limited to one thread, as make_pool's and
    DaskSession's workers are: loky caps the BLAS and OpenMP pools of its workers (to the CPUs
    divided by n_jobs) but leaves OpenCV's pool at its default size. :func:`one_thread` runs
    once per process (threadpoolctl's scan of the loaded libraries is not free)."""
    if os.getpid() not in _ONE_THREAD_DONE:
        one_thread()
        _ONE_THREAD_DONE.add(os.getpid())
    return work(*args, **kwargs)


_ONE_THREAD_DONE: set = set()      # the processes in_one_thread has limited


def run_dask(client, seeds, chunk: int = 4, workers=None, **doc_args) -> list:
    """Dask distributed: one task per chunk of seeds (``client.map``), results gathered
    in order. ``workers``: restrict the tasks to these worker addresses (to measure
    throughput against the number of workers on one cluster)."""
    parts = chunked(check_seeds(seeds), chunk)
    kw = dict(pure=False)
    if workers is not None:
        kw.update(workers=list(workers), allow_other_workers=False)
    futures = client.map(functools.partial(process_chunk, **doc_args), parts, **kw)
    out = client.gather(futures)
    return [r for part in out for r in part]


def cpu_ms_per_page(n: int = 12, start: int = 10_000) -> dict:
    """CPU milliseconds per page of the unit of work in the calling process, and the
    process's MALLOC_TRIM_THRESHOLD_ (run it inside a worker with ``client.submit``)."""
    c0 = time.process_time()
    for s in range(start, start + n):
        process_seed(s)
    return {"cpu_ms_per_page": (time.process_time() - c0) / n * 1e3,
            "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


# --------------------------------------------------------------------------- Dask session

def _one_thread_plugin():
    """A Dask worker plugin that runs :func:`one_thread` on every worker, present and
    future: Dask already sets OMP/MKL/OPENBLAS_NUM_THREADS=1 for the workers it spawns, but
    OpenCV's own thread pool would still use every core in every worker."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class OneThreadPerWorker(WorkerPlugin):
        name = "optkit-one-thread"

        def setup(self, worker):
            one_thread()

    return OneThreadPerWorker()


def have_bokeh() -> bool:
    """The Dask dashboard needs bokeh (>= 3.1)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


class DaskSession:
    """A Dask client: a LocalCluster on this machine, or an existing scheduler.

    ``scheduler`` (or the environment variable OPTKIT_DASK_SCHEDULER, e.g.
    ``tcp://10.0.0.5:8786``) connects to a real cluster; otherwise a LocalCluster starts
    ``n_workers`` worker *processes* with one thread each (the work holds the GIL part of the
    time, so processes, not threads). The dashboard runs when bokeh is installed (else it is
    disabled and ``dashboard_hint`` says how to get it). Use as a context manager, or call
    ``close()``: workers, nanny processes and the scheduler are all shut down.
    """

    def __init__(self, n_workers: int = 2, *, scheduler: str | None = None, dashboard: bool = True,
                 memory_limit="2GiB", quiet: bool = True, malloc_trim: bool = False):
        import dask
        from dask.distributed import Client, LocalCluster

        if n_workers < 1:
            raise ValueError(f"n_workers must be >= 1, got {n_workers}")
        self.address_from = None
        self.cluster = None
        self.dashboard_hint = ""
        self._dashboard = True
        address = scheduler or os.environ.get(SCHEDULER_ENV, "").strip() or None
        if quiet:
            _quiet_dask_logs()
        if address:
            self.address_from = "argument" if scheduler else SCHEDULER_ENV
            self.client = Client(address, timeout="20s")
        else:
            use_dashboard = dashboard and have_bokeh()
            self._dashboard = use_dashboard
            if dashboard and not use_dashboard:
                self.dashboard_hint = ("the dashboard needs bokeh: pip install 'bokeh>=3.1' "
                                       "(or the project's frameworks extra), then restart the kernel")
            # Dask's nannies set MALLOC_TRIM_THRESHOLD_ for their workers (give freed memory
            # back to the OS sooner). glibc then stops adapting its mmap threshold, and every
            # large temporary array is mapped, page-faulted and unmapped again: costly for
            # this workload (notebook 07 measures it). Off by default here (malloc_trim=False).
            cfg = {} if malloc_trim else {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            saved = os.environ.get("MALLOC_TRIM_THRESHOLD_")
            with warnings.catch_warnings(), dask.config.set(cfg):
                warnings.simplefilter("ignore")
                self.cluster = LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0" if use_dashboard else None,
                    memory_limit=memory_limit, silence_logs=logging.ERROR if quiet else logging.INFO)
            if saved is None:          # the nannies set it in this process too; later pools would inherit it
                os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            else:
                os.environ["MALLOC_TRIM_THRESHOLD_"] = saved
            self.client = Client(self.cluster)
        self.client.register_plugin(_one_thread_plugin())

    @property
    def dashboard_link(self) -> str | None:
        if not self._dashboard:
            return None
        try:
            return self.client.dashboard_link
        except Exception:  # pragma: no cover
            return None

    @property
    def scheduler_address(self) -> str:
        return self.client.scheduler.address

    @property
    def workers(self) -> list:
        """Worker addresses, sorted (stable order for "the first k workers")."""
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def wait_for_workers(self, n: int, timeout: float = 60.0):
        self.client.wait_for_workers(n, timeout=timeout)
        return self

    def close(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self.client.close()
            finally:
                if self.cluster is not None:
                    self.cluster.close()
                    self.cluster = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        where = f"LocalCluster, {len(self.workers)} worker processes" if self.cluster is not None \
            else f"scheduler {self.scheduler_address} (from {self.address_from})"
        return f"DaskSession({where})"


def _quiet_dask_logs():
    import dask

    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker",
                 "distributed.core", "distributed.comm", "distributed.http.proxy",
                 "distributed.utils_perf", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR)
    dask.config.set({"distributed.logging.distributed": "error",
                     "distributed.admin.system-monitor.gil.enabled": False})


# --------------------------------------------------------------------------- the dashboard's cost

_VIEWER = """
import sys
from bokeh.client import pull_session
session = pull_session(url=sys.argv[1])
print("connected", flush=True)
session.loop_until_closed()
"""


class dashboard_viewer:
    """A stand-in for a browser tab showing the dashboard page ``link``: a bokeh client
    session in a separate process, connected to the scheduler's dashboard, receiving every
    update the page would receive. A real browser also draws them (more CPU, not counted
    here). Use as a context manager; ``cpu_s`` is the viewer process's CPU time so far."""

    def __init__(self, link: str, timeout: float = 30.0):
        if not link:
            raise ValueError("no dashboard link (is bokeh installed and the dashboard on?)")
        self.link, self.timeout, self.proc = link, timeout, None

    def __enter__(self):
        import subprocess
        import sys
        import threading

        self.proc = subprocess.Popen([sys.executable, "-c", _VIEWER, self.link], text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not first or not first[0].startswith("connected"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the dashboard viewer could not connect to {self.link}")
        time.sleep(0.5)                   # the page's first updates arrive
        return self

    @property
    def cpu_s(self) -> float:
        try:
            import psutil

            t = psutil.Process(self.proc.pid).cpu_times()
            return t.user + t.system
        except Exception:                 # noqa: BLE001 - exited
            return float("nan")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except Exception:             # noqa: BLE001
                self.proc.kill()
                self.proc.wait()
        return False


@dataclass
class DashboardCost:
    """Dask runs of the same pages with the dashboard closed and open (interleaved rounds)."""

    pages: int
    closed: object                        # optkit.bench.Timing of one run, dashboard closed
    opened: object                        # the same, a dashboard viewer connected
    viewer_cpu_s: float                   # the viewer's own CPU per run (median)

    @property
    def pages_per_s(self) -> dict:
        return {"closed": self.pages / self.closed.median_s, "open": self.pages / self.opened.median_s}

    @property
    def own_cpu_ms_per_page(self) -> dict:
        """CPU of this process (client and, for a LocalCluster, the scheduler serving the
        dashboard) per page, ms: CPU time blurs less than wall time on a busy machine."""
        return {"closed": self.closed.cpu_s / self.pages * 1e3,
                "open": self.opened.cpu_s / self.pages * 1e3}

    def summary(self) -> str:
        """The throughput with the viewer connected vs none, judged by the course's noise rule
        (bench.clearly_different on the two Timings); the change is signed: throughput -8% means
        it fell. The stand-in viewer sees the server side only (the scheduler serving the page),
        not a browser drawing it, so the summary says so."""
        pps, cpu = self.pages_per_s, self.own_cpu_ms_per_page
        change = pps["open"] / pps["closed"] - 1          # negative: throughput fell with the viewer
        if bench.clearly_different(self.closed, self.opened) and change < 0:
            verdict = tr("the connected viewer cost {cost:.0%} of the throughput here (throughput {change:+.0%})",
                         cost=-change, change=change)
        elif bench.clearly_different(self.closed, self.opened):
            verdict = tr("no throughput cost measured (throughput {change:+.0%} with the viewer "
                         "connected;\n     faster with the viewer is noise, not a gain)", change=change)
        else:
            verdict = tr("no clear throughput cost here (throughput {change:+.0%}, within the runs' noise:\n"
                         "     IQR {a:.0%} and {b:.0%} of the medians)", change=change,
                         a=self.closed.iqr_s / self.closed.median_s, b=self.opened.iqr_s / self.opened.median_s)
        return tr("dashboard closed: {closed:.1f} pages/s, open: {open:.1f} pages/s "
                  "({runs} runs each, medians)\n  -> {verdict}\n"
                  "CPU per page of this process (client + scheduler): {cpu_closed:.1f} ms closed, "
                  "{cpu_open:.1f} ms open;\n"
                  "  the viewer itself used {viewer} ms per page\n"
                  "  (server side only: a browser tab also draws the page, on these same cores)",
                  closed=pps["closed"], open=pps["open"], runs=self.closed.repeats, verdict=verdict,
                  cpu_closed=cpu["closed"], cpu_open=cpu["open"],
                  viewer=f"{self.viewer_cpu_s / self.pages * 1e3:.1f}" if self.viewer_cpu_s / self.pages >= 5e-5 else "<0.1")


def dashboard_cost(session, seeds, chunk: int = 2, repeat: int = 3, link: str | None = None,
                   reference=None):
    """Measure what an open dashboard costs: the same Dask run with no viewer and with one
    viewer connected (:class:`dashboard_viewer`), in interleaved rounds through optkit.bench
    (closed, open; open, closed; ...), every run's results checked equal to ``reference``
    (the serial results of these seeds; default: the first page only, computed here).
    ``None`` without a dashboard."""
    link = link or session.dashboard_link
    if not link:
        return None
    seeds = check_seeds(seeds)
    ref = list(reference) if reference is not None else run_serial(seeds[:1])
    viewer_cpu = []

    class _open:
        def __enter__(self):
            self.v = dashboard_viewer(link).__enter__()
            self.c0 = self.v.cpu_s
            return self

        def __exit__(self, *exc):
            viewer_cpu.append(self.v.cpu_s - self.c0)
            return self.v.__exit__(*exc)

    def run():
        out = run_dask(session.client, seeds, chunk=chunk)
        if not results_equal(ref, out[:len(ref)]):
            raise AssertionError("Dask results differ from the serial run")

    t = bench.measure({"closed": run, "open": run}, controls={"open": _open}, repeat=repeat,
                      loops=1, warmup=0, min_time=1e-3, min_repeats=repeat)
    vc = [c for c in viewer_cpu if np.isfinite(c)]
    return DashboardCost(len(seeds), t["closed"], t["open"], float(np.median(vc)) if vc else float("nan"))
