"""Running a learner's function so that it can never hang or crash the notebook: a wall-clock
budget, threads given up on counted, the budget fed only by the learner's own calls."""
from __future__ import annotations

import ctypes
import threading
import time
import traceback


__all__ = ["BudgetExceeded", "run_with_budget", "stop", "abandoned_alive", "run_until", "Fed",
           "short_tb", "CheckTimeout"]


_ABANDONED: list = []        # worker threads given up on that may still run (see stop)


class BudgetExceeded(BaseException):
    """Injected into a learner's thread when its time budget runs out."""


def run_with_budget(fn, args, kwargs, budget_s):
    """Run fn in a daemon thread. Returns ("ok", value) | ("raised", exc) | ("timeout", None)
    | ("stuck", None) (it could not be stopped)."""
    return run_until(lambda: fn(*args, **kwargs), (), lambda: False, max(0.0, budget_s))


def stop(th) -> bool:
    """Inject BudgetExceeded into thread ``th``; True when it ended within about a second."""
    for _ in range(10):     # repeat: a bare `except:` in the learner's loop may swallow one
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(th.ident),
                                                   ctypes.py_object(BudgetExceeded))
        th.join(0.1)
        if not th.is_alive():
            return True
    _ABANDONED.append(th)
    return False


def abandoned_alive() -> int:
    """How many given-up worker threads still run. While one does, the exception injected
    into it is still pending, and on CPython 3.11 that makes profiled threads crawl: the
    dynamic watch for forbidden calls (sys.setprofile) is then left out."""
    _ABANDONED[:] = [t for t in _ABANDONED if t.is_alive()]
    return len(_ABANDONED)


def run_until(fn, args, over, hard_s):
    """Run fn(*args) in a daemon thread; stop it when ``over()`` says its budget is spent (polled)
    or after ``hard_s`` seconds in all. Returns what :func:`run_with_budget` describes."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BudgetExceeded:
            box["timeout"] = True
        except BaseException as exc:   # noqa: BLE001 - reported as a verdict
            box["exc"] = exc

    th = threading.Thread(target=target, name="optkit-check", daemon=True)
    th.start()
    t_end = time.perf_counter() + hard_s
    try:
        while th.is_alive() and not over() and time.perf_counter() < t_end:
            th.join(0.02)
    except KeyboardInterrupt:
        stop(th)
        raise
    if th.is_alive():
        return ("timeout" if stop(th) else "stuck"), None
    if box.get("timeout"):
        return "timeout", None
    if "exc" in box:
        return "raised", box["exc"]
    return "ok", box.get("value")


class Fed:
    """A variant as the timing calls it: on its own private copy of the inputs, a fresh view
    of each array argument per call (a cache keyed by the argument object misses), keeping
    its last output and the time its calls took."""

    def __init__(self, f, args):
        import numpy as np

        self.f, self.args = f, tuple(args)
        self.views = [isinstance(a, np.ndarray) for a in self.args]
        self.calls, self.spent, self.started = 0, 0.0, None
        self.last, self.same_object = None, False

    def __call__(self, *_ignored):
        args = tuple(a.view() if v else a for a, v in zip(self.args, self.views))
        self.started = t0 = time.perf_counter()
        try:
            out = self.f(*args)
        finally:
            self.spent += time.perf_counter() - t0
            self.started = None
        if self.calls and out is self.last and type(out).__name__ == "ndarray" \
                and not any(out is a for a in self.args):
            self.same_object = True
        self.calls += 1
        self.last = out
        return out

    def used(self) -> float:
        t0 = self.started
        return self.spent + (time.perf_counter() - t0 if t0 is not None else 0.0)


def short_tb(exc, limit=3) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    body = [ln for ln in lines if "optkit/check.py" not in ln]
    return "".join(body[-(limit * 2 + 1):]).rstrip()


class CheckTimeout(BaseException):
    """A comparison of the learner's result ran out of time (raised to Exercise.check)."""

    def __init__(self, state, where):
        super().__init__(where)
        self.state, self.where = state, where
