"""optkit.lessons.scale_out: the unit of work, chunking, and every runner returning the serial results."""
import logging
import sys
import time

import numpy as np
import psutil
import pytest

from optkit import data
from optkit.lessons import scale_out as scale

SEEDS = [3, 1, 4, 1, 5, 9]


@pytest.fixture(scope="module")
def reference():
    return scale.run_serial(SEEDS)


def _cv2_threads():
    import cv2

    return cv2.getNumThreads()


def _trim_env():
    import os

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _workers_left():
    kids = [p for p in psutil.Process().children(recursive=True) if p.is_running()]
    return [p for p in kids if "resource_tracker" not in " ".join(p.cmdline())]


def test_unit_of_work_is_deterministic_and_matches_preprocess():
    a = scale.process_seed(7)
    doc = data.make_document(seed=7, **scale.DOC_ARGS)
    assert a.shape == (scale.DOC_ARGS["n_boxes"], 32, 64) and a.dtype == np.float32
    assert np.array_equal(a, scale.process_seed(7))
    assert np.array_equal(a, scale.preprocess(doc))
    assert not np.array_equal(a, scale.process_seed(8))
    assert np.allclose(a.mean(axis=(1, 2)), 0, atol=1e-4)


def test_chunked():
    assert scale.chunked(range(7), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert scale.chunked([], 2) == []
    assert sum(scale.chunked(range(100), 8), []) == list(range(100))
    with pytest.raises(ValueError):
        scale.chunked([1], 0)


def test_shipping_a_seed_is_tiny_next_to_an_image():
    doc = data.make_document(seed=0, **scale.DOC_ARGS)
    assert scale.pickled_size(0) < 16
    assert scale.pickled_size(doc.image) > doc.image.nbytes > 1000 * scale.pickled_size(0)


def test_results_equal_is_exact(reference):
    assert scale.results_equal(reference, [r.copy() for r in reference])
    changed = [r.copy() for r in reference]
    changed[2][0, 0, 0] += 1e-6
    assert not scale.results_equal(reference, changed)
    assert not scale.results_equal(reference, reference[:-1])
    assert not scale.results_equal(reference, [r.astype(np.float64) for r in reference])


def test_bad_seeds():
    with pytest.raises(ValueError):
        scale.run_serial([])
    with pytest.raises(ValueError):
        scale.run_serial([1, -2])
    with pytest.raises(ValueError):
        scale.make_pool(0)


def test_box_features_tiny_task():
    a = scale.box_features(5)
    assert a.shape == (30, 3) and np.array_equal(a, scale.box_features(5))
    assert all(np.array_equal(x, y) for x, y in zip(scale.features_chunk([5, 6]), [a, scale.box_features(6)]))


def test_pool_and_joblib_equal_serial(reference):
    pool = scale.make_pool(2)
    try:
        assert scale.results_equal(reference, scale.run_pool(pool, SEEDS, chunksize=2))
    finally:
        pool.close()
        pool.join()
    assert scale.results_equal(reference, scale.run_joblib(SEEDS, n_jobs=2, chunk=2))


def _cv2_threads_per_seed(seeds, **doc_args):
    return [_cv2_threads() for _ in seeds]


def test_joblib_workers_run_opencv_with_one_thread():
    """loky caps BLAS and OpenMP in its workers, not OpenCV's pool: run_joblib limits it, as
    make_pool's initializer and the Dask plugin do, so the runners differ only by overheads."""
    import types

    probe = types.SimpleNamespace(process_seed=None, process_chunk=_cv2_threads_per_seed)
    assert scale.run_joblib(list(range(4)), n_jobs=2, chunk=1, tasks=probe) == [1, 1, 1, 1]
    done = set(scale._ONE_THREAD_DONE) if hasattr(scale, "_ONE_THREAD_DONE") else set()
    assert import_os_getpid() not in done      # the calling process itself was left alone


def import_os_getpid():
    import os

    return os.getpid()


def test_dask_local_cluster_equal_serial_and_clean_close(reference, monkeypatch):
    monkeypatch.delenv(scale.SCHEDULER_ENV, raising=False)
    before = {p.pid for p in _workers_left()}
    with scale.DaskSession(n_workers=2) as s:
        assert s.cluster is not None and len(s.workers) == 2
        threads = s.client.run(_cv2_threads)
        assert sorted(threads.values()) == [1, 1]          # one thread per worker process
        assert set(s.client.run(_trim_env).values()) == {None}
        assert scale.results_equal(reference, scale.run_dask(s.client, SEEDS, chunk=2))
        one = s.workers[:1]
        assert scale.results_equal(reference, scale.run_dask(s.client, SEEDS, chunk=4, workers=one))
        if scale.have_bokeh():
            assert s.dashboard_link.startswith("http")
    assert {p.pid for p in _workers_left()} <= before      # scheduler, nannies, workers gone


def test_dask_without_bokeh_and_with_malloc_trim(monkeypatch):
    import os

    monkeypatch.delenv(scale.SCHEDULER_ENV, raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.setattr(scale, "have_bokeh", lambda: False)
    s = scale.DaskSession(n_workers=1, malloc_trim=True)
    try:
        assert s.dashboard_link is None and "pip install 'bokeh" in s.dashboard_hint
        assert list(s.client.run(_trim_env).values()) == ["65536"]   # Dask's own setting, kept
        assert "MALLOC_TRIM_THRESHOLD_" not in os.environ          # not leaked into this process
        out = s.client.submit(scale.cpu_ms_per_page, 2, pure=False).result()
        assert out["cpu_ms_per_page"] > 0 and out["MALLOC_TRIM_THRESHOLD_"] == "65536"
    finally:
        s.close()


def test_scheduler_address_from_environment(monkeypatch, reference):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        monkeypatch.setenv(scale.SCHEDULER_ENV, cluster.scheduler_address)
        with scale.DaskSession() as s:
            assert s.cluster is None and s.address_from == scale.SCHEDULER_ENV
            assert s.scheduler_address == cluster.scheduler_address
            assert scale.results_equal(reference[:2], scale.run_dask(s.client, SEEDS[:2]))


def test_timed_reports_cpu_context():
    t = scale.Timed(results=[0] * 10, seconds=2.0, cpu_s=1.0, busy_cpu_s=3.0)
    assert t.per_s == 5.0 and t.own_cpus == pytest.approx(0.5) and t.other_cpus == pytest.approx(1.0)
    assert np.isnan(scale.Timed([0], 1.0).other_cpus)                 # no CPU data: unknown, not 0
    assert scale.Timed([0], 1.0, cpu_s=2.0, busy_cpu_s=1.0).other_cpus == 0.0
    run = scale.timed(scale.run_serial, [0, 1])
    assert len(run.results) == 2 and run.seconds > 0 and run.cpu_s > 0
    assert run.own_cpus > 0 and (run.other_cpus >= 0 or np.isnan(run.other_cpus))


def test_timed_counts_worker_cpu():
    pool = scale.make_pool(1)
    try:
        pool.map(scale.process_seed, [0])                                 # start-up outside the timing
        main0 = time.process_time()
        run = scale.timed(scale.run_pool, pool, [0, 1, 2, 3], chunksize=1)
        main_cpu = time.process_time() - main0
    finally:
        pool.close()
        pool.join()
    # the pages were made in the worker: its CPU time counts on top of this process's
    assert len(run.results) == 4 and run.cpu_s - main_cpu > 0.02


def test_dashboard_cost_summary_and_viewer_needs_a_link():
    from optkit import bench

    closed = bench.Timing("closed", float("nan"), 1.0, 1.0, 0.1, 1, 3, cpu_s=0.20)
    opened = bench.Timing("open", float("nan"), 2.0, 2.0, 0.1, 1, 3, cpu_s=0.30)
    c = scale.DashboardCost(20, closed, opened, viewer_cpu_s=0.4)
    assert c.pages_per_s == {"closed": 20.0, "open": 10.0}
    assert c.own_cpu_ms_per_page == pytest.approx({"closed": 10.0, "open": 15.0})
    text = c.summary()
    assert "20.0 pages/s" in text and "10.0 pages/s" in text and "cost 50% of the throughput" in text
    assert "throughput -50%" in text and "server side only" in text     # the sign says it fell
    same = scale.DashboardCost(20, closed, closed, viewer_cpu_s=0.4)
    assert "no clear throughput cost" in same.summary()
    # within the noise (the course's rule: the gap is smaller than the IQRs summed): no cost named
    noisy = bench.Timing("open", float("nan"), 1.2, 1.2, 0.5, 1, 3, cpu_s=0.30)
    wide = bench.Timing("closed", float("nan"), 1.0, 1.0, 0.3, 1, 3, cpu_s=0.20)
    text = scale.DashboardCost(20, wide, noisy, viewer_cpu_s=0.4).summary()
    assert "no clear throughput cost" in text and "throughput -17%" in text
    # clearly faster with the viewer: no cost, and no cause invented for it (nothing measured one)
    text = scale.DashboardCost(20, opened, closed, viewer_cpu_s=0.4).summary()
    assert "no throughput cost measured" in text and "throughput +100%" in text
    assert "noise, not a gain" in text and "load from other programs" not in text
    with pytest.raises(ValueError, match="dashboard link"):
        scale.dashboard_viewer("")

    class NoDashboard:
        dashboard_link = None

    assert scale.dashboard_cost(NoDashboard(), [0, 1]) is None


def test_every_runner_imports_the_notebooks_helper_file():
    """notebooks/lesson07_tasks.py, imported as notebook 07's kernel does (its working folder is
    the notebook's): spawn pool, loky and Dask workers find it and return the room's results; a
    function defined in __main__ (as a notebook cell defines it) cannot reach spawn workers."""
    import subprocess
    import sys
    from pathlib import Path

    script = r'''
import functools
import lesson07_tasks as tasks
from optkit.lessons import scale_out as scale
SEEDS = [3, 1, 4, 1, 5, 9]
ref = scale.run_serial(SEEDS)
assert scale.check_worker_import(tasks).name == "notebooks"
assert scale.results_equal(ref, scale.run_serial(SEEDS, tasks=tasks))
with scale.make_pool(2) as pool:                                            # spawn
    assert scale.results_equal(ref, scale.run_pool(pool, SEEDS, 2, tasks=tasks))
    def in_a_cell(seed):                                                    # lives in __main__
        return tasks.process_seed(seed)
    import multiprocessing, time
    t0 = time.perf_counter()
    try:                         # make_pool's pool refuses it before any worker sees it
        pool.map(in_a_cell, [1], chunksize=1)
    except scale.WorkerImportError as e:
        assert "in_a_cell is defined in a notebook cell" in str(e) and "lesson07_tasks.py" in str(e), e
        print("refused in %.1f s" % (time.perf_counter() - t0))
    else:
        raise SystemExit("make_pool's pool sent a function from __main__ to a spawn worker")
    assert scale.results_equal(ref, scale.run_pool(pool, SEEDS, 2, tasks=tasks))   # still works
raw = multiprocessing.get_context("spawn").Pool(1)         # a plain pool sends it
try:                             # the worker cannot unpickle the task: it dies, the map waits
    raw.map_async(in_a_cell, [1]).get(timeout=15)
except multiprocessing.TimeoutError:
    print("main function never ran")
else:
    raise SystemExit("a function from __main__ reached a spawn worker")
t0 = time.perf_counter()         # close + join would wait for the lost task for ever
print("plain pool", scale.stop_pool(raw, timeout_s=5), "in %.0f s" % (time.perf_counter() - t0))
assert scale.results_equal(ref, scale.run_joblib(SEEDS, 2, 2, tasks=tasks))     # loky
with scale.DaskSession(n_workers=2, dashboard=False) as s:                      # Dask LocalCluster
    parts = scale.chunked(SEEDS, 2)
    out = s.client.gather(s.client.map(functools.partial(tasks.process_chunk), parts, pure=False))
    assert scale.results_equal(ref, [r for part in out for r in part])
    mods = s.client.run(lambda: __import__("sys").modules["lesson07_tasks"].__file__)
    assert len(mods) == 2 and all(m == tasks.__file__ for m in mods.values()), mods
print("ok")
'''
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    out = subprocess.run([sys.executable, "-c", script], cwd=notebooks, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("ok"), out.stdout + out.stderr
    assert "main function never ran" in out.stdout and "Can't get attribute 'in_a_cell'" in out.stderr, out.stderr
    refused = float(out.stdout.split("refused in ")[1].split(" s")[0])
    assert refused < 5, out.stdout                      # at once, not after a check's budget
    assert "plain pool terminated" in out.stdout, out.stdout


def test_make_pools_pool_refuses_cell_code_and_names_the_cell_that_restarts_it(monkeypatch):
    """What a learner's mistakes on 07's pool meet: a function or class of __main__ (a cell) is
    refused before it is sent, in every form (wrapped in a partial, an instance, a bound
    method), the pool works on; once closed (the Clean up cell), it says which cell starts it
    again; stop_pool closes it, and again without error."""
    import functools
    import types

    from optkit.workers import main_object

    cell = types.ModuleType("__main__")
    exec("def feature(s):\n    return s\nclass Box:\n    def area(self, s):\n        return s\n", cell.__dict__)
    monkeypatch.setitem(sys.modules, "__main__", cell)
    feature, box = cell.feature, cell.Box()
    assert main_object(scale.box_features) is None and main_object(lambda s: s) is None
    assert main_object(feature) == "feature" and main_object(functools.partial(feature)) == "feature"
    assert main_object(box) == "Box" and main_object(box.area) == "Box"
    pool = scale.make_pool(1)
    try:
        for fn in (feature, functools.partial(feature, s=1), box.area):
            for call in (lambda: pool.map(fn, [1, 2]), lambda: pool.apply(fn, (1,)),
                         lambda: list(pool.imap(fn, [1])), lambda: pool.starmap_async(fn, [(1,)])):
                with pytest.raises(scale.WorkerImportError, match="is defined in a notebook cell"):
                    call()
        assert scale.results_equal([scale.box_features(3)], pool.map(scale.box_features, [3]))
    finally:
        assert scale.stop_pool(pool) == "closed"
    with pytest.raises(scale.PoolClosedError) as info:
        pool.map(scale.box_features, [3])
    assert isinstance(info.value, ValueError) and "pool = scale.make_pool(MAX_WORKERS)" in str(info.value)
    with pytest.raises(scale.PoolClosedError):
        pool.apply(scale.box_features, (3,))
    assert scale.stop_pool(pool) == "closed"


def test_make_pools_pool_refuses_cell_code_in_the_items_or_arguments_instead_of_hanging(monkeypatch):
    """A4 4: a class or function of __main__ (a cell) in a task's items or arguments made the
    spawn worker die unpickling it, and map() waited for ever. Refused before it is sent, at
    once, in every route (items of map/starmap/imap, apply's args and kwds); a lazy iterable
    given to imap is checked item by item, and that item's result is the error; the pool works
    on and closes cleanly (no lost task)."""
    import types

    cell = types.ModuleType("__main__")
    exec("class Seed(int):\n    pass\ndef helper(s):\n    return s\n", cell.__dict__)
    monkeypatch.setitem(sys.modules, "__main__", cell)
    seed, helper = cell.Seed, cell.helper
    pool = scale.make_pool(1)
    try:
        pool.map(scale.box_features, [0])                       # the worker is up
        calls = {"map_async items": lambda: pool.map_async(scale.box_features, [1, seed(2)]).get(timeout=20),
                 "map over a generator": lambda: pool.map(scale.box_features, (s for s in [seed(1)])),
                 "starmap items": lambda: pool.starmap_async(scale.box_features, [(1,), (seed(2),)]).get(timeout=20),
                 "a function inside args": lambda: pool.apply_async(scale.chunked, ([helper], 1)).get(timeout=20),
                 "kwds": lambda: pool.apply_async(scale.box_features, (), {"seed": seed(2)}).get(timeout=20),
                 "imap_unordered over a list": lambda: pool.imap_unordered(scale.box_features, [seed(1)]).next(20)}
        for name, call in calls.items():
            t0 = time.perf_counter()
            with pytest.raises(scale.WorkerImportError, match="Seed, in the items or arguments sent to the pool|"
                                                               "helper, in the items or arguments"):
                call()
            assert time.perf_counter() - t0 < 5, name
        lazy = pool.imap(scale.box_features, (seed(s) if s == 3 else s for s in range(5)))
        assert scale.results_equal([scale.box_features(s) for s in range(3)], [lazy.next(30) for _ in range(3)])
        with pytest.raises(scale.WorkerImportError, match="Seed, in the items or arguments sent to the pool"):
            lazy.next(30)
        assert scale.results_equal([scale.box_features(3)], pool.map(scale.box_features, [3]))
    finally:
        assert scale.stop_pool(pool, timeout_s=10) == "closed"


def test_a_learners_wrong_runner_gets_a_message_naming_it_and_the_difference(reference):
    scale.check_yours("run_dask", reference, [r.copy() for r in reference])     # equal: silent
    cases = [(reference[1:] + reference[:1], "result 0 is the one of page 1: keep the order"),
             (reference[:-1], "5 results, expected 6 (one per page)"),
             ([r + 1 for r in reference], "result 0 differs from the single-process run's"),
             (None, "it returned a NoneType, not a list of arrays")]
    for got, detail in cases:
        with pytest.raises(ValueError) as info:
            scale.check_yours("run_dask", reference, got)
        msg = str(info.value)
        assert msg.startswith("your run_dask returned results that differ from the single-process run")
        assert detail in msg and "its time is not shown" in msg and len(msg) < 300, msg
