"""How much Python an answer runs: bytecode instructions counted while it runs, in every thread,
for rules such as "no Python loop over this axis" (the count grows with the axis only where
Python runs once per entry).

Not seen: work done in another process (a ``multiprocessing`` child fed through a pipe or a
queue, a process pool): its instructions run in another interpreter. Rules that use this count
say so in their task text."""
from __future__ import annotations

import sys
import threading
import time

__all__ = ["python_work", "python_work_per_entry", "PythonWork"]


class PythonWork(int):
    """The instruction count (an ``int``), with ``other_thread_cpu_s``: CPU seconds that Python
    threads which ran already before the call spent during it (a waiting thread spends none).
    Such a thread cannot be counted in full: before Python 3.12 not at all, and from 3.12 only
    in the functions it enters during the call, not in the one it was already running (a worker
    that loops inline between two ``queue.get()``), so its CPU time is measured on every version."""
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
    3.12+ the Python functions that threads which ran already enter during the call as well.
    What those threads run in the function they were already in is not counted (on any
    version): the CPU time they spend during the call comes back as ``.other_thread_cpu_s``.
    Compiled code (C, NumPy's loops, Numba) counts nothing: the count grows with the size of an
    input only where Python code runs once per element of it. Work in another process is not
    seen at all.

    The tracers are undone when the call returns; a thread started during the call that
    outlives it drops its tracer at its next Python event (a thread that makes no more Python
    calls keeps an idle one until then: it counts nothing). If ``guard`` gives up on the call
    (stuck in C), its give-up path switches the counting off and restores the tracers for new
    threads (an undo hook registered with :func:`optkit.guard.undo_on_give_up`); the stuck
    thread's own idle tracer goes away when it returns to Python."""
    from optkit.guard import drop_undo, undo_on_give_up

    count, done, restored = [0], [False], [False]
    lock = threading.Lock()
    me = threading.get_ident()

    def own_old():                   # what this thread's tracer was before the call
        return old if threading.get_ident() == me else old_threads

    def local(frame, event, arg):
        if done[0]:                  # the call is over: a frame that outlives it stops tracing
            frame.f_trace_opcodes = False
            frame.f_trace = None
            if sys.gettrace() is start:
                sys.settrace(own_old())
            return None
        if event == "opcode":
            with lock:
                count[0] += 1
        return local

    def start(frame, event, arg):
        if done[0]:                  # a thread started during the call that outlives it
            if sys.gettrace() is start:
                sys.settrace(own_old())                # what threading would have given it
            return None
        frame.f_trace_opcodes = True
        return local

    def restore(force):
        """Switch the counting off and put back the tracers for new threads (every thread on
        3.12+), once: from the call's own ``finally`` (``force``) or from guard's give-up path
        (only while ours is still the tracer for new threads)."""
        done[0] = True
        with lock:
            if restored[0]:
                return False
            restored[0] = True
        if force or threading.gettrace() is start:
            if all_threads:
                all_threads(old)
            else:
                threading.settrace(old_threads)
        return True

    def given_up():
        restore(False)
        from optkit.i18n import tr
        return tr(" (the rule's count of Python instructions was switched off; the stopped call's "
                  "own thread keeps an idle tracer until the call returns from C)")

    old, old_threads = sys.gettrace(), threading.gettrace()
    all_threads = getattr(threading, "settrace_all_threads", None)       # Python 3.12+
    before = _thread_clocks(me)
    opcodes_first = sys.version_info[:2] == (3, 12)
    if opcodes_first:
        # 3.12 only: 'opcode' events are emitted only if some frame's f_trace_opcodes was set
        # before settrace is called (sys.settrace's docs; changed back in 3.13). The flag this
        # sets is the interpreter's and stays; this frame's own attribute is put back at once.
        here = sys._getframe()
        was = here.f_trace_opcodes
        here.f_trace_opcodes = True
    token = undo_on_give_up(given_up)
    try:
        if all_threads:
            all_threads(start)
        else:
            threading.settrace(start)
            sys.settrace(start)
    finally:
        if opcodes_first:
            here.f_trace_opcodes = was
    try:
        fn(*args)
    finally:
        done[0] = True                  # here, in this untraced frame: restore's own lines count nothing
        if restore(True):
            if not all_threads:
                sys.settrace(old)
        elif sys.gettrace() is start:   # given up on earlier: leave a later caller's tracers alone
            sys.settrace(old)
        drop_undo(token)
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
