# The timing procedure through bench (autorange, interleaved rounds, slow variants, time_once with
# workers, where, overhead, clearly_different/below_top, noise_note) is in tests/test_bench.py.
"""optkit.timing called directly: its argument errors, garbage collection paused only inside a
repeat, controls and kwargs, warm-up counts, the statistics helpers on odd input, the Korean
noise note. Short sleeps, loose bounds: nothing here is a speed claim."""
import functools
import gc
import math

import numpy as np
import pytest

from optkit import timing
from optkit.timing import Timing, clearly_below_top, clearly_different, median_iqr, noise_note, quartiles

QUICK = dict(repeat=3, min_time=1e-4)


def T(median, iqr=0.0, **kw):
    return Timing("t", median, median, median, iqr, 1, 5, **kw)


# --------------------------------------------------------------------------- statistics

def test_quartiles_of_one_two_and_five_samples():
    assert quartiles([3.0]) == (3.0, 3.0)
    assert quartiles([1.0, 2.0]) == (1.25, 1.75)
    assert quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0)
    with pytest.raises(IndexError):
        quartiles([])


def test_median_iqr_takes_timings_samples_and_numbers():
    assert median_iqr(T(2.0, 0.5)) == (2.0, 0.5)
    assert median_iqr(3) == (3.0, 0.0) and median_iqr(2.5) == (2.5, 0.0)
    assert median_iqr(np.float64(2.0)) == (2.0, 0.0)
    assert median_iqr([5.0, 1.0, 3.0, 2.0, 4.0]) == (3.0, 2.0)        # order does not matter
    assert median_iqr(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == (3.0, 2.0)
    assert median_iqr(x for x in (1.0, 1.0)) == (1.0, 0.0)
    assert median_iqr([7]) == (7.0, 0.0)


@pytest.mark.parametrize("bad", ["fast", b"fast", True, None, {"a": 1.0}.items()])
def test_median_iqr_refuses_what_is_not_a_measurement(bad):
    with pytest.raises(TypeError, match="expected a Timing, a list of samples or a number, got"):
        median_iqr(bad)


def test_median_iqr_of_no_samples_is_a_clear_error():
    for empty in ([], (), np.array([])):
        with pytest.raises(ValueError, match="no samples to compare"):
            median_iqr(empty)


def test_median_iqr_takes_a_numpy_number():
    assert median_iqr(np.float32(2.0)) == (2.0, 0.0)
    assert median_iqr(np.int64(3)) == (3.0, 0.0)


def test_clearly_different_with_an_unknown_spread_is_never_clear():
    assert clearly_different(T(1.0, 0.0), T(2.0, 0.0))
    assert not clearly_different(T(1.0, math.nan), T(2.0, 0.0))       # NaN IQR: unknown spread
    assert not clearly_different(T(1.0, math.inf), T(2.0, 0.0))
    assert not clearly_different(T(0.0), T(2.0)) and not clearly_different(T(-1.0), T(2.0))


def test_clearly_below_top_of_a_tie_and_of_one_entry():
    assert not clearly_below_top({"a": [1.0] * 5, "b": [1.0] * 5}, "a")
    assert not clearly_below_top({"a": [1.0] * 5}, "a")                  # alone: it is the top
    assert clearly_below_top({"a": [1.0] * 5, "b": [3.0] * 5}, "a")


def test_noise_note_in_korean_keeps_its_percentages(monkeypatch):
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    note = noise_note(T(0.010, 0.006), T(0.020, 0.005))
    assert note.startswith("잡음이 커서") and "60%" in note and "25%" in note
    assert noise_note(1.0, 1.01) == "여기서는 뚜렷한 차이가 없습니다"
    assert noise_note(1.0, 2.0) == ""


# --------------------------------------------------------------------------- Timing

def test_a_timing_with_a_zero_median_has_no_ratios():
    t = T(0.0, cpu_s=0.0)
    assert math.isnan(t.spread) and math.isnan(t.cpu_use) and math.isnan(t.child_cpu_use)
    assert math.isnan(t.other_cpu_use) and t.where == "unknown"


def test_a_timing_without_cpu_figures_says_unknown():
    t = T(1.0)                                   # cpu_s NaN by default
    assert math.isnan(t.cpu_use) and t.where == "unknown" and math.isnan(t.other_cpu_use)
    assert T(1.0, cpu_s=0.9, child_cpu_s=None).cpu_use == pytest.approx(0.9)   # None children: 0
    assert T(2.0, 0.5).spread == 0.25


def test_where_names_worker_processes_only_when_they_did_most_of_the_work():
    assert T(1.0, cpu_s=0.1, child_cpu_s=1.5).where == "worker processes"
    assert T(1.0, cpu_s=1.0, child_cpu_s=0.2).where == "this process"            # a helper process
    assert T(1.0, cpu_s=0.01, child_cpu_s=0.05, busy_cpu_s=0.06).where.startswith("waiting (")


# --------------------------------------------------------------------------- the timing path

@pytest.mark.parametrize("kw, says", [({"repeat": 0}, "repeat must be >= 1"),
                                      ({"min_time": 0}, "min_time must be > 0"),
                                      ({"min_time": math.nan}, "min_time must be > 0"),
                                      ({"loops": 0}, "loops must be >= 1")])
def test_measure_and_rounds_refuse_bad_settings(kw, says):
    with pytest.raises(ValueError, match=says):
        timing.measure({"a": abs}, 1, **kw)
    v = timing.Variant("a", abs, (1,), {}, None, 0.0)
    with pytest.raises(ValueError, match=says):
        timing.rounds([v], **{"repeat": 3, "min_time": 1e-3, **kw})


def test_measure_refuses_what_is_not_a_dict_of_callables():
    for funcs in ([abs], {}, None):
        with pytest.raises(TypeError, match="non-empty dict"):
            timing.measure(funcs)
    with pytest.raises(TypeError, match="variant 'b' is not callable: 3"):
        timing.measure({"a": abs, "b": 3}, 1)


def test_a_warm_up_failure_names_the_variant():
    def broken(x):
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input") as info:
        timing.measure({"fine": abs, "broken": broken}, 1, **QUICK)
    assert "optkit.bench: raised by variant 'broken' during its warm-up call" in info.value.__notes__


def test_kwargs_reach_every_call_and_warmup_calls_are_counted():
    seen = []

    def f(x, *, scale):
        seen.append((x, scale))

    t = timing.measure({"f": f}, 2, scale=3, warmup=3, loops=1, **QUICK)["f"]
    assert set(seen) == {(2, 3)}
    assert len(seen) == 3 + t.repeats == 6 and t.loops == 1         # 3 warm-ups, 3 repeats


def test_controls_wrap_the_warm_up_and_every_repeat():
    log = []

    class Ctl:
        def __enter__(self):
            log.append("enter")

        def __exit__(self, *exc):
            log.append("exit")

    inside = []
    timing.measure({"a": lambda: inside.append(log[-1])}, controls={"a": Ctl}, loops=2, warmup=1, **QUICK)
    assert set(inside) == {"enter"}                        # every call ran inside the control
    assert log == ["enter", "exit"] * 4                    # the warm-up, then the 3 repeats


def test_garbage_collection_is_paused_inside_a_repeat_only():
    states = []
    assert gc.isenabled()
    timing.measure({"a": lambda: states.append(gc.isenabled())}, warmup=1, loops=1, **QUICK)
    assert states[0] is True and states[1:] == [False] * 3     # the warm-up ran with it on
    assert gc.isenabled()
    gc.disable()
    try:                                                   # a caller's own choice is kept
        timing.measure({"a": abs}, 1, loops=1, **QUICK)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_variant_that_raises_in_a_repeat_leaves_gc_on():
    calls = []

    def fails_later():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("later")

    with pytest.raises(RuntimeError, match="later"):
        timing.measure({"a": fails_later}, loops=1, **QUICK)
    assert gc.isenabled()


def test_time_once_returns_the_result_and_names_the_callable():
    out, t = timing.time_once(lambda a, b=0: a + b, 2, b=3)
    assert out == 5 and t.label == "<lambda>" and t.repeats == t.loops == 1 and t.iqr_s == 0.0
    assert t.first_call_s == t.best_s == t.median_s == t.samples_s[0] >= 0
    assert math.isfinite(t.cpu_s) and t.cpu_s >= 0
    _, named = timing.time_once(functools.partial(max, 1), 2)
    assert named.label.startswith("functools.partial(")
    with pytest.raises(ZeroDivisionError):
        timing.time_once(lambda: 1 / 0)


def test_first_call_returns_the_output_and_its_time():
    out, s = timing.first_call(lambda x, k=1: x * k, (4,), {"k": 2})
    assert out == 8 and 0 <= s < 5


def test_cached_overhead_is_measured_once():
    timing.cached_overhead.cache_clear()
    a = timing.cached_overhead()
    assert 0 < a < 1e-4 and timing.cached_overhead() == a
    assert timing.cached_overhead.cache_info().hits >= 1
