"""optkit.context: what is recorded beside every measurement. context() on the real machine
(thread env, cv2/numba threads, JSON) and the "per core" part of context_line are tested in
tests/test_bench.py, the Korean footer in tests/test_i18n_messages.py; here: the rest."""
from __future__ import annotations

import json
import re
import sys

import pytest

from optkit import context as C
from optkit.context import context, context_line


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.delenv("OPTKIT_LANG", raising=False)


FULL = {"cpu_model": "Test CPU 9000", "usable_cpus": 4, "threads_per_core": 2, "cpu_governor": "performance",
        "thread_env": {"OMP_NUM_THREADS": "2", "OMP_PROC_BIND": "close"}, "python": "3.12.1",
        "versions": {"numpy": "2.1.0"}}


def test_context_line_in_full():
    assert context_line(FULL) == ("Measured on: Test CPU 9000; 4 usable CPUs (2 threads per core); governor "
                                  "performance; OMP_NUM_THREADS=2, OMP_PROC_BIND=close; Python 3.12.1, NumPy 2.1.0")


def test_context_line_of_nothing_is_empty():
    assert context_line({}) == "" and context_line(None) == ""


def test_context_line_leaves_out_what_is_unknown():
    line = context_line({"cpu_model": "인텔 CPU", "threads_per_core": "unknown: no topology",
                         "cpu_governor": "unknown: no cpufreq", "thread_env": {}, "versions": {"numpy": None}})
    assert line == "Measured on: 인텔 CPU; ? usable CPUs; Python ?, NumPy ?"
    assert "governor" not in line and "per core" not in line


def test_context_line_one_thread_per_core_is_singular():
    line = context_line(dict(FULL, threads_per_core=1, cpu_governor=""))
    assert "4 usable CPUs (1 thread per core)" in line and "governor" not in line


def test_a_failing_topology_reader_is_recorded_not_raised(monkeypatch):
    def boom(*a, **k):
        raise PermissionError("sysfs says no")

    monkeypatch.setattr(C, "smt_topology", boom)
    ctx = context()
    assert ctx["threads_per_core"] == "unknown: sysfs says no"
    assert ctx["physical_cores"] == ctx["cpu_governor"] == "unknown: sysfs says no"
    assert "per core" not in context_line(ctx) and "governor" not in context_line(ctx)
    json.dumps(ctx)


def test_governors_are_named_sorted_and_topology_copied(monkeypatch):
    monkeypatch.setattr(C, "smt_topology", lambda: {"threads_per_core": 2, "cores": 3, "smt_active": True})
    monkeypatch.setattr(C, "cpu_governor", lambda: {"governors": {"schedutil": [1], "performance": [0]},
                                                    "driver": "intel_pstate"})
    ctx = context()
    assert ctx["cpu_governor"] == "performance, schedutil" and ctx["cpufreq_driver"] == "intel_pstate"
    assert (ctx["threads_per_core"], ctx["physical_cores"], ctx["smt_active"]) == (2, 3, True)
    assert "governor performance, schedutil" in context_line(ctx)
    monkeypatch.setattr(C, "cpu_governor", lambda: {"governors": "unknown: no cpufreq", "driver": None})
    assert context()["cpu_governor"] == "unknown: no cpufreq"


def test_only_set_thread_variables_are_recorded(monkeypatch):
    for k in C.THREAD_ENV_VARS + C.THREAD_PLACEMENT_VARS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "")
    monkeypatch.setenv("OMP_PROC_BIND", "spread")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    monkeypatch.setenv("UNRELATED_NUM_THREADS", "9")
    assert context()["thread_env"] == {"OPENBLAS_NUM_THREADS": "3", "OMP_PROC_BIND": "spread"}


def test_numba_not_imported_reports_the_count_it_would_start_with(monkeypatch):
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    ctx = context()
    assert ctx["numba_imported"] is False and ctx["threads"]["numba"] == 3
    assert "numba" not in sys.modules                              # asking did not import it
    monkeypatch.setenv("NUMBA_NUM_THREADS", "not a number")
    ctx = context()                                                # never raises
    assert "numba" not in ctx["threads"] or isinstance(ctx["threads"]["numba"], int)


def test_an_imported_library_is_asked_its_threads(monkeypatch):
    class FakeTorch:
        @staticmethod
        def get_num_threads():
            return 7

    class Broken:
        @staticmethod
        def get_num_threads():
            raise RuntimeError("not initialised")

    monkeypatch.setitem(sys.modules, "torch", FakeTorch)
    monkeypatch.setitem(sys.modules, "numba", Broken)
    ctx = context()
    assert ctx["threads"]["torch"] == 7
    assert ctx["numba_imported"] is True and isinstance(ctx["threads"].get("numba", 0), int)


def test_each_call_is_a_fresh_record():
    a = context()
    a["versions"]["numpy"] = "changed by a caller"
    a["cpu_model"] = "changed too"
    b = context()
    assert b["versions"]["numpy"] != "changed by a caller" and b["cpu_model"] != "changed too"
    assert b is not a and b["versions"] is not a["versions"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", b["timestamp"])
    assert b["timer"] == "time.perf_counter" and b["harness_overhead_per_call_s"] >= 0
    assert set(b["versions"]) == {"numpy", "opencv", "numba", "line_profiler", "torch"}
