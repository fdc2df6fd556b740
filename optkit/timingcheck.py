"""What optkit.check asks of the learner's timed calls: the last timed output, and a second look
at the speed on inputs the check never used.

The timed rounds (:func:`optkit.bench.compare` through :class:`optkit.guard.Fed`) call every
variant again and again on the first check input, which the learner's function has already seen
during the correctness calls. A function that keeps its results by input (a dictionary keyed on
the input's bytes, returning a copy) is then timed as a look-up, whatever its real computation
costs. So, once the timed rounds reach the target, :func:`seen_only` calls the function alone on
an input built from a seed the check never used (the exercise's ``make_args``), compares its
result with the reference (a wrong result there is "wrong") and times that one call. It refuses
only when the fresh call is clearly slower than the timed rounds: its speedup against the
baseline's timed median is below :func:`fresh_floor` (``target / SLOWER``; at least 1, as fast
as the baseline, where ``target / CLEAR_RATIO`` is above 1; never above ``target / CLEAR_RATIO``)
and it took over ``SLOWER`` times the learner's timed median plus ``NOISE_S``, and so on each of
``FRESH_INPUTS`` fresh inputs (a noisy call never refuses a right answer). ``NOISE_S`` is there
because one call timed alone on a new input, in the check's watched thread, pays for cold caches
and new memory: tens of microseconds, several times a warm call of a function of microseconds.
So a cache whose computation on a miss takes less than ``SLOWER`` times its look-up plus
``NOISE_S`` (about 0.1 ms) is not told apart. The baseline's fresh calls are not timed: one
call is too noisy a yardstick, and the learner's code could disturb it. The fresh seeds are drawn
anew on every check run, so a cache filled by an earlier run of the check cell has not met them;
an ``out`` buffer of a fresh input is written once before the call, so that its first-touch page
faults are not timed. The extra cost is one call of the function and of the reference (up to
``FRESH_INPUTS`` of each while the calls look slow), plus building the inputs; exercises whose
seeds are not integers, or whose ``make_args`` refuses a new seed, are not looked at again.
"""
from __future__ import annotations

import copy
import random

from .fmt import format_speedup, format_time
from .guard import CheckTimeout, Fed, compile_for, run_until, tripwires
from .i18n import tr
from .timing import CLEAR_RATIO

__all__ = ["NOISE_S", "SLOWER", "call_once", "fresh_floor", "fresh_seeds", "seen_only",
           "timed_output_problem", "touched"]

SLOWER = 3.0        # "clearly slower": beyond this factor on both counts, on every fresh input
FRESH_INPUTS = 3    # at most this many fresh inputs (the later ones only confirm a slow first)
NOISE_S = 100e-6    # one call timed alone in the check's watched thread varies by tens of µs


def timed_output_problem(yours, expected, compare, out_arg=None, racy=False):
    """What is wrong with the output of the last timed call of the learner's function (a
    function may behave during the checks and not while it is timed), or None. ``yours``: its
    :class:`optkit.guard.Fed`; ``expected()``: the reference's output on a fresh copy of the
    timed input; ``compare(expected, got)`` raises AssertionError on a mismatch; ``racy``: the
    exercise has ``race_args`` (a mismatch on the same input is then called a race)."""
    if not yours.calls:
        return tr("the timing did not call your function (was optkit.bench changed?)")
    if yours.same_object and out_arg is None:
        return tr("your function returned the very same array object on repeated calls: "
                  "each call must compute its result (no cache of earlier results)")
    try:
        compare(expected(), yours.last)
    except AssertionError as exc:
        if racy:    # right before, wrong now on the same input: a race
            return tr("correct during the checks, but a timed call on the same input gave a different "
                      "result (a data race, or state kept between calls?): {exc}; make sure no two threads "
                      "write the same memory and that a call keeps nothing for the next one", exc=exc)
        return tr("correct during the checks, but wrong while timed (last timed call): {exc}", exc=exc)
    return None


def fresh_seeds(seeds, n=FRESH_INPUTS) -> list:
    """``n`` distinct integer seeds the check does not use, drawn anew on every call (a cache
    kept from an earlier run of the check cell has not seen them), or none when one of its seeds
    is not an integer (then ``make_args`` may take something else)."""
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        return []
    draw, out = random.SystemRandom(), []
    while len(out) < n:
        s = draw.randrange(2 ** 20, 2 ** 31)
        if s not in seeds and s not in out:
            out.append(s)
    return out


def fresh_floor(target) -> float:
    """The speedup a fresh call must keep: ``target / SLOWER``, but at least 1 (as fast as the
    baseline) where ``target / CLEAR_RATIO`` is above 1, and never above ``target / CLEAR_RATIO``
    (a low target leaves a narrow allowance: a cache must not pass by being slower than the
    baseline on new inputs)."""
    return min(target / CLEAR_RATIO, max(1.0, target / SLOWER))


def touched(args, out_arg):
    """``args`` with the ``out`` buffer at ``out_arg`` (if any, and a writable NumPy array)
    written once, so that a fresh buffer's page faults are not part of the call that is timed."""
    import numpy as np

    args = args if isinstance(args, tuple) else (args,)
    if out_arg is not None and isinstance(args[out_arg], np.ndarray) and args[out_arg].flags.writeable:
        args[out_arg].fill(0)
    return args


def call_once(fn, mine, trips, hits, budget, changed=None):
    """``call(args) -> (state, value, seconds)`` for :func:`seen_only`: ``mine`` (the learner's
    ``fn`` as the timed rounds wrap it, :func:`optkit.guard.armed_while`) once on ``args`` as
    the timed rounds call it (a :class:`optkit.guard.Fed`, the tripwires ``trips`` held), that
    call alone timed; "called" when a forbidden function was called (``hits`` not empty);
    ``("wrong", message, seconds)`` when ``changed(pristine copy of args, args)`` says what the
    call did to its inputs (a message, or None when they came back unchanged)."""
    def call(args):
        state = compile_for(fn, args)        # a Numba compile for a new signature is not timed
        if state != "ok":
            raise CheckTimeout("compile " + state, "compiling")
        try:
            before = copy.deepcopy(args) if changed is not None else None
        except Exception:      # noqa: BLE001 - an input that cannot be copied is not compared
            before = None
        fed = Fed(mine, args)
        with tripwires(trips):
            state, value = run_until(fed, (), lambda: fed.used() > budget, budget + 30)
        problem = changed(before, args) if state == "ok" and not hits and before is not None else None
        return ("called" if hits else "wrong" if problem else state), problem or value, fed.spent
    return call


def seen_only(call, build, check, seeds, yours_s, base_s, target, base_shown="baseline"):
    """A second look at a speed that reached the target; None when it holds (or cannot be
    looked at), else ``(state, value, args)``:

    - ``("wrong", message, args)``: wrong on a fresh input;
    - ``("too slow", message, None)``: fast only on inputs it has already seen;
    - ``(state, value, args)`` from ``call`` where that is not "ok" ("raised" with the
      exception, "timeout", "stuck", "called" when it called a forbidden function).

    ``call(args) -> (state, value, seconds)`` runs the learner's function once as the timed
    rounds do and times that call alone; ``build(seed)`` makes the arguments (an exception:
    no fresh input, nothing more is looked at); ``check(seed, got)`` compares ``got`` with the
    reference's output on that seed's input (AssertionError on a mismatch); ``yours_s`` and
    ``base_s``: the learner's and the baseline's timed medians; ``base_shown``: how the verdict
    names the baseline (translated)."""
    if not (target and yours_s > 0 and base_s > 0):
        return None
    times = []
    for seed in fresh_seeds(seeds):
        try:
            args = build(seed)
        except Exception:       # noqa: BLE001 - make_args does not take this seed: no fresh input
            return None
        args = args if isinstance(args, tuple) else (args,)
        state, value, spent = call(args)
        if state != "ok":
            return state, value, args
        try:
            check(seed, value)
        except AssertionError as exc:
            return "wrong", tr("correct on the check's inputs, but wrong on an input it had not used: "
                               "{exc}", exc=exc), args
        if not (spent > 0 and base_s / spent < fresh_floor(target) and spent > SLOWER * yours_s + NOISE_S):
            return None         # as fast as timed (within the noise allowance): the speed holds
        times.append(spent)
    if len(times) < FRESH_INPUTS:
        return None
    fresh = min(times)          # the fastest of the fresh calls
    return "too slow", tr(
        "correct, but fast only on inputs it has already seen (a cache of earlier results?): timed on "
        "the check's own input, {yours} per call ({speedup} vs the {base}); on {n} inputs the check had "
        "not used, {fresh} or more per call ({fresh_speedup}); the target is {target}. Each call must "
        "compute its result", yours=format_time(yours_s), speedup=format_speedup(base_s / yours_s),
        base=base_shown, n=len(times), fresh=format_time(fresh), fresh_speedup=format_speedup(base_s / fresh),
        target=format_speedup(target)), None
