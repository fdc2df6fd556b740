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
   with :func:`optkit.bench.compare` (interleaved rounds, median per call) on the first input,
   against the baseline (else the reference). PASS means the learner's median speedup is at
   least ``target_speedup``, no tolerance; a flagged (noisy/waiting) timing within CLEAR_RATIO
   of the target is measured again and never passed on ("not confirmed"); nor is a speed seen
   only on inputs met before, a cache of results (see :mod:`optkit.timingcheck`). The learner's
   timed calls count against the time budget too (``time_budget_s``, steps 1-3: :mod:`optkit.guard`);
4. shows the verdict (HTML block ``class="optkit-verdict" data-status=...`` plus a plain-text
   form for consoles and nbclient) and records it in :data:`VERDICTS` and, when the
   environment variable ``OPTKIT_VERDICTS`` names a file, as one JSON line there.

Statuses: "pass", "wrong", "too slow", "error" (the function raised), "timeout" (the time
budget ran out), "not yet" (the function raised NotImplementedError: an untouched stub).
"""
from __future__ import annotations

import copy
import inspect
import sys
from time import perf_counter as _now   # bound at import (a learner may patch time.perf_counter)

from . import bench as _bench
from . import outputs as _outputs
from . import timingcheck as _timingcheck
from .checkguard import Held, settings, timed_input_problem
from .timing import CLEAR_RATIO
from .fmt import format_speedup, format_time
from .i18n import tr
from .verdict import STATUSES, VERDICTS, Verdict, record, show
from .guard import (COMPILE_LIMIT_S, CheckTimeout, Fed, abandoned_alive, armed_while, compile_for,
                    forbidden_trips, frozen_helpers, plain_function, run_until, run_with_budget, short_tb,
                    tripwires)
from .rules import (code_of, compile_failure, describe_args, float_hint, forbidden_name, known_as, list_hint, name_of,
                    param_names, prange_race_rule, quality_kinds, quality_warning, result_type_check,
                    same_int, snapshot_value, static_calls)

__all__ = ["Exercise", "Verdict", "VERDICTS", "STATUSES", "describe_args", "prange_race_rule",
           "same_int"]

TIMING_MIN_TIME = 0.05      # seconds per timed repeat in checks (short: checks must be quick)
TIMING_REPEAT = 5
TIMING_MAX_TIME = 3.0       # seconds of timed repeats per function; slow ones get fewer repeats


_B = frozen_helpers(_outputs, ("assert_same", "compare_arrays", "as_array", "identical"))
_assert_same = _B["assert_same"]


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
      many times on that (larger) input; different results on identical input fail as a race,
      unless one ``race_item`` ("box") differs from the reference on every run (a bug, not a race);
    - ``rules``: structural rules the task states, each ``rule(fn, args) -> None or a message``
      saying what breaks the rule (it calls ``fn`` itself, e.g. counting pool tasks);
    - ``reference_name``: how a verdict names the reference's own speedup ("NumPy's
      b.sum" when the reference is a library call, not a solution of the task).
    """

    def __init__(self, name, reference, make_args, *, baseline=None, target_speedup=None,
                 compare=None, rtol=1e-6, atol=0, time_budget_s=30.0, seeds=(0, 1, 2),
                 cases=(), describe=None, out_arg=None, bad_inputs=(), forbid=(),
                 race_args=None, race_repeats=4, check_inputs=True, rules=(),
                 reference_name=None, race_item="item"):
        if not callable(reference):
            raise TypeError("reference must be callable")
        if not callable(make_args):
            raise TypeError("make_args must be a callable seed -> tuple of arguments")
        if baseline is not None and not callable(baseline):
            raise TypeError("baseline must be callable")
        time_budget_s, seeds, target_speedup = settings(time_budget_s, seeds, target_speedup)
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
        self.race_repeats, self.race_item = int(race_repeats), race_item
        self.check_inputs = bool(check_inputs)
        self.rules = tuple(rules)
        self.forbidden = {}                   # code object -> name shown in the verdict
        self._guarded = []                    # the forbidden plain functions, for tripwires
        for f, why in [(reference, "the exercise's reference"), (baseline, "the exercise's baseline")] + \
                [(f, "a ready-made version of what the exercise asks") for f in forbid]:
            code = code_of(f) if f is not None else None
            if code is not None and code not in self.forbidden:
                self.forbidden[code] = (name_of(f), why)     # shown as "name (why)", translated
            plain = plain_function(f)
            if plain is not None and code is not None and plain.__code__ is code:
                self._guarded.append(plain)

    def __repr__(self):
        t = f", target x{self.target_speedup:g}" if self.target_speedup else ""
        return f"<Exercise {self.name!r}{t}>"

    def _args(self, seed):
        args = self.make_args(seed)
        return args if isinstance(args, tuple) else (args,)

    def check(self, fn, *, display=True) -> Verdict:
        """Check ``fn``; show and record the verdict; never raises (except KeyboardInterrupt)."""
        held = Held(self)      # settings, and what reference and baseline read: restored, refused if changed
        try:
            verdict = self._check(fn)
        except CheckTimeout as t:
            verdict = self._timeout(t.state, t.where)
        except KeyboardInterrupt:
            held.release(None)
            raise
        except BaseException as exc:   # noqa: BLE001 - a broken exercise must not stop Run All
            verdict = Verdict(self.name, "error", tr("the check itself failed: {kind}: {exc}",
                                                     kind=type(exc).__name__, exc=exc),
                              details=short_tb(exc))
        verdict = held.release(verdict)
        record(verdict)
        if display:
            show(verdict)
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
            yield (lambda a, k=k: tr("input {k} of {n} ({args})", k=k + 1, n=n, args=self.describe(a))
                   if n > 1 or a else tr("its one call, with no arguments")), \
                (lambda seed=seed: self._args(seed))
        for label, args in self.cases:
            build = args if callable(args) else (lambda args=args: args)
            yield (lambda a, label=label: tr("the input where {label} ({args})", label=tr(label),
                                             args=self.describe(a))), \
                (lambda build=build: (lambda r: r if isinstance(r, tuple) else (r,))(build()))

    def _call(self, fn, args, budget):
        """Run the learner's fn under the budget, watching for calls of forbidden functions:
        a profiler in the calling thread (it also sees clones of them), and tripwires on the
        forbidden functions and on their clones reachable from fn's globals (containers,
        defaults, closures: guard.clones_in_globals), which every thread trips (a helper run by
        a thread pool's worker included). The timed calls (``_time``) keep the tripwires armed.
        Not caught: work sent to a process pool (another process runs outside every tripwire
        and profiler here), and copies of the reference made while fn runs."""
        state = compile_for(fn, args)         # a Numba compile does not count against the budget
        if state != "ok":
            raise CheckTimeout("compile " + state, "compiling")
        hits = []
        keys, cache, own, trips = forbidden_trips(fn, self.forbidden, self._guarded, hits)
        forbidden = self.forbidden if not abandoned_alive() else {}

        def prof(frame, event, arg):
            if event == "call":
                name = forbidden_name(frame.f_code, forbidden, keys, own, cache)
                if name is not None and name not in hits:
                    hits.append(name)

        def watched(*a):
            sys.setprofile(prof)
            try:
                return fn(*a)
            finally:
                sys.setprofile(None)

        t0 = _now()
        with tripwires(trips):
            state, value = run_with_budget(watched if forbidden else fn, args, {}, budget)
        return state, value, _now() - t0, hits

    def _timeout(self, state, where, notes=()):
        v = self._timeout_verdict(state, where)
        v.message += "".join(notes or ())       # what guard's give-up undid (guard.undo_on_give_up)
        earlier = abandoned_alive() - state.endswith("stuck")   # a call just given up on is this one
        if earlier > 0:
            v.message += tr(" (note: {n} earlier call(s), given up on before this one, still run in the "
                            "background and compete for the CPU; restart the kernel and check again if "
                            "this function should be quick)", n=earlier)
        return v

    def _timeout_verdict(self, state, where):
        if state == "compile busy":           # guard.compiler_busy: a compile given up on before
            return self._verdict("timeout", tr("an earlier compile still runs (a Numba compile given "
                                               "up on keeps Numba's compiler lock, so no new compile "
                                               "can start): restart the kernel, then check again"))
        if state.startswith("compile "):      # the compile's own limit, apart from the time budget
            return self._verdict("timeout", tr(
                "compiling your Numba function did not end within {s:g} s (its own limit; the time "
                "budget counts only your calls)", s=COMPILE_LIMIT_S) + (tr(
                    ". The compile could not be stopped and keeps Numba's compiler lock: restart the "
                    "kernel") if state == "compile stuck" else ""))
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
                             details=short_tb(value))

    def _check(self, fn) -> Verdict:
        if not callable(fn):
            return self._verdict("error", tr("expected a function, got {kind}", kind=type(fn).__name__))
        failed = compile_failure(fn)
        if failed:
            return self._verdict("error", failed)
        same = self.forbidden.get(code_of(fn))   # fn IS the reference (an alias, a partial of it)
        if same is not None:             # (a function of one's own with the same code is not: it runs)
            return self._verdict("wrong", tr("the function you passed is {name} ({why}) itself: the "
                                             "exercise asks you to write that computation yourself",
                                             name=known_as(same[0]), why=tr(same[1])))
        calls = static_calls(fn, self.forbidden)
        if calls:
            return self._called(calls, fn)
        budget = self.time_budget_s          # spent only by the learner's own calls
        first_args, first_rebuild, call_s = None, None, float("inf")
        for describe, build in self._inputs():
            args = build()
            if first_args is None:
                first_args, first_rebuild = args, build
            where = describe(args)
            mine = self._fresh(build, args)
            before = [None if k == self.out_arg else snapshot_value(a)
                      for k, a in enumerate(mine)] if self.check_inputs else []
            state, value, spent, hits = self._call(fn, mine, budget)
            budget -= spent
            expected = self._expected(build) if state == "ok" else None
            if hits:
                return self._called(hits, fn)
            if state in ("timeout", "stuck"):
                return self._timeout(state, where)
            if state == "raised":
                return self._raised(value, where, fn)
            call_s = min(call_s, spent)
            changed = self._changed_input(fn, before, mine)
            if changed:
                return self._verdict("wrong", tr("{problem} (on {where})", problem=changed, where=where))
            if self.out_arg is not None and value is not mine[self.out_arg]:
                oname = param_names(fn, len(mine))[self.out_arg]
                what = tr("returned None") if value is None else tr("returned a new object")
                return self._verdict("wrong", tr("the task says to write the result into `{out}` "
                                                 "and return it; your function {what} (on {where})",
                                                 out=oname, what=what, where=where))
            try:
                self._compare_within(expected, value, budget)
            except AssertionError as exc:
                if self.race_args is not None:        # a race exercise: is it one?
                    if race := self._race_on(fn, build, budget) or self._race_on(fn, self.race_args, budget):
                        return self._verdict("wrong", tr("{problem} (on {where})", problem=race, where=where))
                    race = self._rule_messages(fn, build(), budget)
                    if race:
                        return self._verdict("wrong", tr("wrong result on {where}: {exc}; and {rule}",
                                                         where=where, exc=exc, rule=race))
                return self._verdict("wrong", tr("wrong result on {where}: {exc}", where=where, exc=exc)
                                     + f"{float_hint(exc, expected)}{list_hint(expected, value)}")
        left = [budget]             # step 2's calls count against the budget too (E48 4)
        for label, args, exc_types in self.bad_inputs:
            build = args if callable(args) else (lambda args=args: args)
            a = build()
            a = a if isinstance(a, tuple) else (a,)
            if (v := self._refuses(fn, tr(label), a, exc_types, left)) is not None:
                return v
        if self.race_args is not None and (race := self._race_on(fn, self.race_args, left)):
            return self._verdict("wrong", race)
        budget = left[0]
        for rule in self.rules:
            args = self._fresh(first_rebuild, first_args)
            t0 = _now()
            state, value = run_with_budget(rule, (fn, args), {}, max(1.0, budget))
            budget -= _now() - t0
            if state in ("timeout", "stuck"):      # a stuck rule's value: its undo notes
                return self._timeout(state, tr("checking the task's rules"),
                                     value if state == "stuck" else ())
            if state == "raised":
                return self._raised(value, tr("checking the task's rules"), fn)
            if value:
                return self._verdict("wrong", tr("correct values, but {rule}", rule=value))
        return self._time(fn, first_rebuild, first_args, budget, call_s)

    def _rule_messages(self, fn, args, budget):
        """What the task's rules say about fn (used to explain a wrong result), or None."""
        for rule in self.rules:
            state, value = run_with_budget(rule, (fn, args), {}, max(1.0, budget))
            if state == "ok" and value:
                return value
        return None

    def _called(self, names, fn=None):
        shown = ", ".join(f"{known_as(name, fn)} ({tr(why)})" for name, why in names)
        return self._verdict("wrong", tr("your function calls {names}: the exercise asks you to "
                                         "write that computation yourself", names=shown))

    def _changed_input(self, fn, before, args):
        names = param_names(fn, len(args))
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

    def _refuses(self, fn, label, args, exc_types, left):
        exc_types = exc_types if isinstance(exc_types, tuple) else (exc_types,)
        want = tr(" or ").join(t.__name__ for t in exc_types)
        state, value, spent, _ = self._call(fn, args, max(1.0, left[0]))   # left: [s], shared in step 2
        left[0] -= spent
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
                             details=short_tb(value))

    def _race_on(self, fn, build, budget, reference=False):
        """Repeat fn on one input; a message when the results differ (budget: s, or [s left] to spend)."""
        left = budget if isinstance(budget, list) else [budget]
        args = build()
        args = args if isinstance(args, tuple) else (args,)
        results = []
        for _ in range(max(2, self.race_repeats)):
            state, value, spent, _ = self._call(fn, self._fresh(build, args), max(1.0, left[0]))
            left[0] -= spent
            if state != "ok":
                return None if not reference else (
                    tr("on a larger input ({args}) your function raised {kind}",
                       args=self.describe(args), kind=type(value).__name__) if state == "raised" else
                    tr("on a larger input ({args}) your function ran out of time", args=self.describe(args)))
            results.append(value)
            if len(results) > 1:
                try:
                    result_type_check(results[0], value, False)
                    _assert_same(results[0], value, rtol=0, atol=0)
                except AssertionError as exc:
                    ref = self.reference(*self._fresh(build, args))    # the same item wrong every run?
                    if off := _outputs.steady_items_off(ref, results, self._compare):
                        return tr("{item} {k} differs from {ref} on every run ({n} runs on {args}): "
                                  "is every {item} computed? (or do two threads write it: a data race?)", item=tr(self.race_item),
                                  k=off[0], ref=name_of(self.reference), n=len(results),
                                  args=self.describe(args))
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
        args = build() if self.held.verify() is None else None     # (checkguard.Changed: a rebound global)
        return self.reference(*(args if isinstance(args, tuple) else (args,)))

    def _compare_within(self, expected, got, budget, where="comparing your result"):
        """_compare in a worker thread under the budget (a result's hostile ``shape`` or
        ``__eq__`` must not hang the check); AssertionError on a mismatch."""
        state, value = run_with_budget(self._compare, (expected, got), {}, max(1.0, budget))
        if state in ("timeout", "stuck"):
            raise CheckTimeout(state, where)
        if state == "raised":
            if isinstance(value, AssertionError):
                raise value
            raise AssertionError(f"comparing your result with the reference failed: "
                                 f"{type(value).__name__}: {value}")

    def _compare(self, expected, got):
        result_type_check(expected, got, self.compare is not None)
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

    def _seen_again(self, fn, mine, trips, hits, cmp, base_label, budget):
        got = _timingcheck.seen_only(
            _timingcheck.call_once(fn, mine, trips, hits, budget, lambda before, now: timed_input_problem(
                self._changed_input, fn, before, now, self.check_inputs)),
            lambda seed: _timingcheck.touched(self._args(seed), self.out_arg), lambda seed, value:
            self._compare_within(self._expected(lambda: self._args(seed)), value, budget), self.seeds,
            cmp["yours"].median_s, cmp[base_label].median_s, self.target_speedup, tr(base_label))
        state, value, args = got or (None, None, None)
        where = tr("an input the check had not used ({args})", args=self.describe(args)) if args else ""
        value = value + tr("; that input: {args}", args=self.describe(args)) if state == "wrong" else value
        return None if got is None else self._verdict(state, value) if state in ("wrong", "too slow") \
            else self._called(hits, fn) if state == "called" else self._raised(value, where, fn) \
            if state == "raised" else self._timeout(state, where)

    def _time(self, fn, rebuild, args, budget, call_s) -> Verdict:
        base = self.baseline
        if base is None and self.target_speedup is None:
            n = len(self.seeds) + len(self.cases)
            return self._verdict("pass", tr("correct on {n} input" if n == 1 else "correct on {n} inputs", n=n))
        base_label = "baseline" if base is not None else "reference"
        base_shown = tr(base_label)
        funcs = {base_label: base if base is not None else self.reference}
        if base is not None and base is not self.reference:    # (not the baseline against itself)
            funcs["reference"] = self.reference
        funcs["yours"] = fn
        need = 4 * call_s        # yours counts against the budget: a warm-up call, three timed repeats at least
        if need > budget:       # without a target there is nothing to be too slow for (E48 5)
            kw = dict(call=format_time(call_s), budget=f"{self.time_budget_s:g}",
                      target=format_speedup(self.target_speedup), base=base_shown)
            return self._verdict("too slow", tr(
                "correct, but one call takes {call}: timing it (about four calls) does not fit in what is left "
                "of the {budget} s time budget; the target is {target} vs the {base}", **kw)) if self.target_speedup \
                else self._verdict("pass", tr("correct, but one call takes {call}: not timed (about four calls do "
                                              "not fit in what is left of the {budget} s time budget)", **kw))
        max_time = max(TIMING_MIN_TIME, min(TIMING_MAX_TIME, (budget - call_s) / 2))
        armed, hits = [False], []    # tripwires armed while yours is timed (not the others); one wrapper for all
        trips = forbidden_trips(fn, self.forbidden, self._guarded, hits, armed)[3]
        wrapped = {label: armed_while(f, armed, label == "yours") for label, f in funcs.items()}
        def measure():    # -> (state, comparison, what is wrong with the timed output or None)
            fed = {label: Fed(f, self._fresh(rebuild, args)) for label, f in wrapped.items()}
            with tripwires(trips):
                state, cmp = run_until(
                    lambda: _bench.compare(fed, *self._fresh(rebuild, args), baseline=base_label,
                                           check=lambda ref, out: True, repeat=TIMING_REPEAT,
                                           min_time=TIMING_MIN_TIME, max_time=max_time,
                                           out_args=() if self.out_arg is None else (self.out_arg,)),
                    (), lambda: fed["yours"].used() > budget,
                    budget + (len(fed) - 1) * (4 * TIMING_MAX_TIME + 30))
            if hits:
                return "called", cmp, None
            if state == "raised":
                raise cmp
            left = budget - fed["yours"].used()
            return state, cmp, timed_input_problem(self._changed_input, fn, self._fresh(rebuild, args), fed[
                "yours"].args, self.check_inputs) or _timingcheck.timed_output_problem(
                fed["yours"], lambda: self._expected(rebuild), lambda e, g: self._compare_within(
                    e, g, left, tr("checking the timed calls")), self.out_arg, self.race_args is not None
            ) if state == "ok" else None
        try:
            state, cmp, wrong = measure()
            if state in ("called", "timeout", "stuck"):
                return self._called(hits, fn) if state == "called" else self._timeout(state, "timing it")
            if wrong:
                return self._verdict("wrong", wrong)
            sp, target = cmp.speedup("yours"), self.target_speedup
            # a PASS never rests on a figure its own warning calls unreliable: flagged, and
            # within the noise rule's ratio of the target, it is measured once more
            unsure = target is not None and target <= sp < target * CLEAR_RATIO and quality_kinds(cmp)
            if unsure:
                state, again, wrong = measure()
                if state == "called" or wrong:
                    return self._called(hits, fn) if state == "called" else self._verdict("wrong", wrong)
                if state == "ok":
                    cmp, sp = again, again.speedup("yours")
                    unsure = sp < target * CLEAR_RATIO and quality_kinds(cmp)
        except Exception as exc:       # e.g. the learner's function fails on a later call
            return self._verdict("error", tr("correct, but timing it failed: {kind}: {exc}",
                                             kind=type(exc).__name__, exc=exc), details=short_tb(exc))
        if target is not None and sp >= target and not unsure and (seen := self._seen_again(
                fn, wrapped["yours"], trips, hits, cmp, base_label, max(1.0, budget))) is not None:
            return seen          # fast on the timed input, not on inputs it had never seen (a cache?)
        t = {label: cmp[label] for label in funcs}
        ref_sp = cmp.speedup("reference") if "reference" in funcs and base_label != "reference" else None
        timings = {k: v.median_s for k, v in t.items()}
        if self.reference_name:
            ref_txt = tr("; {name} reaches {speedup}", name=self.reference_name,
                         speedup=format_speedup(ref_sp)) if ref_sp else ""
        else:
            ref_txt = tr("; the reference solution reaches {speedup}",
                         speedup=format_speedup(ref_sp)) if ref_sp else ""
        yours = format_time(t["yours"].median_s)
        ref_txt += quality_warning(cmp)        # the bench table's ⚠ lines, in short
        if target is None:
            return self._verdict("pass", tr("correct; {speedup} vs the {base} ({yours} per call)",
                                            speedup=format_speedup(sp), base=base_shown,
                                            yours=yours) + ref_txt, speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        if sp >= target and unsure:
            return self._verdict("too slow", tr(
                "not confirmed: {speedup} vs the {base}, target {target}, but measured twice on a "
                "flagged timing, and within the noise margin (x{ratio:g}) of the target: run the "
                "check again", speedup=format_speedup(sp), base=base_shown,
                target=format_speedup(target), ratio=CLEAR_RATIO) + ref_txt, speedup=sp,
                reference_speedup=ref_sp, timings=timings)
        if sp >= target:
            return self._verdict("pass", tr("correct and fast: {speedup} vs the {base}, target "
                                            "{target} ({yours} per call)" if sp >= 1 else  # not "fast"
                                            "correct, within the target: {speedup} vs the {base}, "
                                            "target {target} ({yours} per call)",
                                            speedup=format_speedup(sp), base=base_shown,
                                            target=format_speedup(target), yours=yours)
                                 + ref_txt, speedup=sp,
                                 reference_speedup=ref_sp, timings=timings)
        return self._verdict("too slow", tr("correct, but {speedup} vs the {base}; target {target}",
                                            speedup=format_speedup(sp, below=target), base=base_shown,
                                            target=format_speedup(target))
                             + ref_txt, speedup=sp, reference_speedup=ref_sp, timings=timings)

