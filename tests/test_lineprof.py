"""optkit.lineprof: per-line data through line_profiler, notebook-cell functions, chart."""
import functools
import linecache
import textwrap
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from optkit import lineprof  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def dominated_by_sleep(n):
    total = 0
    for i in range(n):
        total += i
    time.sleep(0.03)
    return total


def dominated_by_loop(n):
    data = list(range(n))
    acc = 0
    for v in data:
        acc += v * v % 7
    return acc


def test_shares_sum_to_100_and_dominant_line_found():
    prof = lineprof.profile(dominated_by_sleep, 100)
    assert sum(ln.share for ln in prof.lines) == pytest.approx(100, abs=1)
    hot = prof.hottest
    assert "time.sleep(0.03)" in hot.source
    assert hot.share > 70
    assert hot.hits == 1
    assert hot.time_s >= 0.025
    assert prof.result == sum(range(100))


def test_hits_and_loop_line():
    prof = lineprof.profile(dominated_by_loop, 20000)
    by_src = {ln.source.strip(): ln for ln in prof.lines}
    assert by_src["acc += v * v % 7"].hits == 20000
    assert by_src["data = list(range(n))"].hits == 1
    assert by_src["def dominated_by_loop(n):"].hits == 0          # source lines kept
    top2 = {ln.source.strip() for ln in prof.top(2)}
    for _ in range(2):        # a preemption inside the short list() line could reorder them
        if top2 == {"acc += v * v % 7", "for v in data:"}:
            break
        prof = lineprof.profile(dominated_by_loop, 20000)
        top2 = {ln.source.strip() for ln in prof.top(2)}
    assert top2 == {"acc += v * v % 7", "for v in data:"}
    assert prof.top(2)[0].time_s >= prof.top(2)[1].time_s
    assert sum(ln.share for ln in prof.lines) == pytest.approx(100, abs=1)


def test_overhead_and_times():
    prof = lineprof.profile(dominated_by_loop, 20000)
    assert prof.plain_s > 0 and prof.profiled_s > 0
    assert 0.5 < prof.overhead < 200         # the profiler slows a tight loop down
    assert prof.total_s == pytest.approx(sum(ln.time_s for ln in prof.lines))


def test_times_are_medians_of_the_interleaved_runs():
    import statistics
    prof = lineprof.profile(dominated_by_loop, 20000)     # fast: three plain and three profiled runs
    assert len(prof.plain_runs_s) == len(prof.profiled_runs_s) == 3
    assert prof.plain_s == statistics.median(prof.plain_runs_s)
    assert prof.profiled_s == statistics.median(prof.profiled_runs_s)
    assert 0 < prof.total_s == pytest.approx(sum(ln.time_s for ln in prof.lines))
    # every line keeps its time in each profiled run; its time_s is their median
    for ln in prof.lines:
        assert len(ln.runs_s) == 3
        assert ln.time_s == statistics.median(ln.runs_s)
    loop = next(ln for ln in prof.lines if ln.source.strip() == "acc += v * v % 7")
    assert all(t > 0 for t in loop.runs_s)


def _exec_cell(src, filename, register=True):
    """Define a function the way IPython does for a notebook cell."""
    if register:
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = {"time": time}
    exec(compile(src, filename, "exec"), ns)
    return ns


CELL = textwrap.dedent("""\
    def from_cell(n):
        out = []
        for i in range(n):
            out.append(i * 2)
        time.sleep(0.02)
        return out
    """)


def test_function_defined_in_a_notebook_cell():
    ns = _exec_cell(CELL, "/tmp/ipykernel_1234/2611937785.py")
    prof = lineprof.profile(ns["from_cell"], 50)
    assert [ln.lineno for ln in prof.lines] == [1, 2, 3, 4, 5, 6]
    assert prof.hottest.source.strip() == "time.sleep(0.02)"
    assert prof.lines[3].hits == 50 and prof.lines[3].source.strip() == "out.append(i * 2)"
    assert sum(ln.share for ln in prof.lines) == pytest.approx(100, abs=1)
    assert "time.sleep(0.02)" in prof.table()


def test_function_without_any_source_still_profiles():
    ns = _exec_cell(CELL, "<ipython-input-7-nosource>", register=False)
    prof = lineprof.profile(ns["from_cell"], 10)
    assert prof.hottest.lineno == 5 and prof.hottest.source == ""
    assert sum(ln.share for ln in prof.lines) == pytest.approx(100, abs=1)


def test_wrapped_function_profiles_the_inner_code():
    def deco(f):
        @functools.wraps(f)
        def wrapper(*a, **k):
            return f(*a, **k)
        return wrapper

    prof = lineprof.profile(deco(dominated_by_sleep), 10)
    assert "time.sleep" in prof.hottest.source
    assert prof.name.endswith("dominated_by_sleep")


def test_table_is_the_classic_layout():
    prof = lineprof.profile(dominated_by_sleep, 10)
    t = prof.table()
    for part in ("Timer unit: 1e-06 s", "Total time:", "Function: dominated_by_sleep at line",
                 "Line #", "Hits", "Time", "Per Hit", "% Time", "Line Contents"):
        assert part in t
    assert "time.sleep(0.03)" in t
    assert "<table>" in prof._repr_html_()
    assert "dominated_by_sleep" in repr(prof)


def test_plot_top_lines_with_hottest_labelled():
    prof = lineprof.profile(dominated_by_sleep, 1000)
    fig = prof.plot(top=2)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith(f"line {prof.hottest.lineno}: time.sleep")
    assert len(ax.patches) in (2, 3)            # top 2 (+ "all other lines")
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"{prof.hottest.share:.0f}% of the time"
    assert ax.patches[0].get_width() == pytest.approx(prof.hottest.share)
    # a share axis stops at 100 %, and every label (inside a long bar) stays within it
    assert ax.get_xlim() == (0, 100)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = ax.get_window_extent(r)
    for t in ax.texts:
        e = t.get_window_extent(r)
        assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1, t.get_text()


def test_nested_functions_and_methods():
    def outer():
        def inner(n):
            return sum(i for i in range(n))
        return inner

    class Box:
        def area(self, n):
            total = 0
            for i in range(n):
                total += i
            return total

    p1 = lineprof.profile(outer(), 100)
    assert sum(ln.share for ln in p1.lines) == pytest.approx(100, abs=1)
    p2 = lineprof.profile(Box().area, 500)
    assert {ln.source.strip(): ln.hits for ln in p2.lines}["total += i"] == 500
    assert p2.result == sum(range(500))


def test_numba_function_is_profiled_through_its_python_version():
    numba = pytest.importorskip("numba")

    @numba.njit
    def jitted(n):
        acc = 0
        for i in range(n):
            acc += i
        return acc

    prof = lineprof.profile(jitted, 1000)
    assert prof.result == sum(range(1000))
    assert max(ln.hits for ln in prof.lines) >= 1000


def test_bad_input():
    with pytest.raises(TypeError, match="Python functions"):
        lineprof.profile(len, [1, 2])


def test_warm_up_call_is_not_one_of_the_timed_runs():
    # the first call pays a one-off cost (an import, a cache fill): it must not be timed
    state = {"calls": 0}

    def cold_first(n):
        state["calls"] += 1
        if state["calls"] == 1:
            time.sleep(0.3)
        return sum(range(n))

    prof = lineprof.profile(cold_first, 1000)
    assert prof.result == sum(range(1000))
    assert state["calls"] == 1 + 3 + 3          # warm-up, then three plain and three profiled
    assert prof.plain_s < 0.1                   # the 0.3 s warm-up is not a plain time
