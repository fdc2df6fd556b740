"""Running a learner's function so that it can never hang or crash the notebook: a wall-clock
budget, threads given up on counted, the budget fed only by the learner's own calls; and
tripwires on the functions a solution must not call, seen from every thread.

Time budget: the learner's calls run in a worker thread; ``Exercise.time_budget_s`` is the total
those calls may take in the check's steps 1-3 (the reference's and baseline's time does not count). When it runs out,
an exception is injected into that thread (``PyThreadState_SetAsyncExc``), which stops pure
Python code such as ``while True: pass``. Code stuck inside one long C call (a huge NumPy
operation, ``time.sleep``, a C extension loop) cannot be interrupted that way: the thread is
then abandoned (a daemon thread that keeps running in the background until the call returns;
the verdict says so) and the verdict is "timeout". Code that never releases the GIL (a
Numba/Cython loop compiled without ``nogil`` that never ends) blocks the whole kernel: only
"Restart kernel" helps there. KeyboardInterrupt (the notebook's stop button) is not swallowed.
A Numba dispatcher is compiled for each input's types before its budgeted call
(:func:`compile_for`, under its own limit): its compile does not eat the budget, its run does.
"""
from __future__ import annotations

import ctypes
import functools
import threading
from time import perf_counter as _now   # bound at import: a learner patching time.perf_counter changes nothing
import traceback


__all__ = ["BudgetExceeded", "run_with_budget", "stop", "abandoned_alive", "run_until", "Fed",
           "undo_on_give_up", "drop_undo",
           "short_tb", "CheckTimeout", "tripwires",
           "plain_function", "clones_in_globals", "forbidden_trips", "armed_while", "compile_for",
           "COMPILE_LIMIT_S", "compiler_busy", "frozen_helpers"]


_ABANDONED: list = []        # worker threads given up on that may still run (see stop)
_UNDO: dict = {}             # {thread id: [hooks]} run when that thread is given up on
COMPILE_LIMIT_S = 180.0      # the most a Numba compile before a learner's call may take


class BudgetExceeded(BaseException):
    """Injected into a learner's thread when its time budget runs out."""


def run_with_budget(fn, args, kwargs, budget_s):
    """Run fn in a daemon thread. Returns ("ok", value) | ("raised", exc) | ("timeout", None)
    | ("stuck", notes) (it could not be stopped; see :func:`run_until`)."""
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


def undo_on_give_up(hook):
    """Register ``hook()`` to run if the thread running this code is given up on (stuck in C, see
    :func:`run_until`): code that changes process-wide state for the length of a call (a tracer
    for every new thread, say) undoes it there, since its own ``finally`` may run only much later.
    ``hook`` returns a note for the timeout verdict (or None). Returns a token for
    :func:`drop_undo`, which the code calls when it has undone the state itself."""
    token = (threading.get_ident(), hook)
    _UNDO.setdefault(token[0], []).append(hook)
    return token


def drop_undo(token) -> None:
    ident, hook = token
    hooks = _UNDO.get(ident, [])
    if hook in hooks:
        hooks.remove(hook)
    if not hooks:
        _UNDO.pop(ident, None)


def _give_up(th) -> tuple:
    """Run the undo hooks registered by thread ``th`` (given up on); their notes."""
    notes = []
    for hook in reversed(_UNDO.pop(th.ident, [])):
        try:
            note = hook()
        except Exception:       # noqa: BLE001 - an undo that fails must not hide the verdict
            note = None
        if note:
            notes.append(note)
    return tuple(notes)


def abandoned_alive() -> int:
    """How many given-up worker threads still run. While one does, the exception injected
    into it is still pending, and on CPython 3.11 that makes profiled threads crawl: the
    dynamic watch for forbidden calls (sys.setprofile) is then left out."""
    _ABANDONED[:] = [t for t in _ABANDONED if t.is_alive()]
    return len(_ABANDONED)


def run_until(fn, args, over, hard_s, _now=_now):
    """Run fn(*args) in a daemon thread; stop it when ``over()`` says its budget is spent (polled)
    or after ``hard_s`` seconds in all. Returns what :func:`run_with_budget` describes; for
    "stuck", the value is the notes of the undo hooks that ran (:func:`undo_on_give_up`)."""
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
    t_end = _now() + hard_s
    try:
        while th.is_alive() and not over() and _now() < t_end:
            th.join(0.02)
    except KeyboardInterrupt:
        if not stop(th):
            _give_up(th)
        raise
    if th.is_alive():
        if stop(th):
            return "timeout", None
        return "stuck", _give_up(th)
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

    def __call__(self, *_ignored, _now=_now):     # the clock as a default: no name to rebind
        args = tuple(a.view() if v else a for a, v in zip(self.args, self.views))
        self.started = t0 = _now()
        try:
            out = self.f(*args)
        finally:
            self.spent += _now() - t0
            self.started = None
        if self.calls and out is self.last and type(out).__name__ == "ndarray" \
                and not any(out is a for a in self.args):
            self.same_object = True
        self.calls += 1
        self.last = out
        return out

    def used(self, _now=_now) -> float:
        t0 = self.started
        return self.spent + (_now() - t0 if t0 is not None else 0.0)


def short_tb(exc, limit=3) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    body = [ln for ln in lines if "optkit/check.py" not in ln]
    return "".join(body[-(limit * 2 + 1):]).rstrip()


class CheckTimeout(BaseException):
    """A comparison of the learner's result ran out of time (raised to Exercise.check)."""

    def __init__(self, state, where):
        super().__init__(where)
        self.state, self.where = state, where


class _Trip:
    """What one guarded function's tripwire holds: its original body, and whom to tell."""
    __slots__ = ("original", "on_call")

    def __init__(self, original, on_call):
        self.original, self.on_call = original, on_call


def _tripwire(*args, **kwargs):
    """The code a guarded function runs while :class:`tripwires` holds it. It runs with the
    guarded function's globals, so it names nothing: the string constant below is replaced by
    that function's :class:`_Trip`. Report the call, then run the original code. A copy of this
    code (``f.__code__`` read during the window) still runs the original."""
    trip = "optkit-tripwire"
    if trip.on_call is not None:
        trip.on_call()
    return trip.original(*args, **kwargs)


def _compilable_elsewhere(functions) -> set:
    """ids of those functions that a Numba dispatcher compiles from (its ``py_func``): their
    code must never be swapped, a compilation in the window would compile the tripwire."""
    import gc
    import sys

    if "numba" not in sys.modules or not functions:
        return set()
    ids = {id(f) for f in functions}
    found = set()
    for ref in gc.get_referrers(*functions):
        if isinstance(ref, dict) and id(ref.get("py_func")) in ids:
            found.add(id(ref["py_func"]))
    return found


def _is_tripwire(code) -> bool:
    return any(isinstance(c, _Trip) for c in getattr(code, "co_consts", ()))


class tripwires:
    """``with tripwires({function: on_call}):`` every call of those plain Python functions, from
    ANY thread (a thread pool's worker included, which ``sys.setprofile`` does not see), first
    runs ``on_call()``, then the function as before. The functions' code is swapped for the
    duration and restored on every path (exception, KeyboardInterrupt). Functions with a
    closure, or that Numba compiles from, are left alone (:attr:`skipped`)."""

    def __init__(self, calls: dict):
        import types

        plain = [f for f in calls if isinstance(f, types.FunctionType) and not f.__closure__
                 and not _is_tripwire(f.__code__)]
        numba = _compilable_elsewhere(plain)
        self.calls = {f: calls[f] for f in plain if id(f) not in numba}
        self.skipped = [f for f in calls if f not in self.calls]
        self._saved = []

    def __enter__(self):
        import types

        try:
            for f, on_call in self.calls.items():
                code = f.__code__
                original = types.FunctionType(code, f.__globals__, f.__name__, f.__defaults__)
                original.__kwdefaults__ = f.__kwdefaults__
                trip = _Trip(original, on_call)
                consts = list(_tripwire.__code__.co_consts)
                consts[consts.index("optkit-tripwire")] = trip
                wire = _tripwire.__code__.replace(co_consts=tuple(consts), co_name=code.co_name)
                self._saved.append((f, code, trip))
                f.__code__ = wire
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        while self._saved:
            f, code, trip = self._saved.pop()
            f.__code__ = code
            trip.on_call = None          # a copy of the tripwire kept by someone still works
        return False


def plain_function(f):
    """The plain Python function behind f (itself, a partial's or a wrapper's), else None; not
    a Numba dispatcher's ``py_func`` (Numba compiles from that one's code)."""
    import types

    for _ in range(5):
        if isinstance(f, types.FunctionType):
            return f
        f = getattr(f, "__wrapped__", None) or getattr(f, "func", None)
    return None


def clones_in_globals(fn, forbidden, keys, own, cache) -> list:
    """Functions reachable from the learner's fn whose code is a forbidden one or a clone of it:
    in its globals (a helper cell's copy of the reference, say), in dicts, lists, tuples and
    sets held there (two levels), and in the defaults and closure cells of fn and of those
    functions. Not found: copies made while fn runs, copies inside other objects' attributes
    or modules, and work sent to a process pool (a forked or spawned process runs outside
    every tripwire and profiler of this one)."""
    import types

    from .rules import forbidden_name

    target = plain_function(fn) or getattr(fn, "py_func", None)
    found, seen = [], set()

    def visit(obj, depth):
        if id(obj) in seen or depth > 2:
            return
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            if forbidden_name(obj.__code__, forbidden, keys, own, cache) is not None:
                found.append(obj)
            for d in (obj.__defaults__ or ()) + tuple((obj.__kwdefaults__ or {}).values()):
                visit(d, depth + 1)
            for cell in obj.__closure__ or ():
                try:
                    visit(cell.cell_contents, depth + 1)
                except ValueError:          # an empty cell
                    pass
        elif isinstance(obj, dict) and len(obj) <= 1000:
            for v in list(obj.values()):
                visit(v, depth + 1)
        elif isinstance(obj, (list, tuple, set, frozenset)) and len(obj) <= 1000:
            for v in list(obj):
                visit(v, depth + 1)

    if target is not None:
        visit(target, -1)                   # its own defaults and closure cells
    for obj in list((getattr(target, "__globals__", None) or {}).values()):
        visit(obj, 0)
    return found


def forbidden_trips(fn, forbidden, guarded, hits, armed=None):
    """(keys, cache, own codes, {function: on_call}) for :class:`tripwires`: the ``guarded``
    forbidden plain functions and their clones reachable from fn (:func:`clones_in_globals`);
    a call appends its name to ``hits`` (only while ``armed[0]`` is true, when given)."""
    from .rules import all_codes, code_of, forbidden_keys, forbidden_name

    keys, cache = forbidden_keys(forbidden), {}
    code = code_of(fn)
    own = set(all_codes(code)) if code is not None else set()
    trips = {}
    for f in list(guarded) + clones_in_globals(fn, forbidden, keys, own, cache):
        name = forbidden_name(f.__code__, forbidden, keys, own, cache)
        if name is not None and f not in trips:
            trips[f] = (lambda name=name: (armed is None or armed[0])
                        and (name in hits or hits.append(name)))
    return keys, cache, own, trips


def armed_while(f, armed, mine: bool):
    """``f`` for the timed calls: sets ``armed[0]`` to ``mine`` while it runs (the tripwires
    count calls made while the learner's function runs, not the reference's own timing). A
    plain function that is not the learner's is timed through a copy made now, so the
    tripwire later swapped into its code does not slow it. Every variant gets the same wrapper."""
    import types

    if not mine and isinstance(f, types.FunctionType):
        g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
        g.__kwdefaults__ = f.__kwdefaults__
        f = g

    @functools.wraps(f)     # it looks like f (name, qualname, doc) to whoever inspects it
    def run(*a, **k):
        armed[0] = mine
        try:
            return f(*a, **k)
        finally:
            armed[0] = False
    return run


def _compile_signature(fn, args):
    """The argument types of the call ``fn(*args)`` as Numba's own call types them: the
    defaults not passed become ``types.Omitted(default)``; None when it cannot be typed (a
    type Numba cannot read, a required argument missing: the call itself then says so)."""
    import inspect

    import numba
    from numba.core import types

    try:
        sig = [numba.typeof(a) for a in args]
        params = list(inspect.signature(fn.py_func).parameters.values())
    except Exception:       # noqa: BLE001 - a type Numba cannot read: the call says so
        return None
    for p in params[len(sig):]:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.default is p.empty:
            return None
        sig.append(types.Omitted(p.default))
    return tuple(sig)


def compiler_busy(wait_s=1.0) -> bool:
    """True when Numba's global compiler lock stays held by another thread for ``wait_s``: a
    compile given up on earlier (stuck in C) still runs, and every new compile would wait on it."""
    import sys

    if "numba" not in sys.modules:
        return False
    from numba.core.compiler_lock import global_compiler_lock

    lock = getattr(global_compiler_lock, "_lock", None)   # its RLock (acquire has no timeout)
    if lock is None or not lock.acquire(timeout=wait_s):
        return lock is not None
    lock.release()
    return False


def compile_for(fn, args, limit_s=COMPILE_LIMIT_S) -> str:
    """Compile a Numba dispatcher for the call ``fn(*args)`` (its omitted defaults typed as
    Numba's call types them) before its budgeted call, so that
    the compile (seconds for a ``parallel=True`` function on a busy machine) does not count
    against the learner's time budget; the call itself still does (an endless loop is stopped
    by the budget as before). Runs under its own limit ``limit_s``. Returns "ok" (compiled, or
    nothing to compile: not a Numba dispatcher, types it cannot read, a compile error that the
    call itself then shows), "busy" when an earlier compile still holds Numba's compiler lock
    (:func:`compiler_busy`), or "timeout" / "stuck" when the compile did not end in time.
    Not compiled here: a dispatcher called by a plain ``def`` wrapper (its types are only known
    when the wrapper runs), and ``@vectorize``/``@guvectorize`` functions."""
    import sys

    if "numba" not in sys.modules:
        return "ok"
    from numba.core.dispatcher import Dispatcher

    if not isinstance(fn, Dispatcher):
        return "ok"
    if compiler_busy():
        return "busy"

    def work():
        sig = _compile_signature(fn, args)
        if sig is None:
            return
        try:
            fn.compile(sig)
        except Exception:       # noqa: BLE001 - a typing error: the budgeted call shows it
            pass

    state, _ = run_with_budget(work, (), {}, limit_s)
    return "ok" if state in ("ok", "raised") else state


def frozen_helpers(module, names):
    """Private copies of ``module``'s functions ``names`` that look up their globals in a
    snapshot taken now: patching the module later (``optkit.outputs.assert_same = ...`` from a
    learner's function) changes neither these functions nor the ones they call."""
    import types

    ns = dict(vars(module))
    for name in names:
        f = ns[name]
        g = types.FunctionType(f.__code__, ns, f.__name__, f.__defaults__, f.__closure__)
        g.__kwdefaults__ = dict(f.__kwdefaults__ or {})
        ns[name] = g
    return ns
