"""Self-checking exercises: correct first, then fast enough; never raises into the notebook.

Example (in a notebook)::

    from optkit.check import Exercise

    ex = Exercise("normalise boxes", reference=normalise_ref,
                  make_args=lambda seed: (make_boxes(seed),),
                  baseline=normalise_loop, target_speedup=10)
    ex.check(my_normalise)      # shows a green/red/amber/grey verdict; returns a Verdict

What a check does:

1. for every seed (and every named edge case in ``cases``), builds fresh inputs and runs
   the reference and the learner's function on separate copies; outputs must match: an
   array where the reference returns one, with the same shape, dtype and values
   (``rtol``/``atol``); containers element by element; scalars by value. Or they must pass
   ``compare(expected, got)`` if given. The first mismatch is shown, with the input named
   by its shape and parameters (or the edge case's label), a dtype hint for near-miss
   floats and an order hint for lists. The learner's inputs must come back unchanged; where
   the task says "into out", the function must return that very ``out``. A solution that
   calls the exercise's reference or baseline (or a ``forbid``-den ready-made version) is
   told so and not passed;
2. inputs the task says must be refused (``bad_inputs``) must raise the named exception;
   with ``race_args``, the function runs several times on one larger input and different
   results fail as "different results on identical input: a data race?";
3. if a speed target or a baseline is given, times baseline, reference solution and learner
   with :func:`optkit.bench.compare` (rounds of each variant, median per call; short
   ``min_time``) on the first input. Speedups are relative to the baseline, or to the
   reference when no baseline is given. PASS means the stated target: the learner's median
   speedup is at least ``target_speedup``, with no tolerance factor and no second try. Each
   exercise's target is set well below what its reference solution reaches on a busy
   2-core laptop, so that a correct solution of the intended kind passes with margin. The
   timing of the learner's function counts against the time budget too;
4. shows the verdict (HTML block ``class="optkit-verdict" data-status=...`` plus a plain-text
   form for consoles and nbclient) and records it in :data:`VERDICTS` and, when the
   environment variable ``OPTKIT_VERDICTS`` names a file, as one JSON line there.

Statuses: "pass", "wrong", "too slow", "error" (the function raised), "timeout" (the time
budget ran out), "not yet" (the function raised NotImplementedError: an untouched stub).

Time budget: the learner's calls run in a worker thread; ``time_budget_s`` is the total those
calls may take in steps 1-3 (the reference's and baseline's time does not count). When it runs out,
an exception is injected into that thread (``PyThreadState_SetAsyncExc``), which stops pure
Python code such as ``while True: pass``. Code stuck inside one long C call (a huge NumPy
operation, ``time.sleep``, a C extension loop) cannot be interrupted that way: the thread is
then abandoned (a daemon thread that keeps running in the background until the call returns;
the verdict says so) and the verdict is "timeout". Code that never releases the GIL (a
Numba/Cython loop compiled without ``nogil`` that never ends) blocks the whole kernel: only
"Restart kernel" helps there. KeyboardInterrupt (the notebook's stop button) is not swallowed.
"""
from __future__ import annotations

import copy
import ctypes
import datetime as _dt
import html
import inspect
import json
import os
import threading
import time
import traceback

from . import bench as _bench
from .i18n import tr

__all__ = ["Exercise", "Verdict", "VERDICTS", "STATUSES", "describe_args", "prange_race_rule",
           "same_int"]

TIMING_MIN_TIME = 0.05      # seconds per timed repeat in checks (short: checks must be quick)
TIMING_REPEAT = 5
TIMING_MAX_TIME = 3.0       # seconds of timed repeats per function; slow ones get fewer repeats
STATUSES = ("pass", "wrong", "too slow", "error", "timeout", "not yet")
VERDICTS: list = []


def _frozen_helpers(module, names):
    """Private copies of ``module``'s functions ``names`` that look up their globals in a
    snapshot taken now: patching the module later (``optkit.bench.assert_same = ...`` from a
    learner's function) changes neither these functions nor the ones they call."""
    import types

    ns = dict(vars(module))
    for name in names:
        f = ns[name]
        g = types.FunctionType(f.__code__, ns, f.__name__, f.__defaults__, f.__closure__)
        g.__kwdefaults__ = dict(f.__kwdefaults__ or {})
        ns[name] = g
    return ns


_B = _frozen_helpers(_bench, ("assert_same", "_compare_arrays", "_as_array", "_identical"))
_assert_same = _B["assert_same"]
_ABANDONED: list = []        # worker threads given up on that may still run (see _stop)

_STYLE = {   # status -> (background, border, headline)
    "pass": ("#e6f4ea", "#1a7f37", "PASS"),
    "wrong": ("#fdecea", "#b42318", "WRONG"),
    "error": ("#fdecea", "#b42318", "ERROR"),
    "timeout": ("#fdecea", "#b42318", "TIMEOUT"),
    "too slow": ("#fff4e5", "#b54708", "TOO SLOW"),
    "not yet": ("#f2f2f2", "#6b6b6b", "NOT YET"),
}


class Verdict:
    """Outcome of :meth:`Exercise.check`."""

    def __init__(self, exercise, status, message, speedup=None, target=None,
                 reference_speedup=None, details=None, timings=None):
        if status not in _STYLE:
            raise ValueError(f"unknown verdict status {status!r}; use one of {list(_STYLE)}")
        self.exercise = exercise
        self.status = status
        self.message = message
        self.speedup = speedup
        self.target = target
        self.reference_speedup = reference_speedup
        self.details = details or ""
        self.timings = timings or {}
        self.time = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._shown_at = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "status": self.status, "passed": self.passed,
                "speedup": self.speedup, "target": self.target,
                "reference_speedup": self.reference_speedup, "message": self.message,
                "notebook_time": self.time}

    def _timings_line(self) -> str:
        if not self.timings:
            return ""
        return tr("median per call: ") + " · ".join(
            f"{tr(k)} {_bench.format_time(v)}" for k, v in self.timings.items())

    def __str__(self) -> str:
        head = tr(_STYLE[self.status][2])
        s = f"{head} · {self.exercise}: {self.message}"
        if self.timings:
            s += "\n" + self._timings_line()
        if self.details:
            s += "\n" + self.details
        return s

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        bg, border, head = _STYLE[self.status]
        head = tr(head)
        details = (f"<pre style='margin:4px 0 0 0;white-space:pre-wrap;font-size:90%'>"
                   f"{html.escape(self.details)}</pre>" if self.details else "")
        if self.timings:
            details = (f"<div style='font-size:85%;color:#444'>{html.escape(self._timings_line())}"
                       f"</div>{details}")
        return (f'<div class="optkit-verdict" data-status="{html.escape(self.status)}" '
                f"style='background:{bg};border-left:6px solid {border};padding:6px 10px;"
                f"margin:4px 0;color:#1d1d1d'>"
                f"<b style='color:{border}'>{head}</b> · {html.escape(self.exercise)}: "
                f"{html.escape(self.message)}{details}</div>")

    def _mimebundle(self):
        return {"text/plain": str(self), "text/html": self._repr_html_()}

    def _ipython_display_(self):
        # check() already displayed it in this cell: returning it as the cell value must
        # not show it a second time.
        ip = _ipython()
        count = getattr(ip, "execution_count", None) if ip else None
        if self._shown_at is not None and self._shown_at == count:
            return
        from IPython.display import display

        display(self._mimebundle(), raw=True)
        self._shown_at = count


def _ipython():
    try:
        from IPython import get_ipython

        return get_ipython()
    except Exception:
        return None


def _show(verdict):
    ip = _ipython()
    if ip is not None and hasattr(ip, "display_formatter"):
        try:
            verdict._ipython_display_()
            return
        except Exception:
            pass
    print(verdict)


def _record(verdict):
    VERDICTS.append(verdict)
    path = os.environ.get("OPTKIT_VERDICTS")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(verdict.to_dict(), default=str) + "\n")
        except OSError as exc:
            print(f"optkit.check: could not write verdict to {path}: {exc}")


# --------------------------------------------------------------------------- time budget

class BudgetExceeded(BaseException):
    """Injected into a learner's thread when its time budget runs out."""


def _run_with_budget(fn, args, kwargs, budget_s):
    """Run fn in a daemon thread. Returns ("ok", value) | ("raised", exc) | ("timeout", None)
    | ("stuck", None) (it could not be stopped)."""
    return _run_until(lambda: fn(*args, **kwargs), (), lambda: False, max(0.0, budget_s))


def _stop(th) -> bool:
    """Inject BudgetExceeded into thread ``th``; True when it ended within about a second."""
    for _ in range(10):     # repeat: a bare `except:` in the learner's loop may swallow one
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(th.ident),
                                                   ctypes.py_object(BudgetExceeded))
        th.join(0.1)
        if not th.is_alive():
            return True
    _ABANDONED.append(th)
    return False


def _abandoned_alive() -> int:
    """How many given-up worker threads still run. While one does, the exception injected
    into it is still pending, and on CPython 3.11 that makes profiled threads crawl: the
    dynamic watch for forbidden calls (sys.setprofile) is then left out."""
    _ABANDONED[:] = [t for t in _ABANDONED if t.is_alive()]
    return len(_ABANDONED)


def _run_until(fn, args, over, hard_s):
    """Run fn(*args) in a daemon thread; stop it when ``over()`` says its budget is spent (polled)
    or after ``hard_s`` seconds in all. Returns what :func:`_run_with_budget` describes."""
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
        _stop(th)
        raise
    if th.is_alive():
        return ("timeout" if _stop(th) else "stuck"), None
    if box.get("timeout"):
        return "timeout", None
    if "exc" in box:
        return "raised", box["exc"]
    return "ok", box.get("value")


class _Fed:
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


def _short_tb(exc, limit=3) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    body = [ln for ln in lines if "optkit/check.py" not in ln]
    return "".join(body[-(limit * 2 + 1):]).rstrip()


# --------------------------------------------------------------------------- rules

def _code_of(f):
    """The Python code object behind a function, a Numba dispatcher or a partial; else None."""
    seen = 0
    while f is not None and seen < 5:
        seen += 1
        code = getattr(f, "__code__", None)
        if code is not None:
            return code
        f = getattr(f, "py_func", None) or getattr(f, "__wrapped__", None) or getattr(f, "func", None)
    return None


def _name_of(f) -> str:
    mod = getattr(f, "__module__", None) or ""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    if mod.startswith("optkit."):
        return f"{mod.split('.', 1)[1]}.{name}"
    return name


def _code_key(code):
    """What identifies a function's code whatever its name, file or line (a clone made with
    ``code.replace(co_firstlineno=...)`` has the same key): bytecode, constants, names."""
    consts = tuple(_code_key(c) if hasattr(c, "co_code") else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names)


def _forbidden_keys(forbidden: dict) -> dict:
    keys = {}
    for c, name in forbidden.items():
        for sub in _all_codes(c):
            keys.setdefault(_code_key(sub), name)
    return keys


def _forbidden_name(code, forbidden, keys, own, cache):
    """The forbidden function ``code`` is (the very code object or a clone of it), else None.
    The learner's own code objects never count as clones."""
    if not hasattr(code, "co_code"):
        return None
    name = forbidden.get(code)
    if name is not None or not keys:
        return name
    try:
        return cache[code]
    except (KeyError, TypeError):
        pass
    name = None if code in own else keys.get(_code_key(code))
    cache[code] = name
    return name


def _all_codes(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            yield from _all_codes(c)


def _static_calls(fn, forbidden: dict):
    """Names of forbidden functions that ``fn``'s code refers to (globals, module attributes,
    closure cells), found without running it. ``forbidden``: {code object: display name}."""
    code = _code_of(fn)
    if code is None:
        return []
    target = fn
    while getattr(target, "__code__", None) is None and target is not None:
        target = getattr(target, "py_func", None) or getattr(target, "__wrapped__", None)
    glb = getattr(target, "__globals__", {}) or {}
    names = set()
    for c in _all_codes(code):
        names.update(c.co_names)
    found = []

    keys, own, cache = _forbidden_keys(forbidden), set(_all_codes(code)), {}

    def visit(obj):
        c = _code_of(obj) if callable(obj) else None
        name = _forbidden_name(c, forbidden, keys, own, cache) if c is not None else None
        if name is not None and name not in found:
            found.append(name)

    for n in names:
        if n in glb:
            obj = glb[n]
            visit(obj)
            if type(obj).__name__ == "module":
                for attr in names:
                    visit(getattr(obj, attr, None))
    for cell in getattr(target, "__closure__", None) or ():
        try:
            visit(cell.cell_contents)
        except ValueError:      # an empty cell
            pass
    return found


def _snapshot(value, depth=0):
    """A deep copy to compare with later, or None when the value is not plain data."""
    import dataclasses

    import numpy as np

    if depth > 3:
        return None
    if isinstance(value, (np.ndarray, np.generic, str, bytes, bytearray, int, float, complex,
                          bool, type(None))):
        return copy.deepcopy(value)
    if isinstance(value, (list, tuple, dict)) or (dataclasses.is_dataclass(value)
                                                  and not isinstance(value, type)):
        try:
            return copy.deepcopy(value)
        except Exception:
            return None
    if hasattr(value, "detach") and hasattr(value, "clone"):        # torch tensor
        return value.detach().clone()
    return None


def _param_names(fn, n):
    import inspect

    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else tr("argument {i}", i=i + 1) for i in range(n)]


def _describe_value(v) -> str:
    import numpy as np

    if isinstance(v, np.ndarray):
        return tr("{dtype} array of shape {shape}", dtype=v.dtype, shape=v.shape)
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return tr("{kind} {dtype} of shape {shape}", kind=type(v).__name__, dtype=getattr(v, "dtype"),
                  shape=tuple(v.shape))
    if isinstance(v, (list, tuple)):
        return tr("{kind} of {n} items", kind=type(v).__name__, n=len(v))
    if isinstance(v, (int, float, str, bool)):
        return repr(v) if len(repr(v)) < 40 else type(v).__name__
    return type(v).__name__


def describe_args(args) -> str:
    """How a verdict names an input: shapes and dtypes of arrays, values of small parameters."""
    return ", ".join(_describe_value(a) for a in args) or tr("no arguments")


def _float_hint(exc, expected) -> str:
    """A hint when floats are close but not close enough: a dtype question, usually."""
    import numpy as np

    d = getattr(exc, "max_abs_diff", None)
    arr = _bench._as_array(expected) if not isinstance(expected, (list, tuple, dict)) else None
    if d is None or arr is None or arr.dtype.kind != "f" or not arr.size:
        return ""
    scale = float(np.nanmax(np.abs(arr))) or 1.0
    if d / scale < 1e-3:
        return tr("; the values are close, only not close enough: do you compute in float32 where "
                  "the reference uses float64 (or the other way round), or in a different order?")
    return ""


def _list_hint(expected, got) -> str:
    """For lists: the same items in another order, or which item differs."""
    if not isinstance(expected, list) or not isinstance(got, (list, tuple)):
        return ""
    got = list(got)
    try:
        if len(got) == len(expected) and sorted(map(repr, got)) == sorted(map(repr, expected)):
            i = next(i for i, (a, b) in enumerate(zip(expected, got)) if repr(a) != repr(b))
            return tr("; the items are right but in a different order (item {i} is {got}, "
                      "expected {expected}): keep the order of the input",
                      i=i, got=repr(got[i]), expected=repr(expected[i]))
    except Exception:
        return ""
    return ""


def same_int(expected, got) -> bool:
    """``compare=`` for exercises whose answer is a count (pixels, threads): ``got`` must be
    a whole-number type (a Python ``int`` or a NumPy integer) equal to ``expected``. A float
    (even ``2.0``) or a bool (``True`` is an ``int`` to Python, not a count) is refused with
    a message that says so."""
    import numpy as np

    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        raise AssertionError(tr("expected the whole number {expected}, got {got!r} ({kind}): a count "
                                "is an int (not a float such as 2.0, not True or False)",
                                expected=expected, got=got, kind=type(got).__name__))
    if got != expected:
        raise AssertionError(tr("expected {expected}, got {got}", expected=expected, got=got))
    return True


def prange_race_rule(fn, args=None):
    """A rule for ``Exercise(rules=[...])``: in a Numba function's ``prange`` loops, an
    in-place update (``a[i] += ...``) or assignment of an array element whose index does not
    depend on the loop variable can be written by two threads at once. A race shows only
    sometimes when it runs (rarely on a busy machine); this reads the code instead.
    Returns a message naming the line, or None."""
    import ast
    import inspect
    import textwrap

    f = getattr(fn, "py_func", fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None

    def names(node):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    for loop in ast.walk(tree):
        if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call)
                and getattr(loop.iter.func, "id", getattr(loop.iter.func, "attr", "")) == "prange"):
            continue
        derived = names(loop.target)
        local = set()
        for _ in range(3):                       # names computed from the loop variable
            for node in ast.walk(loop):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.For)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    src = node.value if not isinstance(node, ast.For) else node.iter
                    for t in targets:
                        if isinstance(t, ast.Name):
                            local.add(t.id)
                            if names(src) & derived:
                                derived.add(t.id)
        for node in ast.walk(loop):
            targets = []
            if isinstance(node, ast.AugAssign):
                targets = [node.target]
            elif isinstance(node, ast.Assign):
                targets = node.targets
            for t in targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) \
                        and t.value.id not in local and not (names(t.slice) & derived):
                    line = ast.unparse(node).splitlines()[0]
                    loop_var = ast.unparse(loop.target)
                    return tr("different threads can write the same element: in the prange loop over "
                              "`{var}`, `{line}` writes `{array}` at an index that does not "
                              "depend on `{var}` (a data race?): give each thread its own memory",
                              var=loop_var, line=line, array=t.value.id)
    return None


# --------------------------------------------------------------------------- exercise

class Exercise:
    """An exercise: a reference implementation, inputs per seed, optional speed target.

    ``baseline``: the slow version speedups are measured against (defaults to the
    reference when only ``target_speedup`` is given). ``compare(expected, got)``: optional
    custom comparison returning a bool (or raising AssertionError).

    What the task states, the check enforces:

    - ``cases``: named edge-case inputs, ``[(label, args or callable returning args)]``,
      checked after the seeds; the label is what a wrong verdict names ("the first and last
      steps are the same letter");
    - ``describe(args) -> str``: how a verdict names a seed's input (default: shapes, dtypes,
      small parameter values);
    - inputs must come back unchanged (``check_inputs``), except the argument at ``out_arg``,
      which the task says to write into: then the function must also return that very object;
    - ``bad_inputs``: ``[(label, args or callable, exception type(s))]`` the task says must be
      refused with that exception (a C function's error path, its item-type check);
    - ``forbid``: functions the solution must not call (always: the reference and the
      baseline themselves), found in its code and while it runs;
    - ``race_args`` (callable returning args) and ``race_repeats``: the function runs that
      many times on that (larger) input; different results on identical input fail as a race;
    - ``rules``: structural rules the task states, each ``rule(fn, args) -> None or a message``
      saying what breaks the rule (it calls ``fn`` itself, e.g. counting pool tasks);
    - ``reference_name``: how a verdict names the reference's own speedup ("NumPy's
      b.sum" when the reference is a library call, not a solution of the task).
    """

    def __init__(self, name, reference, make_args, *, baseline=None, target_speedup=None,
                 compare=None, rtol=1e-6, atol=0, time_budget_s=30.0, seeds=(0, 1, 2),
                 cases=(), describe=None, out_arg=None, bad_inputs=(), forbid=(),
                 race_args=None, race_repeats=4, check_inputs=True, rules=(),
                 reference_name=None):
        if not callable(reference):
            raise TypeError("reference must be callable")
        if not callable(make_args):
            raise TypeError("make_args must be a callable seed -> tuple of arguments")
        if baseline is not None and not callable(baseline):
            raise TypeError("baseline must be callable")
        if target_speedup is not None and not target_speedup > 0:
            raise ValueError(f"target_speedup must be > 0, got {target_speedup!r}")
        if not seeds:
            raise ValueError("seeds must not be empty")
        for f in forbid:
            if not callable(f):
                raise TypeError(f"forbid: {f!r} is not callable")
        for item in bad_inputs:
            if len(item) != 3:
                raise ValueError("bad_inputs: each item is (label, args, exception type(s))")
        for r in rules:
            if not callable(r):
                raise TypeError(f"rules: {r!r} is not callable (rule(fn, args) -> message or None)")
        if race_args is not None and not callable(race_args):
            raise TypeError("race_args must be a callable returning a tuple of arguments")
        self.name = str(name)
        self.reference = reference
        self.make_args = make_args
        self.baseline = baseline
        self.target_speedup = target_speedup
        self.compare = compare
        self.rtol, self.atol = rtol, atol
        self.time_budget_s = float(time_budget_s)
        self.seeds = tuple(seeds)
        self.cases = tuple(cases)
        self.describe = describe or describe_args
        self.out_arg = out_arg
        self.reference_name = reference_name   # how verdicts name the reference's timing
        self.bad_inputs = tuple(bad_inputs)
        self.race_args = race_args
        self.race_repeats = int(race_repeats)
        self.check_inputs = bool(check_inputs)
        self.rules = tuple(rules)
        self.forbidden = {}                   # code object -> name shown in the verdict
        for f, why in [(reference, "the exercise's reference"), (baseline, "the exercise's baseline")] + \
                [(f, "a ready-made version of what the exercise asks") for f in forbid]:
            code = _code_of(f) if f is not None else None
            if code is not None and code not in self.forbidden:
                self.forbidden[code] = (_name_of(f), why)     # shown as "name (why)", translated

    def __repr__(self):
        t = f", target x{self.target_speedup:g}" if self.target_speedup else ""
        return f"<Exercise {self.name!r}{t}>"

    def _args(self, seed):
        args = self.make_args(seed)
        return args if isinstance(args, tuple) else (args,)

    def check(self, fn, *, display=True) -> Verdict:
        """Check ``fn``; show and record the verdict; never raises (except KeyboardInterrupt)."""
        try:
            verdict = self._check(fn)
        except _Timeout as t:
            verdict = self._timeout(t.state, t.where)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:   # noqa: BLE001 - a broken exercise must not stop Run All
            verdict = Verdict(self.name, "error", tr("the check itself failed: {kind}: {exc}",
                                                     kind=type(exc).__name__, exc=exc),
                              details=_short_tb(exc))
        _record(verdict)
        if display:
            _show(verdict)
        return verdict

    __call__ = check

    def _verdict(self, status, message, **kw):
        return Verdict(self.name, status, message, target=self.target_speedup, **kw)

    def _fresh(self, rebuild, args):
        """A private copy of the inputs (deep copy; rebuilt if not copyable)."""
        try:
            return copy.deepcopy(args)
        except Exception:
            return rebuild()

    def _inputs(self):
        """(what the verdict calls it, a function that builds the args) for seeds then cases
        (the named cases count among the inputs: "input 1 of 4" then "correct on 4 inputs")."""
        n = len(self.seeds) + len(self.cases)
        for k, seed in enumerate(self.seeds):
            yield (lambda a, k=k: tr("input {k} of {n} ({args})", k=k + 1, n=n, args=self.describe(a))), \
                (lambda seed=seed: self._args(seed))
        for label, args in self.cases:
            build = args if callable(args) else (lambda args=args: args)
            yield (lambda a, label=label: tr("the input where {label} ({args})", label=label,
                                             args=self.describe(a))), \
                (lambda build=build: (lambda r: r if isinstance(r, tuple) else (r,))(build()))

    def _call(self, fn, args, budget):
        """Run the learner's fn under the budget, watching for calls of forbidden functions."""
        hits = []
        forbidden = self.forbidden if not _abandoned_alive() else {}
        keys, cache = _forbidden_keys(forbidden), {}
        code = _code_of(fn)
        own = set(_all_codes(code)) if code is not None else set()

        def prof(frame, event, arg):
            if event == "call":
                name = _forbidden_name(frame.f_code, forbidden, keys, own, cache)
                if name is not None and name not in hits:
                    hits.append(name)

        def watched(*a):
            import sys

            sys.setprofile(prof)
            try:
                return fn(*a)
            finally:
                sys.setprofile(None)

        t0 = time.perf_counter()
        state, value = _run_with_budget(watched if forbidden else fn, args, {}, budget)
        return state, value, time.perf_counter() - t0, hits

    def _timeout(self, state, where):
        v = self._timeout_verdict(state, where)
        if _abandoned_alive():
            v.message += (f" (note: {_abandoned_alive()} earlier call(s) given up on still run in "
                          "the background and compete for the CPU; restart the kernel and "
                          "check again if this function should be quick)")
        return v

    def _timeout_verdict(self, state, where):
        msg = tr("no result within the time budget of {budget} s ({where}); "
                 "look for a loop that never ends or a much too slow approach",
                 budget=f"{self.time_budget_s:g}", where=where)
        if state == "stuck":
            msg += tr(". The call could not be stopped (it is inside C code, or catches "
                      "every exception) and keeps running in the background; restart the "
                      "kernel if the notebook slows down")
        return self._verdict("timeout", msg)

    def _raised(self, value, where, fn=None):
        if isinstance(value, NotImplementedError):
            if fn is not None and not hasattr(inspect.unwrap(fn), "__code__"):    # a C function
                return self._verdict("not yet", tr(
                    "not implemented yet: replace the `PyErr_SetString(PyExc_NotImplementedError, "
                    "...); return NULL;` lines with your code"))
            return self._verdict("not yet", tr("not implemented yet: replace the "
                                               "`raise NotImplementedError` with your code"))
        return self._verdict("error", tr("your function raised {kind}: {exc} (on {where})",
                                         kind=type(value).__name__, exc=value, where=where),
                             details=_short_tb(value))

    def _check(self, fn) -> Verdict:
        if not callable(fn):
            return self._verdict("error", tr("expected a function, got {kind}", kind=type(fn).__name__))
        failed = _compile_failure(fn)
        if failed:
            return self._verdict("error", failed)
        calls = _static_calls(fn, self.forbidden)
        if calls:
            return self._called(calls)
        budget = self.time_budget_s          # spent only by the learner's own calls
        first_args, first_rebuild, call_s = None, None, float("inf")
        for describe, build in self._inputs():
            args = build()
            if first_args is None:
                first_args, first_rebuild = args, build
            where = describe(args)
            mine = self._fresh(build, args)
            before = [None if k == self.out_arg else _snapshot(a)
                      for k, a in enumerate(mine)] if self.check_inputs else []
            state, value, spent, hits = self._call(fn, mine, budget)
            budget -= spent
            expected = self._expected(build) if state == "ok" else None
            if hits:
                return self._called(hits)
            if state in ("timeout", "stuck"):
                return self._timeout(state, where)
            if state == "raised":
                return self._raised(value, where, fn)
            call_s = min(call_s, spent)
            changed = self._changed_input(fn, before, mine)
            if changed:
                return self._verdict("wrong", tr("{problem} (on {where})", problem=changed, where=where))
            if self.out_arg is not None and value is not mine[self.out_arg]:
                oname = _param_names(fn, len(mine))[self.out_arg]
                what = tr("returned None") if value is None else tr("returned a new object")
                return self._verdict("wrong", tr("the task says to write the result into `{out}` "
                                                 "and return it; your function {what} (on {where})",
                                                 out=oname, what=what, where=where))
            try:
                self._compare_within(expected, value, budget)
            except AssertionError as exc:
                if self.race_args is not None:        # a race exercise: is it one?
                    race = self._race_on(fn, build, budget) or self._race_on(fn, self.race_args, budget)
                    if race:
                        return self._verdict("wrong", tr("{problem} (on {where})", problem=race, where=where))
                    race = self._rule_messages(fn, build(), budget)
                    if race:
                        return self._verdict("wrong", tr("wrong result on {where}: {exc}; and {rule}",
                                                         where=where, exc=exc, rule=race))
                return self._verdict("wrong", tr("wrong result on {where}: {exc}", where=where, exc=exc)
                                     + f"{_float_hint(exc, expected)}{_list_hint(expected, value)}")
        for label, args, exc_types in self.bad_inputs:
            build = args if callable(args) else (lambda args=args: args)
            a = build()
            a = a if isinstance(a, tuple) else (a,)
            v = self._refuses(fn, label, a, exc_types, budget)
            if v is not None:
                return v
        if self.race_args is not None:
            race = self._race_on(fn, self.race_args, budget)
            if race:
                return self._verdict("wrong", race)
        for rule in self.rules:
            args = self._fresh(first_rebuild, first_args)
            t0 = time.perf_counter()
            state, value = _run_with_budget(rule, (fn, args), {}, max(1.0, budget))
            budget -= time.perf_counter() - t0
            if state in ("timeout", "stuck"):
                return self._timeout(state, tr("checking the task's rules"))
            if state == "raised":
                return self._raised(value, tr("checking the task's rules"), fn)
            if value:
                return self._verdict("wrong", tr("correct values, but {rule}", rule=value))
        return self._time(fn, first_rebuild, first_args, budget, call_s)

    def _rule_messages(self, fn, args, budget):
        """What the task's rules say about fn (used to explain a wrong result), or None."""
        for rule in self.rules:
            state, value = _run_with_budget(rule, (fn, args), {}, max(1.0, budget))
            if state == "ok" and value:
                return value
        return None

    def _called(self, names):
        shown = ", ".join(f"{name} ({tr(why)})" for name, why in names)
        return self._verdict("wrong", tr("your function calls {names}: the exercise asks you to "
                                         "write that computation yourself", names=shown))

    def _changed_input(self, fn, before, args):
        names = _param_names(fn, len(args))
        for i, (snap, now) in enumerate(zip(before, args)):
            if snap is None or i == self.out_arg:
                continue
            try:
                _assert_same(snap, now, rtol=0, atol=0, strict_dtype=True)
            except AssertionError as exc:
                return tr("your function changed its input `{name}` ({exc}); the task expects "
                          "the inputs unchanged: work on a copy or write the result into a new array",
                          name=names[i], exc=exc)
        return None

    def _refuses(self, fn, label, args, exc_types, budget):
        exc_types = exc_types if isinstance(exc_types, tuple) else (exc_types,)
        want = tr(" or ").join(t.__name__ for t in exc_types)
        state, value, _, _ = self._call(fn, args, max(1.0, budget))
        if state in ("timeout", "stuck"):
            return self._timeout(state, label)
        if state == "ok":
            return self._verdict("wrong", tr("on {label} your function returned {value}; "
                                             "the task says it must refuse that input with {want}",
                                             label=label, value=repr(value)[:80], want=want))
        if isinstance(value, exc_types):
            return None
        hint = tr(" (SystemError means a C function returned NULL without setting an exception, or "
                  "returned a result while an exception was set: check every error path)"
                  ) if isinstance(value, SystemError) else ""
        return self._verdict("wrong", tr("on {label} your function raised {kind}: "
                                         "{exc}; the task says it must raise {want}",
                                         label=label, kind=type(value).__name__, exc=value, want=want)
                             + hint,
                             details=_short_tb(value))

    def _race_on(self, fn, build, budget, reference=False):
        """Repeat fn on one input; a message when the results differ from each other."""
        args = build()
        args = args if isinstance(args, tuple) else (args,)
        results = []
        for _ in range(max(2, self.race_repeats)):
            state, value, spent, _ = self._call(fn, self._fresh(build, args), max(1.0, budget))
            budget -= spent
            if state != "ok":
                return None if not reference else (
                    tr("on a larger input ({args}) your function raised {kind}",
                       args=self.describe(args), kind=type(value).__name__) if state == "raised" else
                    tr("on a larger input ({args}) your function ran out of time", args=self.describe(args)))
            results.append(value)
            if len(results) > 1:
                try:
                    _result_type_check(results[0], value, False)
                    _assert_same(results[0], value, rtol=0, atol=0)
                except AssertionError as exc:
                    return tr("different results on identical input: a data race? Two runs on "
                              "{args} disagree ({exc}); make sure no two threads "
                              "write the same memory", args=self.describe(args), exc=exc)
        if reference:
            try:
                self._compare(self.reference(*self._fresh(build, args)), results[0])
            except AssertionError as exc:
                return tr("wrong result on a larger input ({args}): {exc}", args=self.describe(args), exc=exc)
        return None

    def _expected(self, build):
        """The reference's output, computed after the learner's call (so no frame holds it
        while the learner's code runs) on a freshly built input."""
        args = build()
        return self.reference(*(args if isinstance(args, tuple) else (args,)))

    def _compare_within(self, expected, got, budget, where="comparing your result"):
        """_compare in a worker thread under the budget (a result's hostile ``shape`` or
        ``__eq__`` must not hang the check); AssertionError on a mismatch."""
        state, value = _run_with_budget(self._compare, (expected, got), {}, max(1.0, budget))
        if state in ("timeout", "stuck"):
            raise _Timeout(state, where)
        if state == "raised":
            if isinstance(value, AssertionError):
                raise value
            raise AssertionError(f"comparing your result with the reference failed: "
                                 f"{type(value).__name__}: {value}")

    def _compare(self, expected, got):
        _result_type_check(expected, got, self.compare is not None)
        if self.compare is not None:
            ok = self.compare(expected, got)
            if ok is not None and not ok:
                raise AssertionError(tr("the output does not match the reference (custom comparison)"))
            return
        import numpy as np

        if got is None and expected is not None:
            raise AssertionError(tr("your function returned None: is a `return` missing?"))
        if isinstance(expected, np.ndarray) and not isinstance(got, np.ndarray):
            raise AssertionError(tr("expected a NumPy array (ndarray), got {kind}", kind=type(got).__name__))
        _assert_same(expected, got, self.rtol, self.atol, strict_dtype=True)

    def _timed_output_problem(self, yours, rebuild, budget):
        """What is wrong with the output of the last timed call of the learner's function
        (a function may behave during the checks and not while it is timed), or None."""
        if not yours.calls:
            return "the timing did not call your function (was optkit.bench changed?)"
        if yours.same_object and self.out_arg is None:
            return ("your function returned the very same array object on repeated calls: "
                    "each call must compute its result (no cache of earlier results)")
        expected = self._expected(rebuild)
        try:
            self._compare_within(expected, yours.last, budget, "checking the timed calls")
        except AssertionError as exc:
            return f"correct during the checks, but wrong while timed (last timed call): {exc}"
        return None

    def _time(self, fn, rebuild, args, budget, call_s) -> Verdict:
        base = self.baseline
        if base is None and self.target_speedup is None:
            return self._verdict("pass", tr("correct on {n} inputs", n=len(self.seeds) + len(self.cases)))
        base_label = "baseline" if base is not None else "reference"
        base_shown = tr(base_label)
        funcs = {base_label: base if base is not None else self.reference}
        if base is not None and base is not self.reference:    # (not the baseline against itself)
            funcs["reference"] = self.reference
        funcs["yours"] = fn
        # The timing of your function counts against the same time budget: a warm-up call and
        # at least three timed repeats of at least one call each.
        need = 4 * call_s
        if need > budget:
            return self._verdict("too slow", tr("correct, but one call takes "
                                                "{call}: timing it (about four calls) "
                                                "does not fit in what is left of the {budget} s "
                                                "time budget; the target is {target} vs the {base}",
                                                call=_bench.format_time(call_s),
                                                budget=f"{self.time_budget_s:g}",
                                                target=_bench.format_speedup(self.target_speedup),
                                                base=base_shown))
        max_time = max(TIMING_MIN_TIME, min(TIMING_MAX_TIME, (budget - call_s) / 2))
        funcs = {label: _Fed(f, self._fresh(rebuild, args)) for label, f in funcs.items()}
        yours = funcs["yours"]
        state, cmp = _run_until(
            lambda: _bench.compare(funcs, *self._fresh(rebuild, args), baseline=base_label,
                                   check=lambda ref, out: True, repeat=TIMING_REPEAT,
                                   min_time=TIMING_MIN_TIME, max_time=max_time,
                                   out_args=() if self.out_arg is None else (self.out_arg,)),
            (), lambda: yours.used() > budget,
            budget + (len(funcs) - 1) * (4 * TIMING_MAX_TIME + 30))
        if state in ("timeout", "stuck"):
            return self._timeout(state, "timing it")
        try:
            if state == "raised":
                raise cmp
            wrong = self._timed_output_problem(yours, rebuild, budget - yours.used())
            if wrong:
                return self._verdict("wrong", wrong)
        except Exception as exc:       # e.g. the learner's function fails on a later call
            return self._verdict("error", tr("correct, but timing it failed: {kind}: {exc}",
                                             kind=type(exc).__name__, exc=exc), details=_short_tb(exc))
        t = {label: cmp[label] for label in funcs}
        sp = cmp.speedup("yours")
        ref_sp = cmp.speedup("reference") if "reference" in funcs and base_label != "reference" else None
        target = self.target_speedup
        timings = {k: v.median_s for k, v in t.items()}
        if self.reference_name:
            ref_txt = tr("; {name} reaches {speedup}", name=self.reference_name,
                         speedup=_bench.format_speedup(ref_sp)) if ref_sp else ""
        else:
            ref_txt = tr("; the reference solution reaches {speedup}",
                         speedup=_bench.format_speedup(ref_sp)) if ref_sp else ""
        yours = _bench.format_time(t["yours"].median_s)
        ref_txt += _quality_warning(cmp)        # the bench table's ⚠ lines, in short
        if target is None:
            return self._verdict("pass", tr("correct; {speedup} vs the {base} ({yours} per call)",
                                            speedup=_bench.format_speedup(sp), base=base_shown,
                                            yours=yours) + ref_txt, speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        if sp >= target:
            return self._verdict("pass", tr("correct and fast: {speedup} vs the {base}, target "
                                            "{target} ({yours} per call)",
                                            speedup=_bench.format_speedup(sp), base=base_shown,
                                            target=_bench.format_speedup(target), yours=yours)
                                 + ref_txt, speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        return self._verdict("too slow", tr("correct, but {speedup} vs the {base}; target {target}",
                                            speedup=_bench.format_speedup(sp), base=base_shown,
                                            target=_bench.format_speedup(target))
                             + ref_txt, speedup=sp, reference_speedup=ref_sp, timings=timings)


def _quality_warning(cmp) -> str:
    """" ⚠ noisy and waiting timing (...)" when bench flagged the comparison, else ""."""
    try:
        kinds = sorted({w.split(":", 1)[0] for w in cmp.warnings()} & {"noisy", "waiting"})
    except Exception:
        return ""
    if not kinds:
        return ""
    return " " + tr("⚠ {kinds} timing (a busy machine?): the factor shown may be off; run the "
                    "check again", kinds=tr(" and ").join(tr(k) for k in kinds))


class _Timeout(BaseException):
    """A comparison of the learner's result ran out of time (raised to Exercise.check)."""

    def __init__(self, state, where):
        super().__init__(where)
        self.state, self.where = state, where


def _result_type_check(expected, got, custom, depth=0):
    """Raise AssertionError unless ``got`` is of the reference's type family, checked before
    any of ``got``'s own methods run: an exact ndarray (no subclass) where the reference
    returns an ndarray; a plain number (Python or NumPy scalar, 0-d array) for a number;
    list/tuple (or array) for a list/tuple, element-wise; dict for dict; None for None; else
    the reference's very type. A custom ``compare`` decides types itself."""
    import numpy as np

    if custom or got is None or depth > 20:
        return
    t = type(got)
    if isinstance(expected, np.ndarray):
        ok = t is np.ndarray or t is type(expected)
    elif expected is None:
        ok = False
    elif isinstance(expected, (bool, int, float, complex, np.generic)):
        ok = t in (bool, int, float, complex) or (t is np.ndarray and got.ndim == 0) or \
            (isinstance(got, np.generic) and t.__module__ == "numpy")
    elif isinstance(expected, (list, tuple)):
        ok = t in (list, tuple, type(expected)) or t is np.ndarray
        if ok and t is not np.ndarray:
            for e, g in zip(expected, got):
                _result_type_check(e, g, False, depth + 1)
    elif isinstance(expected, dict):
        ok = t is dict or t is type(expected)
        if ok:
            for k in expected:
                if k in got:
                    _result_type_check(expected[k], dict.__getitem__(got, k), False, depth + 1)
    else:
        ok = t is type(expected)
    if not ok:
        raise AssertionError(f"expected {type(expected).__name__}, got {t.__name__}")


def _compile_failure(fn):
    """The message for a function of a `%%c_extension` module whose last compile failed
    (optkit.cext marks the module, or the placeholder it leaves when there was none)."""
    import sys

    name = getattr(fn, "__module__", None) or ""
    mod = getattr(fn, "__self__", None)
    if type(mod).__name__ != "module":
        mod = sys.modules.get(name)
    failed = getattr(fn, "__optkit_compile_failed__", None) or getattr(mod, "__optkit_compile_failed__", None)
    if failed:
        return tr("the last compile of `{module}` failed, so there is no "
                  "new version to check: fix the compile error shown under the C cell and run "
                  "that cell again", module=getattr(mod, "__name__", name))
    return None
