"""How much Python an answer runs: bytecode instructions counted while it runs, in every thread,
for rules such as "no Python loop over this axis" (the count grows with the axis only where
Python runs once per entry)."""
from __future__ import annotations

import sys
import threading
import time

__all__ = ["python_work", "python_work_per_entry", "PythonWork"]


class PythonWork(int):
    """The instruction count (an ``int``), with ``other_thread_cpu_s``: CPU seconds that Python
    threads which ran already before the call (and so could not be traced, before Python 3.12)
    spent during it (a waiting thread spends none)."""
    other_thread_cpu_s: float = 0.0


def _thread_clocks(skip) -> dict:
    """{thread id: CPU clock} of every other live Python thread, where the platform can read a
    thread's CPU clock (empty elsewhere)."""
    clocks = {}
    getclock = getattr(time, "pthread_getcpuclockid", None)
    if getclock is None:
        return clocks
    for t in threading.enumerate():
        if t.ident is None or t.ident == skip:
            continue
        try:
            clocks[t.ident] = time.clock_gettime(getclock(t.ident))
        except (OSError, ValueError, OverflowError):
            pass
    return clocks


def python_work(fn, args) -> int:
    """How many Python bytecode instructions run while ``fn(*args)`` runs, in ``fn`` and in every
    Python function it calls (a callback from C, np.vectorize's, counts too), in this thread
    and in every other one: threads started during the call are traced too, and on Python
    3.12+ the threads that ran already as well; before 3.12 those cannot be traced, and the
    CPU time they spend during the call comes back as ``.other_thread_cpu_s``. Compiled code
    (C, NumPy's loops, Numba) counts nothing: the count grows with the size of an input only
    where Python code runs once per element of it."""
    count, done = [0], [False]
    lock = threading.Lock()

    def local(frame, event, arg):
        if done[0]:                  # the call is over: a frame that outlives it stops tracing
            frame.f_trace_opcodes = False
            frame.f_trace = None
            return None
        if event == "opcode":
            with lock:
                count[0] += 1
        return local

    def start(frame, event, arg):
        if done[0]:                  # a thread started during the call that outlives it
            if not all_threads and sys.gettrace() is start:
                sys.settrace(old_threads)              # what threading would have given it
            return None
        frame.f_trace_opcodes = True
        return local

    old, old_threads = sys.gettrace(), threading.gettrace()
    all_threads = getattr(threading, "settrace_all_threads", None)       # Python 3.12+
    me = threading.get_ident()
    before = {} if all_threads else _thread_clocks(me)
    if all_threads:
        all_threads(start)
    else:
        threading.settrace(start)
        sys.settrace(start)
    try:
        fn(*args)
    finally:
        done[0] = True
        if all_threads:
            all_threads(old)
        else:
            sys.settrace(old)
        threading.settrace(old_threads)
    after = _thread_clocks(me) if before else {}
    work = PythonWork(count[0])
    work.other_thread_cpu_s = sum(max(0.0, after[i] - before[i]) for i in before if i in after)
    return work


def python_work_per_entry(fn, stretch, args, extra=200) -> float:
    """Python instructions ``fn`` runs per extra entry of an axis: ``stretch(args, n)`` gives the
    arguments with ``n`` more entries along that axis that change nothing else (the same
    answer); the result is (work on ``stretch(args, extra)`` − work on ``stretch(args, 0)``)
    / ``extra``. About 0 for whole-array work along the axis; 1 or more when Python code runs
    once per entry (a loop, a comprehension, np.vectorize, np.apply_along_axis). Loops over
    other axes do not count: the stretch leaves them as they were."""
    extra = max(1, int(extra))
    return (python_work(fn, stretch(args, extra)) - python_work(fn, stretch(args, 0))) / extra
