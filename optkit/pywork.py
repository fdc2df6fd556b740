"""How much Python an answer runs: bytecode instructions counted while it runs, for rules
such as "no Python loop over this axis" (the count grows with the axis only where Python runs
once per entry)."""
from __future__ import annotations

import sys

__all__ = ["python_work", "python_work_per_entry"]


def python_work(fn, args) -> int:
    """How many Python bytecode instructions run in this thread while ``fn(*args)`` runs, in
    ``fn`` and in every Python function it calls (a callback from C, np.vectorize's, counts
    too). Compiled code (C, NumPy's loops, Numba) counts nothing: the count grows with the
    size of an input only where Python code runs once per element of it."""
    count = [0]

    def local(frame, event, arg):
        if event == "opcode":
            count[0] += 1
        return local

    def start(frame, event, arg):
        frame.f_trace_opcodes = True
        return local

    old = sys.gettrace()
    sys.settrace(start)
    try:
        fn(*args)
    finally:
        sys.settrace(old)
    return count[0]


def python_work_per_entry(fn, stretch, args, extra=200) -> float:
    """Python instructions ``fn`` runs per extra entry of an axis: ``stretch(args, n)`` gives the
    arguments with ``n`` more entries along that axis that change nothing else (the same
    answer); the result is (work on ``stretch(args, extra)`` − work on ``stretch(args, 0)``)
    / ``extra``. About 0 for whole-array work along the axis; 1 or more when Python code runs
    once per entry (a loop, a comprehension, np.vectorize, np.apply_along_axis). Loops over
    other axes do not count: the stretch leaves them as they were."""
    extra = max(1, int(extra))
    return (python_work(fn, stretch(args, extra)) - python_work(fn, stretch(args, 0))) / extra
