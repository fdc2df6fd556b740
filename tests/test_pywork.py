# Loop growth, NumPy's constant count, sys.settrace restored, per-entry comprehension/np.vectorize and a
# thread that outlives the call are in tests/test_rules_loops.py (with the rules built on python_work).
"""optkit.pywork: the count as an int with the CPU of threads it could not trace, work in
threads started during the call and in callbacks from C, an answer that raises, threading's own
trace function kept, and python_work_per_entry's arguments. Threads are always joined."""
import sys
import threading
import time

import pytest

from optkit.pywork import PythonWork, python_work, python_work_per_entry

ALL_THREADS = hasattr(threading, "settrace_all_threads")        # Python 3.12+


def loop(n):
    s = 0
    for i in range(n):
        s += i
    return s


@pytest.fixture(autouse=True)
def no_tracer_left():
    yield
    left = (sys.gettrace(), threading.gettrace())
    sys.settrace(None)                          # so that one failure does not spread to the next tests
    threading.settrace(None)
    assert left == (None, None), f"tracing left behind: {left}"


def test_the_count_is_an_int_with_the_cpu_of_other_threads():
    w = python_work(loop, (50,))
    assert isinstance(w, PythonWork) and isinstance(w, int) and w > 50
    assert w.other_thread_cpu_s == 0                           # no other thread ran
    assert python_work(len, ([1, 2],)) == 0                     # no Python frame at all


def test_a_thread_started_during_the_call_is_counted():
    def in_a_thread(n):
        t = threading.Thread(target=loop, args=(n,))
        t.start()
        t.join()

    small, big = python_work(in_a_thread, (10,)), python_work(in_a_thread, (1010,))
    assert big - small >= 1000


def test_a_python_callback_from_c_is_counted():
    data = list(range(2000, 0, -1))
    with_key = python_work(lambda d: sorted(d, key=lambda v: -v), (data,))
    plain = python_work(sorted, (data,))
    assert plain == 0 and with_key >= 2000


def test_an_answer_that_raises_leaves_no_tracer_and_the_error_goes_through():
    def broken(n):
        loop(n)
        raise KeyError("from the answer")

    with pytest.raises(KeyError, match="from the answer"):
        python_work(broken, (10,))
    assert sys.gettrace() is None and threading.gettrace() is None
    assert python_work(loop, (10,)) > 10                        # and the next count still works


def test_threadings_trace_function_is_kept_and_given_to_late_threads():
    """A trace function that threading hands to new threads (a debugger's, say) is back after
    the call, and a thread started during the call that outlives it gets that one back."""
    seen, entered, go = {}, threading.Event(), threading.Event()
    calls = []

    def theirs(frame, event, arg):
        calls.append(event)
        return None

    def worker():
        loop(5)
        entered.set()
        go.wait(5)
        loop(5)                                                 # new frames after the call
        seen["trace"] = sys.gettrace()

    threads = []

    def answer():
        t = threading.Thread(target=worker)
        t.start()
        threads.append(t)
        assert entered.wait(5)

    threading.settrace(theirs)
    try:
        python_work(answer, ())
        assert threading.gettrace() is theirs and sys.gettrace() is None
    finally:
        go.set()
        for t in threads:
            t.join(5)
        threading.settrace(None)
    assert not threads[0].is_alive()
    if not ALL_THREADS:
        assert seen["trace"] is theirs


def _spinner(stop):
    while not stop.is_set():
        sum(range(200))


def test_a_thread_that_ran_before_the_call_is_traced_or_its_cpu_reported():
    """Before 3.12 a thread that runs already cannot be traced: the CPU it spent during the
    call comes back as other_thread_cpu_s; on 3.12+ its instructions are counted."""
    stop = threading.Event()
    t = threading.Thread(target=_spinner, args=(stop,))
    t.start()
    try:
        time.sleep(0.05)
        w = python_work(time.sleep, (0.3,))
    finally:
        stop.set()
        t.join(5)
    if ALL_THREADS:
        assert w > 1000
    else:
        assert w < 1000 and w.other_thread_cpu_s > 0.02, (int(w), w.other_thread_cpu_s)


def test_a_waiting_thread_spends_no_cpu():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, args=(10,))
    t.start()
    try:
        w = python_work(loop, (20_000,))
    finally:
        stop.set()
        t.join(5)
    assert w > 20_000 and w.other_thread_cpu_s < 0.05


def test_per_entry_divides_by_the_extra_entries_and_never_by_zero():
    stretch = lambda args, n: (10 + n,)                  # noqa: E731 - loop over n entries
    per = python_work_per_entry(loop, stretch, None, extra=100)
    assert 1 <= per < 50
    for extra in (0, -5, 0.4):                           # at least one extra entry
        assert python_work_per_entry(loop, stretch, None, extra=extra) >= 1
    assert python_work_per_entry(lambda n: n * 2, stretch, None, extra=100) == 0
    sizes = []
    python_work_per_entry(lambda n: sizes.append(n), stretch, None, extra=7.9)
    assert sizes == [17, 10]                             # int(extra) more, then none
