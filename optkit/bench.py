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
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Callable

from .i18n import tr

__all__ = [
    "MismatchError", "Timing", "Comparison", "Sweep", "compare", "measure", "time_once",
    "sweep_sizes",
    "sweep_threads", "context", "overhead", "assert_same", "format_time", "format_speedup",
    "machine_busy_s", "clearly_different", "CLEAR_RATIO",
]

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "OMP_PROC_BIND",
)
NOISY_SPREAD = 0.25       # IQR / median above which a result is flagged as noisy
WAITED_CPU_USE = 0.75     # CPU time / wall time below which "the process was kept waiting"
DEFAULT_MAX_TIME = 10.0   # seconds one variant may spend in timed repeats before repeats are cut
CLEAR_RATIO = 1.1         # medians closer than this ratio: "no clear difference here"


class MismatchError(AssertionError):
    """A variant's output differs from the reference (the first variant's output)."""

    def __init__(self, message: str, label: str | None = None, index=None,
                 max_abs_diff: float | None = None):
        super().__init__(message)
        self.label = label
        self.index = index
        self.max_abs_diff = max_abs_diff


# --------------------------------------------------------------------------- formatting

def format_time(seconds: float | None) -> str:
    """Human-readable duration: 812 ns, 12.3 µs, 4.56 ms, 1.23 s."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = float(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(s) >= scale:
            v = s / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{s * 1e9:.3g} ns"


def _fmt_use(u: float) -> str:
    return "–" if u is None or not math.isfinite(u) else f"{u:.2f}"


def format_speedup(s: float | None) -> str:
    """'x12.3' style factor (more digits below 1 so slow-downs stay readable)."""
    if s is None or not math.isfinite(s):
        return "–"
    if s >= 100:
        return f"x{s:.0f}"
    if s >= 1:
        return f"x{s:.1f}"
    return f"x{s:.2f}"


def _median_iqr(m) -> tuple:
    """(median, IQR) of a Timing, a sequence of samples, or one number (IQR 0)."""
    if isinstance(m, Timing):
        return float(m.median_s), float(m.iqr_s)
    if isinstance(m, (int, float)) and not isinstance(m, bool):
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
    q1, q3 = _quartiles(xs)
    return float(statistics.median(xs)), q3 - q1


def clearly_different(a, b, *, min_ratio: float = CLEAR_RATIO) -> bool:
    """Whether two measurements differ by more than their noise, the course's one rule for
    naming a winner: the larger median is at least ``min_ratio`` times the smaller one AND the
    two medians are further apart than their IQRs summed. Otherwise print "no clear
    difference here".

    ``a`` and ``b`` are each a :class:`Timing`, a sequence of samples (interleaved rounds:
    their median and IQR are used) or one number (a single run: no spread is known, so only
    the ratio rule applies; say it is one run). Both in the same unit (seconds, or a
    throughput such as pages/s); which one is larger is for the caller to read. A median
    that is zero, negative or not finite is never clearly different.
    """
    ma, ia = _median_iqr(a)
    mb, ib = _median_iqr(b)
    if not (math.isfinite(ma) and math.isfinite(mb) and ma > 0 and mb > 0):
        return False
    ratio = max(ma, mb) / min(ma, mb)
    spread = (ia if math.isfinite(ia) else math.inf) + (ib if math.isfinite(ib) else math.inf)
    return ratio >= min_ratio and abs(ma - mb) > spread


# --------------------------------------------------------------------------- correctness

def _as_array(obj):
    """ndarray for array-likes (NumPy arrays, torch tensors, anything with __array__)."""
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):      # torch.Tensor, no torch import
        return obj.detach().cpu().numpy()
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        return np.asarray(obj)
    return None


def _identical(a, b) -> bool:
    import numpy as np

    try:
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    except Exception:
        return False


def _compare_arrays(ref, out, rtol, atol, where, strict_dtype=False):
    import numpy as np

    a, b = _as_array(ref), _as_array(out)
    if b is None:
        try:
            b = np.asarray(out)
        except Exception:
            raise MismatchError(where + tr("expected an array, got {kind}", kind=type(out).__name__))
    if a.shape != b.shape:
        raise MismatchError(where + tr("shape differs: expected {expected}, got {got}", expected=a.shape, got=b.shape))
    # dtype strictness is for arrays; a Python number where NumPy returned a scalar is fine
    if strict_dtype and a.dtype != b.dtype and isinstance(ref, np.ndarray) \
            and isinstance(out, np.ndarray):
        raise MismatchError(where + tr("dtype differs: expected {expected}, got {got}", expected=a.dtype, got=b.dtype))
    if a.dtype == b.dtype and _identical(a, b):     # fast path: no float copies needed
        return
    numeric = all(x.dtype.kind in "biufc" for x in (a, b))
    if numeric:
        if a.dtype.kind == "c" or b.dtype.kind == "c":
            a2, b2 = a.astype(complex), b.astype(complex)
        else:
            a2, b2 = a.astype(np.float64), b.astype(np.float64)
        ok = np.isclose(b2, a2, rtol=rtol, atol=atol, equal_nan=True)
    else:
        ok = np.asarray(a == b)
        if ok.shape != a.shape:        # elementwise comparison not possible
            ok = np.full(a.shape, bool(np.array_equal(a, b)))
    if ok.all():
        return
    bad = np.argwhere(~ok)
    n_bad = len(bad)
    idx = tuple(int(i) for i in bad[0]) if a.ndim else ()
    msg = where + tr("{bad} of {size} elements differ", bad=n_bad, size=a.size)
    maxdiff = None
    if numeric:
        with np.errstate(invalid="ignore"):
            d = np.abs(b2 - a2)
        maxdiff = float(np.nanmax(d)) if d.size else 0.0
        msg += tr(" (max abs diff {diff}, rtol={rtol}, atol={atol})", diff=f"{maxdiff:.4g}",
                  rtol=f"{rtol:g}", atol=f"{atol:g}")
    ev, gv = (a[idx], b[idx]) if a.ndim else (a[()], b[()])
    ev, gv = (v.item() if hasattr(v, "item") else v for v in (ev, gv))
    msg += tr("; first at index {index}: expected {expected}, got {got}", index=idx if a.ndim else "()",
              expected=repr(ev), got=repr(gv))
    raise MismatchError(msg, index=idx, max_abs_diff=maxdiff)


def assert_same(ref, out, rtol=1e-7, atol=0.0, *, strict_dtype=False, _where="") -> None:
    """Raise :class:`MismatchError` unless ``out`` matches ``ref``.

    Arrays (and array-likes): same shape, values close (``np.isclose``, NaN == NaN); dtype
    may differ unless ``strict_dtype``. Lists/tuples: same length, element-wise. Dicts: same
    keys, value-wise. Dataclasses: field by field. Floats: ``math.isclose``. Everything
    else: ``==``. The message names the position (``[2] [0]``, ``.quads``) and, for arrays,
    the number of differing elements, the max abs difference and the first differing index.
    """
    if _as_array(ref) is not None and not isinstance(ref, (list, tuple, dict)):
        _compare_arrays(ref, out, rtol, atol, _where, strict_dtype)
        return
    if isinstance(ref, (list, tuple)):
        if not isinstance(out, (list, tuple)) and _as_array(out) is None:
            raise MismatchError(_where + tr("expected a {expected}, got {got}", expected=type(ref).__name__,
                                            got=type(out).__name__))
        out = list(out)
        if len(out) != len(ref):
            raise MismatchError(_where + tr("length differs: expected {expected}, got {got}",
                                            expected=len(ref), got=len(out)))
        for i, (r, o) in enumerate(zip(ref, out)):
            assert_same(r, o, rtol, atol, strict_dtype=strict_dtype, _where=f"{_where}[{i}] ")
        return
    if dataclasses.is_dataclass(ref) and not isinstance(ref, type):
        if type(out) is not type(ref):
            raise MismatchError(_where + tr("expected a {expected}, got {got}", expected=type(ref).__name__,
                                            got=type(out).__name__))
        for f in dataclasses.fields(ref):
            assert_same(getattr(ref, f.name), getattr(out, f.name), rtol, atol,
                        strict_dtype=strict_dtype, _where=f"{_where}.{f.name} ")
        return
    if isinstance(ref, dict):
        if not isinstance(out, dict):
            raise MismatchError(_where + tr("expected a dict, got {got}", got=type(out).__name__))
        if set(ref) != set(out):
            missing, extra = set(ref) - set(out), set(out) - set(ref)
            raise MismatchError(_where + tr("keys differ: missing {missing}, extra {extra}",
                                            missing=sorted(map(repr, missing)), extra=sorted(map(repr, extra))))
        for k in ref:
            assert_same(ref[k], out[k], rtol, atol, strict_dtype=strict_dtype, _where=f"{_where}[{k!r}] ")
        return
    if isinstance(ref, float) or (isinstance(out, float) and isinstance(ref, (int, float))):
        try:
            o = float(out)
        except (TypeError, ValueError):
            raise MismatchError(_where + tr("expected a number {expected}, got {got}", expected=repr(ref),
                                            got=repr(out)))
        if math.isnan(ref) and math.isnan(o):
            return
        if not math.isclose(o, ref, rel_tol=rtol, abs_tol=atol):
            raise MismatchError(_where + tr("expected {expected}, got {got} (abs diff {diff})", expected=repr(ref),
                                            got=repr(out), diff=f"{abs(o - ref):.4g}"),
                                max_abs_diff=abs(o - ref))
        return
    try:
        same = ref == out
        same = bool(same.all()) if hasattr(same, "all") else bool(same)
    except Exception as exc:
        raise MismatchError(_where + tr("cannot compare {expected} with {got}: {exc}",
                                        expected=type(ref).__name__, got=type(out).__name__, exc=exc))
    if not same:
        r, o = repr(ref), repr(out)
        raise MismatchError(_where + tr("expected {expected}, got {got}", expected=r[:200], got=o[:200]))


def _check_output(label, ref_label, ref, out, check, rtol, atol):
    try:
        if check is not None:
            ok = check(ref, out)
            if ok is False or (ok is not None and ok is not True and not bool(ok)):
                raise MismatchError("check(ref, out) returned False")
        else:
            assert_same(ref, out, rtol, atol)
    except MismatchError as exc:
        raise MismatchError(f"variant {label!r} does not match {ref_label!r}: {exc}",
                            label=label, index=exc.index, max_abs_diff=exc.max_abs_diff) from None
    except AssertionError as exc:
        raise MismatchError(f"variant {label!r} does not match {ref_label!r}: {exc}",
                            label=label) from None


# --------------------------------------------------------------------------- timing core

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


def _quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


# ---- CPU outside this process: child processes and the whole machine

def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (all CPUs, all programs; NaN if unknown)."""
    try:
        import psutil

        t = psutil.cpu_times()
    except Exception:                                    # noqa: BLE001 - context only
        return float("nan")
    d = t._asdict()
    # guest time is already part of user/nice on Linux; idle and iowait are not busy
    return sum(v for k, v in d.items() if k not in ("idle", "iowait", "guest", "guest_nice"))


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


class _Variant:
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
        q1, q3 = _quartiles(ordered)
        busy = [b for b in self.busy if math.isfinite(b)]
        return Timing(label=self.label, first_call_s=self.first_call_s, best_s=ordered[0],
                      median_s=statistics.median(ordered), iqr_s=q3 - q1, loops=self.loops,
                      repeats=len(self.wall), samples_s=list(self.wall),
                      cpu_s=statistics.median(self.cpu), child_cpu_s=statistics.median(self.kids),
                      busy_cpu_s=statistics.median(busy) if busy else float("nan"),
                      calibration_s=self.calibration_s, gpu=self.gpu)


def _rounds(variants, *, repeat, min_time, max_time=DEFAULT_MAX_TIME, min_repeats=3,
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
    v = _Variant(label, f, tuple(args), dict(kwargs or {}), None, first_call_s)
    return _rounds([v], repeat=repeat, min_time=min_time, max_time=max_time,
                   min_repeats=min_repeats)[label]


def _first_call(f, args, kwargs):
    t0 = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - t0


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
                    _, first = _first_call(f, a, kwargs)
                    for _ in range(warmup - 1):
                        f(*a, **kwargs)
            except Exception as exc:
                exc.add_note(f"optkit.bench: raised by variant {label!r} during its warm-up call")
                raise
        variants.append(_Variant(label, f, a, kwargs, ctl, first))
    return _rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time,
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
                out, first = _first_call(f, args, kwargs)
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
            _check_output(label, ref_label, ref, out, check, rtol, atol)
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
    variants = [_Variant(label, funcs[label], tuple(args), kwargs, controls.get(label),
                         firsts[label]) for label in labels]
    timings = _rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time)
    return Comparison(rows=[timings[label] for label in labels], baseline=baseline,
                      context=context())


# --------------------------------------------------------------------------- results

class Comparison:
    """Result of :func:`compare`: one :class:`Timing` per variant, in the given order."""

    def __init__(self, rows, baseline, context=None):
        self.rows: list[Timing] = list(rows)
        self.baseline: str = baseline
        self.context: dict = dict(context or {})

    def __getitem__(self, label) -> Timing:
        for r in self.rows:
            if r.label == label:
                return r
        raise KeyError(f"no variant {label!r}; have {self.labels}")

    @property
    def labels(self) -> list:
        return [r.label for r in self.rows]

    @property
    def fastest(self) -> str:
        return min(self.rows, key=lambda r: r.median_s).label

    def speedup(self, label, baseline=None) -> float:
        """Baseline median time / ``label`` median time (2.0 = twice as fast)."""
        base = self[self.baseline if baseline is None else baseline].median_s
        t = self[label].median_s
        return base / t if t > 0 else float("inf")

    def speedups(self, baseline=None) -> dict:
        return {r.label: self.speedup(r.label, baseline) for r in self.rows}

    def warnings(self) -> list:
        """Plain-language notes on measurement quality (noisy spread, process kept waiting)
        and on where the work ran (worker processes, a GPU) when not in this process."""
        out = []
        noisy = [str(r.label) for r in self.rows if r.spread > NOISY_SPREAD]
        if noisy:
            out.append(f"noisy: the spread (IQR) of {', '.join(noisy)} exceeds "
                       f"{NOISY_SPREAD:.0%} of the median; re-run before drawing conclusions.")
        waited = [r for r in self.rows if r.cpu_use < WAITED_CPU_USE]
        others = [str(r.label) for r in waited if r.where == "waiting for other programs"]
        gpu = [str(r.label) for r in waited if r.where.startswith("GPU")]
        idle = [str(r.label) for r in waited if str(r.label) not in others + gpu]
        if others:
            out.append(f"waiting: while timing {', '.join(others)} this process (with any child "
                       f"processes) ran on a CPU for less than {WAITED_CPU_USE:.0%} of the time while other "
                       "programs kept the CPUs busy, so these times are inflated.")
        if gpu:
            out.append(f"elsewhere: {', '.join(gpu)} kept the CPU mostly idle with CUDA in use: "
                       "the time is the GPU's (or waiting for it), not this CPU's.")
        if idle:
            out.append(f"waiting: while timing {', '.join(idle)} this process ran on a CPU for "
                       f"less than {WAITED_CPU_USE:.0%} of the time: other programs competed for "
                       "the CPU (or the code sleeps / waits for I/O), so these times are inflated.")
        workers = [f"{r.label} ({r.child_cpu_use:.1f} cores)" for r in self.rows
                   if r.where == "worker processes"]
        if workers:
            out.append(f"elsewhere: most CPU time of {', '.join(workers)} was spent in child "
                       "processes (workers); CPU use counts them.")
        return out

    def to_dict(self) -> dict:
        """Plain data, times in seconds (JSON-serialisable)."""
        return {
            "baseline": self.baseline,
            "rows": [dict(asdict(r), speedup=self.speedup(r.label)) for r in self.rows],
            "context": self.context,
        }

    def to_json(self, **kw) -> str:
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), default=str, **kw)

    def plot(self, **kw):
        from . import plot as _plot

        kw.setdefault("baseline", self.baseline)
        return _plot.speedup_bars(self, **kw)

    def __str__(self) -> str:
        head = (f"{'variant':<24}{'first call':>11}{'best':>11}{'median':>11}{'IQR':>11}"
                f"{'CPU use':>9}  speedup")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            tag = "  (baseline)" if r.label == self.baseline else ""
            lines.append(f"{str(r.label)[:23]:<24}{format_time(r.first_call_s):>11}"
                         f"{format_time(r.best_s):>11}{format_time(r.median_s):>11}"
                         f"{format_time(r.iqr_s):>11}{_fmt_use(r.cpu_use):>9}  "
                         f"{format_speedup(self.speedup(r.label))}{tag}")
        lines += [f"! {w}" for w in self.warnings()]
        lines.append(_context_line(self.context))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        th = "".join(f"<th style='text-align:right'>{h}</th>" for h in
                     ("first call", "best", "median", "IQR", "loops × repeats",
                      "<span title='process CPU time / wall time while timing: 1.0 = one core "
                      "busy; above 1 = several threads; well below 1 = the process waited'>"
                      "CPU use</span>",
                      f"speedup vs {html.escape(str(self.baseline))}"))
        body = []
        for r in self.rows:
            s = self.speedup(r.label)
            is_base = r.label == self.baseline
            colour = "" if is_base else ("color:#1a7f37;" if s >= 1.05 else
                                         "color:#b42318;" if s < 0.95 else "")
            name = html.escape(str(r.label)) + (" <i>(baseline)</i>" if is_base else "")
            cells = [format_time(r.first_call_s), format_time(r.best_s), format_time(r.median_s),
                     format_time(r.iqr_s), f"{r.loops} × {r.repeats}", _fmt_use(r.cpu_use)]
            tds = "".join(f"<td style='text-align:right;white-space:nowrap'>{c}</td>" for c in cells)
            body.append(f"<tr><td style='{_LABEL_CELL}'>{name}</td>{tds}"
                        f"<td style='text-align:right;font-weight:bold;{colour}'>"
                        f"{format_speedup(s)}</td></tr>")
        warn = "".join(f"<br><span style='color:#b54708'>⚠ {html.escape(w)}</span>"
                       for w in self.warnings())
        # Jupyter's stylesheet gives tables a fixed layout, sized by the header row, which
        # cut long labels short: automatic layout, and a label column wide enough to wrap in
        return ("<div class='optkit-comparison'><table style='table-layout:auto'>"
                f"<thead><tr><th style='{_LABEL_CELL}'>variant</th>{th}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>"
                "<small>Per-call times, variants timed in interleaved rounds. The first call (warm-up: compilation, caches) is shown "
                "on its own and is not part of best/median/IQR (inter-quartile range of the "
                f"repeats). {html.escape(_context_line(self.context))}{warn}</small></div>")


# the label column of Comparison's HTML table: wide enough for a long label, wrapped beyond
_LABEL_CELL = ("text-align:left;min-width:14em;max-width:24em;white-space:normal;"
               "overflow-wrap:anywhere;text-overflow:clip;overflow:visible")


class Sweep:
    """Medians of several variants over a range of sizes or thread counts."""

    def __init__(self, x, times, kind="size", comparisons=None, context=None, baseline=None):
        self.x: list = list(x)
        self.times: dict = {k: list(v) for k, v in times.items()}
        self.kind: str = kind                    # "size" or "threads"
        self.comparisons: list = list(comparisons or [])
        self.context: dict = dict(context or {})
        self.baseline = baseline

    @property
    def labels(self) -> list:
        return list(self.times)

    @property
    def iqrs(self) -> dict:
        """{label: [IQR of the per-call times at each x]}, the spread of :attr:`times`
        (NaN where the sweep was built without its comparisons)."""
        out = {k: [] for k in self.times}
        for i in range(len(self.x)):
            c = self.comparisons[i] if i < len(self.comparisons) else None
            for k in self.times:
                try:
                    out[k].append(c[k].iqr_s if c is not None else float("nan"))
                except KeyError:
                    out[k].append(float("nan"))
        return out

    def warnings(self) -> list:
        """The measurement-quality notes of every point, prefixed with its x."""
        name = "threads" if self.kind == "threads" else "n"
        return [f"{w.split(':', 1)[0]}: at {name}={x}: {w.split(':', 1)[1].strip()}"
                for x, c in zip(self.x, self.comparisons) for w in c.warnings()]

    def speedups(self, baseline=None) -> dict:
        """{label: [baseline median / label median at each x]} (baseline: first variant).
        For a thread sweep, :func:`optkit.plot.thread_scaling` shows instead each variant
        against its own time at the first thread count."""
        if baseline is None:
            baseline = self.baseline if self.baseline is not None else self.labels[0]
        base = self.times[baseline]
        return {k: [b / t if t and t > 0 else float("nan") for b, t in zip(base, v)]
                for k, v in self.times.items()}

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "times": self.times, "baseline": self.baseline,
                "comparisons": [c.to_dict()["rows"] for c in self.comparisons],
                "context": self.context}

    def to_json(self, **kw) -> str:
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), default=str, **kw)

    def plot(self, **kw):
        from . import plot as _plot

        if self.kind == "threads":
            return _plot.thread_scaling(self, **kw)
        return _plot.scaling(self, **kw)

    def __str__(self) -> str:
        name = "threads" if self.kind == "threads" else "n"
        head = f"{name:>10}" + "".join(f"{str(k)[:23]:>24}" for k in self.times)
        lines = [head]
        iqrs = self.iqrs
        for i, x in enumerate(self.x):
            lines.append(f"{x:>10}" + "".join(
                f"{format_time(v[i]) + ' ± ' + format_time(iqrs[k][i]):>24}"
                for k, v in self.times.items()))
        lines.append("median ± IQR per call")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        name = "threads" if self.kind == "threads" else "n"
        th = "".join(f"<th style='text-align:right'>{html.escape(str(k))}</th>" for k in self.times)
        iqrs = self.iqrs
        rows = "".join(
            f"<tr><td style='text-align:right'>{x}</td>" +
            "".join(f"<td style='text-align:right'>{format_time(v[i])} "
                    f"<small>± {format_time(iqrs[k][i])}</small></td>"
                    for k, v in self.times.items())
            + "</tr>" for i, x in enumerate(self.x))
        together = (" All thread counts of all variants timed in one set of interleaved rounds."
                    if self.kind == "threads" else "")
        return (f"<div class='optkit-sweep'><table><thead><tr><th>{name}</th>{th}</tr></thead>"
                f"<tbody>{rows}</tbody></table><small>median time per call ± IQR.{together} "
                f"{html.escape(_context_line(self.context))}</small></div>")


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
    variants = [_Variant(key, f, tuple(args), kw, ctl, first)
                for key, (f, ctl, first) in setups.items()]
    timings = _rounds(variants, repeat=repeat, min_time=min_time, max_time=max_time)
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


# --------------------------------------------------------------------------- context

def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _usable_cpus() -> int | None:
    try:
        from joblib.externals.loky import cpu_count   # respects affinity and cgroup quotas

        return int(cpu_count())
    except Exception:
        pass
    try:
        return len(os.sched_getaffinity(0))
    except Exception:
        return os.cpu_count()


def _cpu_facts() -> dict:
    """SMT topology and frequency governor of the usable CPUs (optkit.doctor reads them)."""
    try:
        from . import doctor

        smt, gov = doctor.smt_topology(), doctor.cpu_governor()
    except Exception as exc:                             # noqa: BLE001 - context only
        return {"threads_per_core": f"unknown: {exc}", "physical_cores": f"unknown: {exc}",
                "cpu_governor": f"unknown: {exc}"}
    govs = gov["governors"]
    return {"threads_per_core": smt["threads_per_core"], "physical_cores": smt["cores"],
            "smt_active": smt["smt_active"],
            "cpu_governor": ", ".join(sorted(govs)) if isinstance(govs, dict) else govs,
            "cpufreq_driver": gov["driver"]}


def _version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


@functools.lru_cache(maxsize=1)
def _static_context() -> dict:
    return {
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: _version(dist) for name, dist in (
            ("numpy", "numpy"), ("opencv", "opencv-python-headless"), ("numba", "numba"),
            ("line_profiler", "line_profiler"), ("torch", "torch"))},
    }


def context() -> dict:
    """Where a measurement comes from: CPU model, usable CPUs, SMT (threads per core), the
    CPU frequency governor, thread settings, versions.

    Never raises; optional libraries are reported only as far as they are installed.
    Numba's and torch's thread counts are asked only if they are already imported (importing
    them costs seconds, and then they cannot have influenced the timing); for numba the
    count it would start with is given otherwise (``numba_imported`` says which).
    """
    ctx = dict(_static_context())
    ctx["versions"] = dict(ctx["versions"])
    ctx["usable_cpus"] = _usable_cpus()
    ctx.update(_cpu_facts())
    ctx["thread_env"] = {k: os.environ.get(k) for k in THREAD_ENV_VARS if os.environ.get(k)}
    threads = {}
    try:
        import cv2

        threads["cv2"] = cv2.getNumThreads()
        ctx["versions"]["opencv"] = cv2.__version__
    except Exception:
        pass
    for mod, getter in (("numba", "get_num_threads"), ("torch", "get_num_threads")):
        m = sys.modules.get(mod)
        if m is not None:
            try:
                threads[mod] = getattr(m, getter)()
            except Exception:
                pass
    if "numba" not in threads:     # what numba would start with (importing it costs seconds)
        try:
            threads["numba"] = int(os.environ.get("NUMBA_NUM_THREADS") or
                                   len(os.sched_getaffinity(0)))
        except Exception:
            pass
    ctx["numba_imported"] = "numba" in sys.modules
    pools = []
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            key = f"{info.get('user_api')}:{info.get('internal_api')}"
            threads[key] = info.get("num_threads")
            pools.append({"user_api": info.get("user_api"), "internal_api": info.get("internal_api"),
                          "num_threads": info.get("num_threads"), "version": info.get("version"),
                          "library": os.path.basename(str(info.get("filepath", "")))})
    except Exception:
        pass
    ctx["threadpools"] = pools       # every loaded BLAS/OpenMP runtime (threadpoolctl)
    ctx["threads"] = threads
    ctx["timer"] = "time.perf_counter"
    ctx["harness_overhead_per_call_s"] = _cached_overhead()
    ctx["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return ctx


def _context_line(ctx: dict) -> str:
    if not ctx:
        return ""
    parts = [str(ctx.get("cpu_model", "?")), f"{ctx.get('usable_cpus', '?')} usable CPUs"]
    tpc = ctx.get("threads_per_core")
    if isinstance(tpc, int):
        parts[-1] += f" ({tpc} thread{'s' if tpc > 1 else ''} per core)"
    gov = ctx.get("cpu_governor")
    if isinstance(gov, str) and gov and not gov.startswith("unknown"):
        parts.append(f"governor {gov}")
    env = ctx.get("thread_env") or {}
    if env:
        parts.append(", ".join(f"{k}={v}" for k, v in env.items()))
    v = ctx.get("versions") or {}
    parts.append(f"Python {ctx.get('python', '?')}, NumPy {v.get('numpy') or '?'}")
    return "Measured on: " + "; ".join(parts)


# --------------------------------------------------------------------------- overhead

def _noop(*args, **kwargs):
    return None


@functools.lru_cache(maxsize=1)
def _cached_overhead() -> float:
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
