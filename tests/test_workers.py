# 07's make_pool (a CheckedPool with the room's messages) refusing cell code in map/apply/imap/starmap_async,
# main_object on functions/partials/instances, stop_pool on a lost task: tests/lessons/test_scale_out.py;
# check_worker_import on 06's helper file: tests/lessons/test_frameworks_first.py.
"""optkit.workers with its own defaults: check_worker_import on folders in tmp_path (symlinked,
the working folder, a Korean name), main_object inside containers and on what cannot be pickled,
CheckedPool under spawn (refused before sending, the default messages, Korean) and under fork
(nothing to refuse), stop_pool closing an idle pool and terminating a stuck one."""
import multiprocessing as mp
import sys
import threading
import time
import types

import pytest

from optkit.workers import CheckedPool, PoolClosedError, WorkerImportError, check_worker_import, main_object, stop_pool


def module_in(folder, name="tasks"):
    f = folder / f"{name}.py"
    f.write_text("def work(x):\n    return x\n", encoding="utf-8")
    m = types.ModuleType(name)
    m.__file__ = str(f)
    return m


# --------------------------------------------------------------------------- check_worker_import

def test_a_folder_on_sys_path_is_where_workers_import_from(tmp_path, monkeypatch):
    folder = tmp_path / "과제 폴더"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    assert check_worker_import(module_in(folder)) == folder.resolve()


def test_a_symlinked_folder_on_sys_path_counts(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.syspath_prepend(str(tmp_path / "link"))
    assert check_worker_import(module_in(real)) == real.resolve()
    monkeypatch.setattr(sys, "path", [str(real)] + [p for p in sys.path if p != str(tmp_path / "link")])
    assert check_worker_import(module_in(tmp_path / "link")) == real.resolve()   # imported by the link


def test_the_empty_entry_is_the_working_folder(tmp_path, monkeypatch):
    m = module_in(tmp_path)
    monkeypatch.setattr(sys, "path", [""] + [p for p in sys.path if p])
    monkeypatch.chdir(tmp_path)
    assert check_worker_import(m) == tmp_path.resolve()
    monkeypatch.chdir("/")
    with pytest.raises(ImportError):
        check_worker_import(m)


def test_a_folder_off_sys_path_says_how_to_add_it(tmp_path, monkeypatch):
    folder = tmp_path / "노트북"
    folder.mkdir()
    m = module_in(folder, "lesson_tasks")
    monkeypatch.chdir("/")
    with pytest.raises(ImportError) as info:
        check_worker_import(m)
    msg = str(info.value)
    assert msg.startswith(f"lesson_tasks was loaded from {folder.resolve()}, which is not on sys.path")
    assert f"sys.path.insert(0, {str(folder.resolve())!r})" in msg


def test_code_without_a_file_cannot_go_to_workers(monkeypatch):
    m = types.ModuleType("cell")
    m.__file__ = None
    with pytest.raises(ImportError, match=r"^'cell' has no file: worker processes import"):
        check_worker_import(m)
    with pytest.raises(ImportError, match="has no file"):
        check_worker_import("not a module")
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    with pytest.raises(ImportError) as info:
        check_worker_import(m)
    assert "'cell'" in str(info.value) and any("\uac00" <= ch <= "\ud7a3" for ch in str(info.value))


# --------------------------------------------------------------------------- main_object

@pytest.fixture
def cell(monkeypatch):
    """A notebook cell's namespace: functions and classes whose module is __main__."""
    main = types.ModuleType("__main__")
    exec("def feature(s):\n    return s\nclass Box:\n    pass\n", main.__dict__)
    monkeypatch.setitem(sys.modules, "__main__", main)
    return main


def test_main_object_looks_inside_containers(cell):
    assert main_object([1, {"f": (cell.feature,)}]) == "feature"
    assert main_object({"kind": cell.Box}) == "Box"
    assert main_object([abs, len, "text", 3.5]) is None
    assert main_object(threading.Lock()) is None                 # cannot be pickled at all


# --------------------------------------------------------------------------- CheckedPool

def test_a_spawn_pool_refuses_cell_code_before_sending_it(cell, monkeypatch):
    # the async forms only: were the task sent, a spawn worker would die on it and a blocking call wait for ever
    pool = CheckedPool(1, context=mp.get_context("spawn"))
    try:
        calls = (lambda: pool.map_async(cell.feature, [1]), lambda: pool.apply_async(cell.feature, (1,)),
                 lambda: pool.imap_unordered(cell.feature, [1]), lambda: pool.starmap_async(cell.feature, [(1,)]))
        for call in calls:
            with pytest.raises(WorkerImportError) as info:
                call()
            msg = str(info.value)
            assert isinstance(info.value, ImportError) and msg.startswith("feature is defined in a notebook cell")
            assert "(spawn start: fresh interpreters)" in msg and "Nothing was sent; the pool still works." in msg
            assert msg.endswith("Define it in a .py file beside the notebook, import it from there and pass that")
        monkeypatch.setenv("OPTKIT_LANG", "ko")
        with pytest.raises(WorkerImportError) as info:
            pool.map_async(cell.feature, [1])
        assert "feature" in str(info.value) and "spawn" in str(info.value)
        assert any("\uac00" <= ch <= "\ud7a3" for ch in str(info.value))
        monkeypatch.delenv("OPTKIT_LANG")
        assert pool.map(abs, [-1, -2]) == [1, 2]                 # the pool still works
        assert pool.running
    finally:
        assert stop_pool(pool) == "closed"
    assert not pool.running                    # what 07's exercise cells test before they reopen it
    with pytest.raises(PoolClosedError, match=r"has been closed .*: start a new pool$") as info:
        pool.map(abs, [1])
    assert isinstance(info.value, ValueError)


def test_the_pools_own_words_replace_the_defaults(cell):
    pool = CheckedPool(1, context=mp.get_context("spawn"), home="Put it in tasks.py.",
                       restart="run the cell that makes the pool")
    try:
        with pytest.raises(WorkerImportError, match=r"Nothing was sent; the pool still works\. Put it in tasks\.py\.$"):
            pool.apply_async(cell.feature, (1,))                 # async: a regression cannot hang here
    finally:
        stop_pool(pool)
    with pytest.raises(PoolClosedError, match="run the cell that makes the pool$"):
        pool.apply(abs, (1,))


def test_a_fork_pool_runs_cell_code(cell):
    """Forked workers inherit the kernel's __main__: nothing to refuse."""
    with CheckedPool(2, context=mp.get_context("fork")) as pool:
        assert pool.map_async(cell.feature, [1, 2, 3], chunksize=1).get(timeout=30) == [1, 2, 3]
        assert pool.apply_async(cell.feature, (4,)).get(timeout=30) == 4
        pool.close()
        pool.join()


# --------------------------------------------------------------------------- stop_pool

def test_stop_pool_closes_an_idle_pool_and_terminates_a_stuck_one():
    idle = mp.get_context("fork").Pool(1)
    assert idle.map(abs, [-3]) == [3]
    assert stop_pool(idle, timeout_s=10) == "closed"
    before = set(mp.active_children())
    stuck = mp.get_context("fork").Pool(1)
    workers = set(mp.active_children()) - before
    assert workers
    stuck.apply_async(time.sleep, (60,))                          # never finishes in time
    t0 = time.perf_counter()
    assert stop_pool(stuck, timeout_s=0.3) == "terminated"
    assert time.perf_counter() - t0 < 20                           # not the task's 60 s
    assert not [p for p in workers if p.is_alive()]               # the worker was stopped
    stuck.join()
