"""Self-checking exercises: correct first, then fast enough; never raises into the notebook.

Example (in a notebook)::

    from optkit.check import Exercise

    ex = Exercise("normalise boxes", reference=normalise_ref,
                  make_args=lambda seed: (make_boxes(seed),),
                  baseline=normalise_loop, target_speedup=10)
    ex.check(my_normalise)      # shows a green/red/amber/grey verdict; returns a Verdict

What a check does:

1. for every seed, builds fresh inputs with ``make_args(seed)`` and runs the reference and
   the learner's function on separate copies; outputs must match: an array where the
   reference returns one, with the same shape, dtype and values (``rtol``/``atol``);
   containers element by element; scalars by value. Or they must pass
   ``compare(expected, got)`` if given. The first mismatch is shown (index, expected and
   actual value);
2. if a speed target or a baseline is given, times baseline, reference solution and learner
   with optkit.bench (short ``min_time``; functions that already ran are not warmed up again;
   slow ones get fewer repeats) on the first seed's input. Speedups are relative to the
   baseline, or to the reference when no baseline is given. The learner passes when its
   median reaches ``SPEED_TOLERANCE * target_speedup`` (busy machines add noise; a result
   below that is timed a second time, learner and baseline, before "too slow");
3. shows the verdict (HTML block ``class="optkit-verdict" data-status=...`` plus a plain-text
   form for consoles and nbclient) and records it in :data:`VERDICTS` and, when the
   environment variable ``OPTKIT_VERDICTS`` names a file, as one JSON line there.

Statuses: "pass", "wrong", "too slow", "error" (the function raised), "timeout" (the time
budget ran out), "not yet" (the function raised NotImplementedError: an untouched stub).

Time budget: the learner's calls run in a worker thread; ``time_budget_s`` is the total those
calls may take in step 1 (the reference's time does not count). When it runs out,
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
import json
import os
import threading
import time
import traceback

from . import bench as _bench

__all__ = ["Exercise", "Verdict", "VERDICTS", "SPEED_TOLERANCE", "STATUSES"]

SPEED_TOLERANCE = 0.8       # pass at >= 0.8 x target: absorbs timing noise on busy machines
TIMING_MIN_TIME = 0.05      # seconds per timed repeat in checks (short: checks must be quick)
TIMING_REPEAT = 5
TIMING_MAX_TIME = 3.0       # seconds of timed repeats per function; slow ones get fewer repeats
STATUSES = ("pass", "wrong", "too slow", "error", "timeout", "not yet")
VERDICTS: list = []

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
        return "median per call: " + " · ".join(
            f"{k} {_bench.format_time(v)}" for k, v in self.timings.items())

    def __str__(self) -> str:
        head = _STYLE[self.status][2]
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
    """Run fn in a daemon thread. Returns ("ok", value) | ("raised", exc) | ("timeout", None)."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BudgetExceeded:
            box["timeout"] = True
        except BaseException as exc:   # noqa: BLE001 - reported as a verdict
            box["exc"] = exc

    th = threading.Thread(target=target, name="optkit-check", daemon=True)
    th.start()
    try:
        th.join(max(0.0, budget_s))
    except KeyboardInterrupt:          # the stop button: stop the learner's code too
        _stop(th)
        raise
    if th.is_alive():
        return ("timeout" if _stop(th) else "stuck"), None
    if box.get("timeout"):
        return "timeout", None
    if "exc" in box:
        return "raised", box["exc"]
    return "ok", box.get("value")


def _stop(th) -> bool:
    """Inject BudgetExceeded into thread ``th``; True when it ended within about a second."""
    for _ in range(10):     # repeat: a bare `except:` in the learner's loop may swallow one
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(th.ident),
                                                   ctypes.py_object(BudgetExceeded))
        th.join(0.1)
        if not th.is_alive():
            return True
    return False


def _short_tb(exc, limit=3) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    body = [ln for ln in lines if "optkit/check.py" not in ln]
    return "".join(body[-(limit * 2 + 1):]).rstrip()


# --------------------------------------------------------------------------- exercise

class Exercise:
    """An exercise: a reference implementation, inputs per seed, optional speed target.

    ``baseline``: the slow version speedups are measured against (defaults to the
    reference when only ``target_speedup`` is given). ``compare(expected, got)``: optional
    custom comparison returning a bool (or raising AssertionError).
    """

    def __init__(self, name, reference, make_args, *, baseline=None, target_speedup=None,
                 compare=None, rtol=1e-6, atol=0, time_budget_s=30.0, seeds=(0, 1, 2)):
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
        self.name = str(name)
        self.reference = reference
        self.make_args = make_args
        self.baseline = baseline
        self.target_speedup = target_speedup
        self.compare = compare
        self.rtol, self.atol = rtol, atol
        self.time_budget_s = float(time_budget_s)
        self.seeds = tuple(seeds)

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
        except KeyboardInterrupt:
            raise
        except BaseException as exc:   # noqa: BLE001 - a broken exercise must not stop Run All
            verdict = Verdict(self.name, "error", f"the check itself failed: {type(exc).__name__}: {exc}",
                              details=_short_tb(exc))
        _record(verdict)
        if display:
            _show(verdict)
        return verdict

    __call__ = check

    def _verdict(self, status, message, **kw):
        return Verdict(self.name, status, message, target=self.target_speedup, **kw)

    def _fresh(self, seed, args):
        """A private copy of the inputs (deep copy; rebuilt from the seed if not copyable)."""
        try:
            return copy.deepcopy(args)
        except Exception:
            return self._args(seed)

    def _check(self, fn) -> Verdict:
        if not callable(fn):
            return self._verdict("error", f"expected a function, got {type(fn).__name__}")
        budget = self.time_budget_s          # spent only by the learner's own calls
        first_args = None
        for seed in self.seeds:
            args = self._args(seed)
            if first_args is None:
                first_args = args
            expected = self.reference(*self._fresh(seed, args))
            t0 = time.perf_counter()
            state, value = _run_with_budget(fn, self._fresh(seed, args), {}, budget)
            budget -= time.perf_counter() - t0
            if state in ("timeout", "stuck"):
                msg = (f"no result within the time budget of {self.time_budget_s:g} s (seed {seed}); "
                       "look for a loop that never ends or a much too slow approach")
                if state == "stuck":
                    msg += (". The call could not be stopped (it is inside C code, or catches "
                            "every exception) and keeps running in the background; restart the "
                            "kernel if the notebook slows down")
                return self._verdict("timeout", msg)
            if state == "raised":
                if isinstance(value, NotImplementedError):
                    return self._verdict("not yet", "not implemented yet: replace the "
                                         "`raise NotImplementedError` with your code")
                return self._verdict("error", f"your function raised {type(value).__name__}: {value}",
                                     details=_short_tb(value))
            try:
                self._compare(expected, value)
            except AssertionError as exc:
                return self._verdict("wrong", f"wrong result for seed {seed}: {exc}")
        return self._time(fn, self.seeds[0], first_args)

    def _compare(self, expected, got):
        if self.compare is not None:
            ok = self.compare(expected, got)
            if ok is not None and not ok:
                raise AssertionError("the output does not match the reference (custom comparison)")
            return
        import numpy as np

        if got is None and expected is not None:
            raise AssertionError("your function returned None: is a `return` missing?")
        if isinstance(expected, np.ndarray) and not isinstance(got, np.ndarray):
            raise AssertionError(f"expected a NumPy array (ndarray), got {type(got).__name__}")
        _bench.assert_same(expected, got, self.rtol, self.atol, strict_dtype=True)

    def _time(self, fn, seed, args) -> Verdict:
        base = self.baseline
        if base is None and self.target_speedup is None:
            return self._verdict("pass", f"correct on {len(self.seeds)} inputs")
        base_label = "baseline" if base is not None else "reference"
        funcs = {base_label: base if base is not None else self.reference}
        if base is not None:
            funcs["reference"] = self.reference
        funcs["yours"] = fn
        warm = {"reference", "yours"}          # already ran on these inputs during the checks

        def measure(labels):
            out = {}
            for label in labels:
                f = funcs[label]
                a = self._fresh(seed, args)
                first = float("nan")
                if label not in warm:
                    _, first = _bench._first_call(f, a, {})
                    warm.add(label)
                out[label] = _bench._time_variant(label, f, a, {}, repeat=TIMING_REPEAT,
                                                  min_time=TIMING_MIN_TIME, first_call_s=first,
                                                  max_time=TIMING_MAX_TIME, min_repeats=1)
            return out

        try:
            t = measure(list(funcs))
        except Exception as exc:       # e.g. the learner's function fails on a later call
            return self._verdict("error", f"correct, but timing it failed: {type(exc).__name__}: "
                                 f"{exc}", details=_short_tb(exc))
        sp = t[base_label].median_s / t["yours"].median_s
        ref_sp = (t[base_label].median_s / t["reference"].median_s) if "reference" in t and \
            base_label != "reference" else None
        target = self.target_speedup
        if target is not None and sp < SPEED_TOLERANCE * target:
            try:                               # noise happens: time once more, keep the best
                t2 = measure([base_label, "yours"])
                sp2 = t2[base_label].median_s / t2["yours"].median_s
            except Exception:
                sp2 = 0.0
            if sp2 > sp:
                t.update(t2)
                sp = sp2
        timings = {k: v.median_s for k, v in t.items()}
        ref_txt = f"; the reference solution reaches {_bench.format_speedup(ref_sp)}" if ref_sp else ""
        yours = _bench.format_time(t["yours"].median_s)
        if target is None:
            return self._verdict("pass", f"correct; {_bench.format_speedup(sp)} vs the {base_label} "
                                 f"({yours} per call){ref_txt}", speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        if sp >= SPEED_TOLERANCE * target:
            return self._verdict("pass", f"correct and fast: {_bench.format_speedup(sp)} vs the "
                                 f"{base_label}, target {_bench.format_speedup(target)} "
                                 f"({yours} per call){ref_txt}", speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        return self._verdict("too slow", f"correct, but {_bench.format_speedup(sp)} vs the "
                             f"{base_label}; target {_bench.format_speedup(target)} "
                             f"(passes from {_bench.format_speedup(SPEED_TOLERANCE * target)})"
                             f"{ref_txt}", speedup=sp, reference_speedup=ref_sp, timings=timings)
