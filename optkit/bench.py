"""Time several implementations of the same job: correctness first, noise-aware, with context.

Example::

    import numpy as np
    from optkit import bench

    x = np.random.default_rng(0).random(100_000)

    def loop(x):
        return sum(v * v for v in x)

    def vectorised(x):
        return float((x * x).sum())

    cmp = bench.compare({"python loop": loop, "numpy": vectorised}, x, rtol=1e-9)
    cmp                      # HTML table in a notebook: first call, best, median, IQR, speedup
    cmp.speedup("numpy")     # baseline median / numpy median
    cmp.plot()               # speedup bars (optkit.plot.speedup_bars)

How a measurement is taken (per variant, all variants get the *same* input objects; for
:func:`sweep_threads`, per variant and thread count, all of them in one set of rounds):

1. warm-up: one call, timed on its own -> ``first_call_s`` (Numba/Cython compilation,
   lazy imports and cold caches land here and nowhere else);
2. its output is checked against the FIRST variant's output (numeric arrays: same shape and
   ``np.isclose(out, ref, rtol, atol)`` element-wise with NaN equal to NaN, by default
   ``rtol=1e-7, atol=0``; other arrays ``==``; lists/tuples/dicts element by element; ``==``
   otherwise; or your ``check(ref, out)``);
   a difference raises :class:`MismatchError` naming the variant *before* any timing;
3. calibration: per variant, the loop count grows 1, 2, 5, 10, 20, 50 ... until one repeat
   of ``loops`` calls takes at least ``min_time`` seconds (like ``timeit.Timer.autorange``);
   this round fixes ``loops`` and is not a sample;
4. ``repeat`` interleaved rounds: each round times one repeat of every variant, the first
   variant rotating (A B, B A, A B ...), so a burst of load elsewhere or a change of CPU
   frequency falls on all variants alike (garbage collection paused inside a repeat, as
   timeit does). Per-call best, median and inter-quartile range (IQR) are reported; the
   median is the headline (every speedup, chart and efficiency), the IQR its spread. When
   ``repeat`` repeats would take longer than ``max_time`` seconds (slow functions), fewer
   repeats are made for it, never fewer than three (the other variants go on in the
   later rounds without it).

Next to wall time, each repeat records CPU time of this process and of its child processes
(pool, DataLoader or Dask workers): ``Timing.cpu_use`` (CPU / wall) is about 1 for
single-threaded code on a quiet machine, above 1 when several threads or workers work, and
well below 1 when the work waited (other programs on the same cores, I/O, sleep, a GPU);
``Timing.where`` names the likely place, and :meth:`Comparison.warnings` says so in plain
words, as does the HTML table.

:func:`measure` is the same timing without the correctness check (variants checked
elsewhere); :func:`time_once` times one call of work too slow to repeat, with the same CPU
accounting. Every timer of the course goes through these.

All variants receive the very same argument objects, so a variant must not modify its
inputs; if one does (positional arguments are compared with a copy after each warm-up
call), a warning names it.

The harness costs a little per call (a Python ``for`` loop and the call itself);
:func:`overhead` measures it by timing a no-op through the same path.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from contextlib import contextmanager, nullcontext
from typing import Callable

from optkit.context import context
from optkit.fmt import format_speedup, format_time
from optkit.i18n import tr
from optkit.machine import machine_busy_s
from optkit.outputs import MismatchError, assert_same, check_output
from optkit.results import Comparison, Sweep
from optkit.timing import (CLEAR_RATIO, clearly_below_top, clearly_different, noise_note, DEFAULT_MAX_TIME, Timing, Variant, first_call, measure, overhead, quartiles, rounds,
                           time_once)

__all__ = [
    "MismatchError", "Timing", "Comparison", "Sweep", "compare", "measure", "time_once",
    "sweep_sizes", "sweep_threads", "context", "overhead", "assert_same", "format_time", "format_speedup",
    "machine_busy_s", "clearly_different", "clearly_below_top", "noise_note", "CLEAR_RATIO",
    "compare_or_wrong", "matches_reference", "same_code",
]

def _plain_data(obj, depth=0) -> bool:
    """True for values whose equality is meaningful after a deep copy (arrays, containers)."""
    import numpy as np

    if depth > 3:
        return False
    if isinstance(obj, (np.ndarray, np.generic, str, bytes, int, float, complex, bool, type(None))):
        return True
    if isinstance(obj, (list, tuple)):
        return len(obj) <= 10_000 and all(_plain_data(o, depth + 1) for o in obj)
    if isinstance(obj, dict):
        return len(obj) <= 10_000 and all(_plain_data(o, depth + 1) for o in obj.values())
    return False


def _snapshot(args):
    """Copies of the positional arguments that can be compared later ({index: copy})."""
    import copy

    snap = {}
    for i, a in enumerate(args):
        if _plain_data(a):
            try:
                snap[i] = copy.deepcopy(a)
            except Exception:
                pass
    return snap


def _warn_if_modified(label, args, snap):
    import warnings

    for i, before in snap.items():
        try:
            assert_same(before, args[i], rtol=0, atol=0, strict_dtype=True)
        except MismatchError:
            warnings.warn(f"optkit.bench: variant {label!r} modified its input (positional "
                          f"argument {i}); all variants share the same input objects, so the "
                          "variants after it were measured on changed data. Copy inside the "
                          "variant or make it work out of place.", RuntimeWarning, stacklevel=4)
            snap[i] = _snapshot((args[i],)).get(0)   # report each change once


def _validate_funcs(funcs):
    if not isinstance(funcs, dict) or not funcs:
        raise TypeError("funcs must be a non-empty dict mapping label -> callable")
    for label, f in funcs.items():
        if not callable(f):
            raise TypeError(f"variant {label!r} is not callable: {f!r}")


def _warm_and_check(funcs, args, kwargs, *, check, rtol, atol, controls, warmup, snap,
                    ref_label=None, ref=None, skip=()):
    """Warm-up call(s) and correctness check of every variant, before any timing:
    ``(first-call seconds per label, reference label, reference output)``. The first
    variant's output is the reference unless ``ref_label``/``ref`` are given. Positional
    arguments whose index is in ``skip`` (output buffers) are not watched for changes."""
    firsts = {}
    for label, f in funcs.items():
        try:
            with controls.get(label, nullcontext)():
                out, first = first_call(f, args, kwargs)
                for _ in range(max(0, warmup - 1)):
                    f(*args, **kwargs)
        except Exception as exc:
            _add_note(exc, f"optkit.bench: raised by variant {label!r} during its warm-up call")
            raise
        if snap:
            _warn_if_modified(label, args, snap)
        firsts[label] = first
        if ref_label is None:  # keep a private copy: later variants may reuse the same buffer
            ref_label, ref = label, _snapshot((out,)).get(0, out)
        else:
            check_output(label, ref_label, ref, out, check, rtol, atol)
        del out
    return firsts, ref_label, ref


def _compare_impl(funcs, args, kwargs, *, baseline, check, repeat, min_time, rtol, atol,
                  controls=None, max_time=DEFAULT_MAX_TIME, warmup=1, out_args=()):
    _validate_funcs(funcs)
    labels = list(funcs)
    if baseline is None:
        baseline = labels[0]
    elif baseline not in funcs:
        raise KeyError(f"baseline {baseline!r} is not one of the variants {labels}")
    controls = controls or {}
    skip = {int(i) for i in out_args}
    snap = {i: v for i, v in _snapshot(args).items() if i not in skip}
    # 1) warm-up + correctness check for every variant, before any timing
    firsts, _, _ = _warm_and_check(funcs, args, kwargs, check=check, rtol=rtol, atol=atol,
                                   controls=controls, warmup=warmup, snap=snap)
    # 2) timing: every variant calibrated, then all of them in interleaved rounds
    variants = [Variant(label, funcs[label], tuple(args), kwargs, controls.get(label),
                         firsts[label]) for label in labels]
    timings = rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time)
    return Comparison(rows=[timings[label] for label in labels], baseline=baseline,
                      context=context())


# --------------------------------------------------------------------------- public API

def _add_note(exc: BaseException, note: str) -> None:
    """exc.add_note(note) where Python has it (3.11+); on 3.10 the note goes in __notes__ only."""
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]


def compare(funcs: dict, *args, baseline=None, check=None, repeat=7, min_time=0.2,
            rtol=1e-7, atol=0, max_time=DEFAULT_MAX_TIME, warmup=1, out_args=(),
            **kwargs) -> Comparison:
    """Time each variant in ``funcs`` (label -> callable) on the same ``*args, **kwargs``.

    Every variant's warm-up output is checked against the first variant's before timing
    (``check(ref, out)`` overrides the comparison; it may return a bool or raise
    AssertionError). Returns a :class:`Comparison` (per-call best/median/IQR in seconds,
    ``first_call_s`` separately). ``baseline`` (default: the first label) is what
    speedups are relative to. ``warmup``: untimed calls before timing (the first one is
    reported as ``first_call_s``); ``max_time``: seconds of timed repeats per variant
    after which fewer repeats are made (at least three). ``out_args``: indices of
    positional arguments that are output buffers (``out=``-style, written by design), so
    the check that no variant modifies its inputs leaves them alone.
    Any other keyword arguments are passed to every variant (a variant keyword that shares
    a name with one of these options must be bound with a lambda or functools.partial).
    """
    return _compare_impl(funcs, args, kwargs, baseline=baseline, check=check, repeat=repeat,
                         min_time=min_time, rtol=rtol, atol=atol, max_time=max_time,
                         warmup=warmup, out_args=out_args)


def compare_or_wrong(funcs: dict, *args, **kwargs):
    """:func:`compare`, but when a variant's output differs from the first one's, one line
    ("WRONG · variant ... does not match ...") and ``None`` instead of a traceback."""
    try:
        return compare(funcs, *args, **kwargs)
    except MismatchError as exc:
        print(f"{tr('WRONG')} · {exc}")
        return None


def matches_reference(name: str, fn, reference, *args, rtol=1e-7, atol=0, **kwargs) -> bool:
    """Whether ``fn`` (a learner's copy named ``name``) gives ``reference``'s output on these
    arguments; prints a one-line verdict either way and returns it."""
    try:
        assert_same(reference(*args, **kwargs), fn(*args, **kwargs), rtol, atol)
    except MismatchError as exc:
        print(tr("WRONG · your {name} differs from the course's: {why}").format(name=name, why=exc))
        return False
    print(tr("your {name} gives the course's result on this input").format(name=name))
    return True


def same_code(f, g) -> bool:
    """Whether two functions have the same source (same syntax tree, line numbers aside) and
    defaults: a cell's copy left as shipped."""
    import ast
    import inspect
    import textwrap

    try:
        a, b = (ast.dump(ast.parse(textwrap.dedent(inspect.getsource(h)))) for h in (f, g))
    except (OSError, TypeError, SyntaxError):
        return False
    return a == b and f.__defaults__ == g.__defaults__


def _progress(total, desc, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except Exception:          # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=desc, leave=False)


def sweep_sizes(funcs: dict, make_args: Callable[[int], tuple], sizes, *, progress=True,
                **kw) -> Sweep:
    """Run :func:`compare` for each size: ``make_args(n)`` builds the input (a tuple of
    positional arguments, or a single argument). Other keywords go to :func:`compare`."""
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes is empty")
    if not callable(make_args):
        raise TypeError("make_args must be a callable n -> tuple of arguments")
    kw.setdefault("min_time", 0.05)
    kw.setdefault("repeat", 5)
    times = {label: [] for label in funcs}
    comps = []
    bar = _progress(len(sizes), "sizes", progress)
    try:
        for n in sizes:
            args = make_args(n)
            if not isinstance(args, tuple):
                args = (args,)
            if bar is not None:
                bar.set_postfix_str(f"n={n}")
            c = compare(funcs, *args, **kw)
            comps.append(c)
            for r in c.rows:
                times[r.label].append(r.median_s)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return Sweep(sizes, times, kind="size", comparisons=comps,
                 context=comps[0].context if comps else context(),
                 baseline=comps[0].baseline if comps else None)


# ---- thread controls

@contextmanager
def _numba_threads(n):
    import numba

    old = numba.get_num_threads()
    try:
        numba.set_num_threads(n)
    except ValueError as exc:
        raise ValueError(f"numba cannot use {n} threads ({exc}); NUMBA_NUM_THREADS="
                         f"{numba.config.NUMBA_NUM_THREADS} is the upper bound") from None
    try:
        yield
    finally:
        numba.set_num_threads(old)


@contextmanager
def _restoring(get, set_, n):
    """Set a library's thread count to n for the block, then put the old value back."""
    old = get()
    set_(int(n))
    try:
        yield
    finally:
        set_(old)


def _cv2_threads(n):
    import cv2

    return _restoring(cv2.getNumThreads, cv2.setNumThreads, n)


def _torch_threads(n):
    import torch   # only when asked for: torch is large

    return _restoring(torch.get_num_threads, torch.set_num_threads, n)


def _threadpool(user_api):
    def factory(n):
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=int(n), user_api=user_api)
    return factory


_CONTROLS = {
    "openmp": _threadpool("openmp"),
    "blas": _threadpool("blas"),
    "numba": _numba_threads,
    "cv2": _cv2_threads,
    "torch": _torch_threads,
}


def _control_for(label, spec, n):
    """Return (function wrapper, context factory) applying thread count ``n``."""
    if spec is None:
        return None, nullcontext
    if callable(spec):
        return None, lambda: spec(n)
    if isinstance(spec, str) and spec.startswith("kwarg:"):
        name = spec.split(":", 1)[1]
        if not name.isidentifier():
            raise ValueError(f"bad control {spec!r} for {label!r}: expected 'kwarg:<name>'")
        return (lambda f: functools.partial(f, **{name: n})), nullcontext
    if spec in _CONTROLS:
        return None, lambda: _CONTROLS[spec](n)
    raise ValueError(f"unknown thread control {spec!r} for {label!r}; use one of "
                     f"{sorted(_CONTROLS)}, 'kwarg:<name>' or a callable(n) -> context manager")


def sweep_threads(funcs: dict, *args, threads=(1, 2), controls=None, progress=True,
                  **kw) -> Sweep:
    """Time each variant with 1, 2, ... threads.

    ``controls`` maps a label to how its thread count is set:
    ``"openmp"``/``"blas"`` (threadpoolctl limits on the OpenMP/BLAS runtimes loaded in
    this process, so import the module under test first; e.g. a Cython ``prange`` module),
    ``"numba"`` (``numba.set_num_threads``), ``"cv2"`` (``cv2.setNumThreads``),
    ``"torch"`` (``torch.set_num_threads``, torch imported only then), ``"kwarg:threads"``
    (the variant is called with ``threads=n``; any ``"kwarg:<name>"`` works: this is how
    optkit's own C extension is driven, since OpenMP reads
    ``OMP_NUM_THREADS`` only once at start-up and cannot be changed through the
    environment afterwards), or a ``callable(n)`` returning a context manager.
    Each setting is restored afterwards. Labels without a control run unchanged.

    Every variant is first warmed up and checked at every thread count (against the first
    variant at the first count); then every (variant, thread count) pair is timed in ONE set
    of interleaved rounds (:func:`measure`'s rounds, each pair with its own control), so the
    1-thread and the n-thread medians come from the same moments and their ratio is not
    skewed by a change of load in between. ``Sweep.times`` holds the medians,
    ``Sweep.iqrs`` their spread.
    Remaining keywords go to :func:`compare` (options such as ``repeat``/``min_time``, and
    any other keyword arguments are passed to the variants).
    """
    threads = [int(t) for t in threads]
    if not threads or min(threads) < 1:
        raise ValueError(f"threads must be positive integers, got {threads}")
    controls = dict(controls or {})
    unknown = set(controls) - set(funcs)
    if unknown:
        raise KeyError(f"controls for unknown variants: {sorted(unknown)}")
    kw.setdefault("min_time", 0.05)
    kw.setdefault("repeat", 5)
    opts = {k: kw.pop(k) for k in ("baseline", "check", "repeat", "min_time", "rtol", "atol",
                                    "max_time", "warmup") if k in kw}
    baseline = opts.get("baseline")
    labels = list(funcs)
    _validate_funcs(funcs)
    if baseline is None:
        baseline = labels[0]
    elif baseline not in funcs:
        raise KeyError(f"baseline {baseline!r} is not one of the variants {labels}")
    repeat, min_time = opts.get("repeat"), opts.get("min_time")
    max_time = opts.get("max_time", DEFAULT_MAX_TIME)
    warmup = opts.get("warmup", 1)
    snap = _snapshot(args)
    # 1) every variant at every thread count: warm-up and correctness check against the
    #    first variant at the first thread count, before any timing
    setups, ref_label, ref = {}, None, None
    bar = _progress(len(threads), "threads (check)", progress)
    try:
        for n in threads:
            fs, ctl, name = {}, {}, {}
            for label, f in funcs.items():
                wrap, factory = _control_for(label, controls.get(label), n)
                key = f"{label} ({n} thread{'s' if n != 1 else ''})"
                name[label] = key
                fs[key] = wrap(f) if wrap else f
                ctl[key] = factory
            if bar is not None:
                bar.set_postfix_str(f"threads={n}")
            firsts, ref_label, ref = _warm_and_check(
                fs, args, kw, check=opts.get("check"), rtol=opts.get("rtol", 1e-7),
                atol=opts.get("atol", 0), controls=ctl, warmup=warmup, snap=snap,
                ref_label=ref_label, ref=ref)
            for label in labels:
                key = name[label]
                setups[(label, n)] = (fs[key], ctl[key], firsts[key])
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    # 2) timing: every (variant, thread count) pair in ONE set of interleaved rounds, so
    #    the 1-thread and the n-thread medians come from the same moments
    variants = [Variant(key, f, tuple(args), kw, ctl, first)
                for key, (f, ctl, first) in setups.items()]
    timings = rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time)
    ctx_now = context()
    times = {label: [] for label in labels}
    comps = []
    for n in threads:
        rows = [dataclasses.replace(timings[(label, n)], label=label) for label in labels]
        c = Comparison(rows=rows, baseline=baseline, context=dict(ctx_now, threads=n))
        comps.append(c)
        for r in rows:
            times[r.label].append(r.median_s)
    ctx0 = dict(ctx_now)
    ctx0["controls"] = {k: (v if isinstance(v, str) else getattr(v, "__name__", repr(v)))
                        for k, v in controls.items()}
    return Sweep(threads, times, kind="threads", comparisons=comps, context=ctx0,
                 baseline=baseline)
