"""The timing core every measurement of the course goes through: autoranged loops, variants
timed in interleaved rounds, per-call best, median and IQR, CPU time of this process, its
children and the whole machine beside the wall time (see ``optkit.bench`` for the procedure).

    measure(funcs, *args)     {label: Timing}, no correctness check (variants checked elsewhere)
    time_once(fn, *args)      (output, Timing) of one call of work too slow to repeat
    overhead()                the harness's own cost per call
"""
from __future__ import annotations

import functools
import gc
import math
import numbers
import os
import statistics
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from time import perf_counter as _now   # bound at import: a learner patching time.perf_counter changes nothing

from optkit.i18n import tr
from optkit.machine import machine_busy_s

__all__ = ["Timing", "Variant", "measure", "time_once", "first_call", "rounds", "overhead", "cached_overhead",
           "quartiles", "median_iqr", "clearly_different", "clearly_below_top", "noise_note", "CLEAR_RATIO",
           "WAITED_CPU_USE", "DEFAULT_MAX_TIME"]

WAITED_CPU_USE = 0.75     # CPU time / wall time below which "the process was kept waiting"
DEFAULT_MAX_TIME = 10.0   # seconds one variant may spend in timed repeats before repeats are cut


@dataclass
class Timing:
    """Per-call timings of one variant (seconds)."""

    label: str
    first_call_s: float
    best_s: float
    median_s: float
    iqr_s: float
    loops: int
    repeats: int
    samples_s: list = field(default_factory=list, repr=False)  # per-call time of each repeat
    cpu_s: float = float("nan")     # median CPU time per call of this process (all threads)
    child_cpu_s: float = 0.0        # median CPU time per call of its child processes (workers)
    busy_cpu_s: float = float("nan")  # median busy CPU time per call of the whole machine
    calibration_s: float = float("nan")  # the autorange round that fixed ``loops`` (not a sample)
    gpu: bool = False               # CUDA was initialised in this process while timing

    @property
    def spread(self) -> float:
        """IQR relative to the median (0.05 = 5 %)."""
        return self.iqr_s / self.median_s if self.median_s else float("nan")

    @property
    def cpu_use(self) -> float:
        """CPU time of this process *and its child processes* / wall time while timing:
        ~1 for single-threaded code on a quiet machine, above 1 when several threads or
        worker processes work, well below 1 when the work waited (other programs competing
        for the CPU, I/O, sleep, a GPU; :attr:`where` says which is likely)."""
        if not self.median_s > 0:
            return float("nan")
        return (self.cpu_s + (self.child_cpu_s or 0.0)) / self.median_s

    @property
    def child_cpu_use(self) -> float:
        """Cores' worth of CPU that child processes (pool, DataLoader, Dask workers) used."""
        return (self.child_cpu_s or 0.0) / self.median_s if self.median_s > 0 else float("nan")

    @property
    def other_cpu_use(self) -> float:
        """Cores' worth of CPU that *other* programs used meanwhile (machine-wide busy time
        minus this process and its children; NaN where the machine's counters are unknown).
        The machine's counters tick every 10 ms: short repeats read coarsely."""
        if not self.median_s > 0 or not math.isfinite(self.busy_cpu_s) \
                or not math.isfinite(self.cpu_s):
            return float("nan")
        return max(0.0, (self.busy_cpu_s - self.cpu_s - (self.child_cpu_s or 0.0)) / self.median_s)

    @property
    def where(self) -> str:
        """Where the time went, in words: 'this process', 'worker processes', 'waiting for
        other programs', 'GPU or I/O' (a short answer for tables)."""
        use = self.cpu_use
        if not math.isfinite(use):
            return "unknown"
        if self.child_cpu_use > 0.5 * max(use, 1e-12) and self.child_cpu_use > 0.1:
            return "worker processes"
        if use >= WAITED_CPU_USE:
            return "this process"
        other = self.other_cpu_use
        if math.isfinite(other) and other > 0.5:
            return "waiting for other programs"
        if self.gpu:
            return "GPU (this process waited)"
        return "waiting (sleep, I/O, another machine)"


def _run_loops(f, args, kwargs, loops, timer=time.perf_counter, cpu=time.process_time):
    """(wall time, process CPU time) of ``loops`` calls, garbage collection paused."""
    it = range(loops)
    gcold = gc.isenabled()
    gc.disable()
    try:
        if kwargs:
            c0 = cpu()
            t0 = timer()
            for _ in it:
                f(*args, **kwargs)
            t1 = timer()
            c1 = cpu()
        else:
            c0 = cpu()
            t0 = timer()
            for _ in it:
                f(*args)
            t1 = timer()
            c1 = cpu()
    finally:
        if gcold:
            gc.enable()
    return t1 - t0, c1 - c0
_STEPS = [x * 10 ** e for e in range(10) for x in (1, 2, 5)]


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


# ---- CPU outside this process: child processes and the whole machine

def _reaped_children_s() -> float:
    """CPU seconds of child processes that have exited and been waited for."""
    try:
        t = os.times()
        return t.children_user + t.children_system
    except Exception:                                    # noqa: BLE001
        return 0.0


class _Children:
    """CPU time of this process's child processes (recursive): the live ones listed once at
    the start (listing costs milliseconds; reading each one's counters is cheap), plus
    children that exited and were waited for (``os.times``), plus, when ``relist``, children
    started since (counted from zero)."""

    def __init__(self, relist=False):
        self.relist = relist
        self.procs = self._list()

    @staticmethod
    def _list():
        try:
            import psutil

            return psutil.Process().children(recursive=True)
        except Exception:                                # noqa: BLE001 - context only
            return []

    def snapshot(self) -> dict:
        out = {"reaped": _reaped_children_s()}
        procs = self._list() if self.relist else self.procs
        for p in procs:
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except Exception:                            # noqa: BLE001 - exited meanwhile
                pass
        return out

    @staticmethod
    def delta(before: dict, after: dict) -> float:
        """CPU seconds between two snapshots (children new in ``after`` count from zero)."""
        return sum(max(0.0, v - before.get(k, 0.0)) for k, v in after.items())


def _cuda_in_use() -> bool:
    torch = sys.modules.get("torch")
    try:
        return bool(torch is not None and torch.cuda.is_initialized())
    except Exception:                                    # noqa: BLE001
        return False


def _measure_repeat(f, args, kwargs, loops, kids):
    """One timed repeat: (wall, own CPU, child CPU, machine busy CPU), all for ``loops``
    calls. The child and machine counters are read outside the timed window."""
    k0 = kids.snapshot()
    b0 = machine_busy_s()
    t, c = _run_loops(f, args, kwargs, loops)
    b1 = machine_busy_s()
    return t, c, _Children.delta(k0, kids.snapshot()), b1 - b0


class Variant:
    """Bookkeeping of one variant while the rounds run."""

    def __init__(self, label, f, args, kwargs, control, first_call_s):
        self.label, self.f, self.args, self.kwargs = label, f, args, kwargs
        self.control = control or nullcontext
        self.first_call_s = first_call_s
        self.loops, self.calibration_s = 1, float("nan")
        self.wall, self.cpu, self.kids, self.busy = [], [], [], []
        self.gpu = False

    def calibrate(self, min_time):
        """autorange: 1, 2, 5, 10, 20, 50 ... calls until one repeat lasts >= min_time."""
        loops = 1
        with self.control():
            while True:
                t, _ = _run_loops(self.f, self.args, self.kwargs, loops)
                if t >= min_time or loops >= 10**9:
                    break
                loops = next(s for s in _STEPS if s > loops)
        self.loops, self.calibration_s = loops, t
        return t

    def run_repeat(self, kids):
        with self.control():
            t, c, k, b = _measure_repeat(self.f, self.args, self.kwargs, self.loops, kids)
        n = self.loops
        self.wall.append(t / n)
        self.cpu.append(c / n)
        self.kids.append(k / n)
        self.busy.append(b / n)
        self.gpu = self.gpu or _cuda_in_use()

    def timing(self) -> Timing:
        ordered = sorted(self.wall)
        q1, q3 = quartiles(ordered)
        busy = [b for b in self.busy if math.isfinite(b)]
        return Timing(label=self.label, first_call_s=self.first_call_s, best_s=ordered[0],
                      median_s=statistics.median(ordered), iqr_s=q3 - q1, loops=self.loops,
                      repeats=len(self.wall), samples_s=list(self.wall),
                      cpu_s=statistics.median(self.cpu), child_cpu_s=statistics.median(self.kids),
                      busy_cpu_s=statistics.median(busy) if busy else float("nan"),
                      calibration_s=self.calibration_s, gpu=self.gpu)


def rounds(variants, *, repeat, min_time, max_time=DEFAULT_MAX_TIME, min_repeats=3,
            loops=None) -> dict:
    """Calibrate each variant, then time all of them in interleaved rounds.

    Round ``i`` runs one repeat of every variant, starting with variant ``i mod n`` (A B,
    B A, A B ...), so a burst of load, a frequency change or a warming cache falls on every
    variant alike instead of on whichever happened to run then. Each variant gets
    ``repeat`` repeats, fewer (never below ``min_repeats``) when they would take more than
    ``max_time`` seconds; a slow variant that has had its share drops out of the later
    rounds, which go on with the others. ``loops`` fixes the calls per repeat (no
    calibration; for work known to take longer than ``min_time`` per call)."""
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    if not min_time > 0:
        raise ValueError(f"min_time must be > 0, got {min_time}")
    if loops is not None and int(loops) < 1:
        raise ValueError(f"loops must be >= 1, got {loops}")
    kids = _Children()
    shares = []
    for v in variants:
        if loops is None:
            per_repeat = v.calibrate(min_time)
        else:
            v.loops, per_repeat = int(loops), None
        n_rep = repeat
        if per_repeat is not None and per_repeat * repeat > max_time:
            allowed = int(max_time // per_repeat) if per_repeat else repeat
            n_rep = min(repeat, max(min(min_repeats, repeat), allowed))
        shares.append(n_rep)
    n = len(variants)
    for i in range(max(shares)):
        for j in range(n):
            k = (i + j) % n
            if shares[k] > i:
                variants[k].run_repeat(kids)
            if loops is not None and shares[k] == repeat and i == 0 and \
                    variants[k].wall[-1] * variants[k].loops * repeat > max_time:
                # fixed loops: cut the share from the first measured repeat instead
                allowed = int(max_time // (variants[k].wall[-1] * variants[k].loops))
                shares[k] = min(repeat, max(min(min_repeats, repeat), allowed))
    return {v.label: v.timing() for v in variants}


def _time_variant(label, f, args, kwargs, *, repeat, min_time, first_call_s,
                  max_time=DEFAULT_MAX_TIME, min_repeats=3) -> Timing:
    """One variant alone (calibration, then its repeats); kept for callers that have not
    moved to :func:`measure`. Several variants should be timed together with
    :func:`measure`, which interleaves them."""
    v = Variant(label, f, tuple(args), dict(kwargs or {}), None, first_call_s)
    return rounds([v], repeat=repeat, min_time=min_time, max_time=max_time,
                   min_repeats=min_repeats)[label]


def first_call(f, args, kwargs):
    t0 = _now()
    out = f(*args, **kwargs)
    return out, _now() - t0


def measure(funcs: dict, *args, repeat=7, min_time=0.2, max_time=DEFAULT_MAX_TIME,
            min_repeats=3, warmup=1, controls=None, inputs=None, loops=None, **kwargs) -> dict:
    """Time several variants in interleaved rounds, *without* checking their outputs
    (:func:`compare` checks first, then calls this): ``{label: Timing}``.

    This is the one timing path of the course: :func:`compare`, the sweeps, the exercise
    checks and the one-shot timers all end here or in :func:`time_once`.

    1. warm-up: ``warmup`` untimed calls per variant; the first is timed on its own and
       reported as ``first_call_s`` (NaN with ``warmup=0``, for variants already warm);
    2. calibration per variant: the number of calls per repeat (``loops``) grows 1, 2, 5,
       10 ... until one repeat lasts ``min_time`` (this round is not a sample);
    3. ``repeat`` rounds; each round times one repeat of every variant, the starting
       variant rotating (A B, B A, ...), garbage collection paused inside a repeat.

    ``inputs`` maps a label to its own tuple of positional arguments (default: ``args``
    for all, the very same objects); ``controls`` maps a label to a zero-argument context
    factory entered around each of its repeats (thread settings); ``loops`` fixes the calls
    per repeat and skips the calibration (for slow work: ``loops=1``). A variant whose
    repeats would exceed ``max_time`` gets fewer (at least ``min_repeats``) and leaves the
    later rounds to the others. Every statistic is per call; the median is the headline,
    the IQR its spread.
    """
    if not isinstance(funcs, dict) or not funcs:
        raise TypeError("funcs must be a non-empty dict mapping label -> callable")
    for label, f in funcs.items():
        if not callable(f):
            raise TypeError(f"variant {label!r} is not callable: {f!r}")
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    if not min_time > 0:
        raise ValueError(f"min_time must be > 0, got {min_time}")
    inputs = dict(inputs or {})
    unknown_labels = set(inputs) - set(funcs)
    if unknown_labels:
        raise KeyError(f"inputs for unknown variants: {sorted(map(str, unknown_labels))}")
    controls = dict(controls or {})
    variants = []
    for label, f in funcs.items():
        a = tuple(inputs.get(label, args))
        ctl = controls.get(label) or nullcontext
        first = float("nan")
        if warmup > 0:
            try:
                with ctl():
                    _, first = first_call(f, a, kwargs)
                    for _ in range(warmup - 1):
                        f(*a, **kwargs)
            except Exception as exc:
                exc.add_note(f"optkit.bench: raised by variant {label!r} during its warm-up call")
                raise
        variants.append(Variant(label, f, a, kwargs, ctl, first))
    return rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time,
                   min_repeats=min_repeats, loops=loops)


def time_once(fn, *args, **kwargs):
    """``(result, Timing)`` of ONE call of ``fn``, for work too slow or too stateful to
    repeat (a training epoch, a whole multi-process job, a pure-Python loop over a big
    input). One call cannot have a median or a spread (``repeats`` is 1, ``iqr_s`` 0), so
    its figure is a rough one, and a ratio of two such figures is only as good as the
    slower run was steady; prefer :func:`measure` wherever the work can be repeated.
    CPU time counts this process and its children, including workers started during
    the call (from zero) and those that exited and were waited for."""
    kids = _Children(relist=True)
    k0 = kids.snapshot()
    b0 = machine_busy_s()
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    t = time.perf_counter() - t0
    c = time.process_time() - c0
    b = machine_busy_s() - b0
    k = _Children.delta(k0, kids.snapshot())
    label = getattr(fn, "__name__", None) or repr(fn)
    return out, Timing(label=str(label), first_call_s=t, best_s=t, median_s=t, iqr_s=0.0,
                       loops=1, repeats=1, samples_s=[t], cpu_s=c, child_cpu_s=k,
                       busy_cpu_s=b, gpu=_cuda_in_use())


def _noop(*args, **kwargs):
    return None


@functools.lru_cache(maxsize=1)
def cached_overhead() -> float:
    """overhead()'s per-call figure, measured once per process (short: context only)."""
    return overhead(min_time=0.005, repeat=3)["per_call_s"]


def overhead(min_time=0.05, repeat=7) -> dict:
    """The harness's own cost, measured by timing a no-op through the same path.

    Returns ``{"per_call_s", "per_call_cpu_s", "per_repeat_s", "loops"}``: ``per_call_s`` is
    what the loop and the call itself add to every per-call figure (subtract it mentally for
    nanosecond-scale functions; ``per_call_cpu_s`` is the same in CPU time, which a busy
    machine does not inflate); ``per_repeat_s`` is the fixed cost inside one timed window
    (a timer read and the loop set-up), spread over all loops of that repeat.
    """
    t = _time_variant("no-op", _noop, (), {}, repeat=repeat, min_time=min_time, first_call_s=0.0)
    fixed = min(_run_loops(_noop, (), {}, 0)[0] for _ in range(1000))
    return {"per_call_s": t.median_s, "per_call_cpu_s": t.cpu_s, "per_repeat_s": fixed,
            "loops": t.loops}


CLEAR_RATIO = 1.1         # medians closer than this ratio: "no clear difference here"


def median_iqr(m) -> tuple:
    """(median, IQR) of a Timing, a sequence of samples, or one number (IQR 0)."""
    if isinstance(m, Timing):
        return float(m.median_s), float(m.iqr_s)
    if isinstance(m, numbers.Real) and not isinstance(m, bool):   # NumPy's numbers register as Real
        return float(m), 0.0
    try:
        if isinstance(m, (str, bytes)):
            raise TypeError
        xs = sorted(float(v) for v in m)
    except TypeError:
        raise TypeError(f"expected a Timing, a list of samples or a number, got "
                        f"{type(m).__name__}") from None
    if not xs:
        raise ValueError("no samples to compare")
    q1, q3 = quartiles(xs)
    return float(statistics.median(xs)), q3 - q1


def clearly_different(a, b, *, min_ratio: float = CLEAR_RATIO) -> bool:
    """Whether two measurements differ by more than their noise, the course's one rule for
    naming a winner: the larger median is at least ``min_ratio`` times the smaller one AND
    either the two medians are further apart than their IQRs summed, or (three samples or more
    on each side) even the smallest sample of the larger side is ``min_ratio`` times the largest
    of the smaller side: every sample apart by the ratio, which one disturbed repeat that
    stretches an IQR cannot hide (a loop of 60-300 ms beside a table lookup of 0.2 ms).
    Otherwise print "no clear difference here".

    ``a`` and ``b`` are each a :class:`Timing`, a sequence of samples (interleaved rounds:
    their median and IQR are used) or one number (a single run: no spread is known, so only
    the ratio rule applies; say it is one run). Both in the same unit (seconds, or a
    throughput such as pages/s); which one is larger is for the caller to read. A median
    that is zero, negative or not finite is never clearly different.
    """
    ma, ia = median_iqr(a)
    mb, ib = median_iqr(b)
    if not (math.isfinite(ma) and math.isfinite(mb) and ma > 0 and mb > 0):
        return False
    ratio = max(ma, mb) / min(ma, mb)
    spread = (ia if math.isfinite(ia) else math.inf) + (ib if math.isfinite(ib) else math.inf)
    if ratio < min_ratio:
        return False
    if abs(ma - mb) > spread:
        return True
    sa, sb = _samples(a), _samples(b)
    if sa is None or sb is None or len(sa) < 3 or len(sb) < 3:
        return False
    low, high = (sa, sb) if ma < mb else (sb, sa)
    return max(low) > 0 and min(high) / max(low) >= min_ratio


def _samples(m):
    """The finite samples of a Timing or a sequence (None for one number)."""
    if isinstance(m, Timing):
        xs = list(m.samples_s or [])
    elif isinstance(m, numbers.Real):
        return None
    else:
        xs = [float(v) for v in m]
    return xs if all(math.isfinite(x) for x in xs) else None


def clearly_below_top(runs: dict, name, *others: dict) -> bool:
    """Whether ``name`` is clearly below the largest entry (by :func:`clearly_different`) in
    ``runs`` ({name: samples}) AND in every other such dict given (rounds taken at other
    moments, e.g. the ones a learner was shown). One set of rounds disturbed by a busy machine
    can thus never call it below on its own: a single set that does not separate it says no.
    A dict that lacks ``name`` is skipped."""
    verdicts = []
    for r in (runs, *others):
        if name not in r:
            continue
        medians = {k: median_iqr(v)[0] for k, v in r.items()}
        top = max(medians, key=medians.get)
        verdicts.append(top != name and clearly_different(r[name], r[top]))
    return bool(verdicts) and all(verdicts)


def noise_note(a, b, *, min_ratio: float = CLEAR_RATIO) -> str:
    """Why :func:`clearly_different` names no winner, in the course's words ("" when it does).

    When the medians' ratio alone would be clear but the IQRs overlap the gap, the verdict is
    blocked by the noise, not by a small difference: "too noisy to tell here (IQR x% and y% of
    the median): run the cell again". Otherwise "no clear difference here"."""
    if clearly_different(a, b, min_ratio=min_ratio):
        return ""
    ma, ia = median_iqr(a)
    mb, ib = median_iqr(b)
    if (math.isfinite(ma) and math.isfinite(mb) and ma > 0 and mb > 0
            and max(ma, mb) / min(ma, mb) >= min_ratio):
        return tr("too noisy to tell here (IQR {a:.0%} and {b:.0%} of the median): run the cell "
                  "again").format(a=ia / ma, b=ib / mb)
    return tr("no clear difference here")
