"""optkit.timingcheck: the last timed output, and the speed again on inputs the check never used."""
import numpy as np
import pytest

from optkit import timingcheck as tc

MS = 1e-3


def test_fresh_seeds_are_integers_the_check_does_not_use():
    first, second = tc.fresh_seeds((0, 1, 2)), tc.fresh_seeds((0, 1, 2))
    for got in (first, second):
        assert len(got) == tc.FRESH_INPUTS and len(set(got)) == len(got) and not set(got) & {0, 1, 2}
        assert all(isinstance(s, int) and s >= 0 for s in got)
    # drawn anew on every run: a cache filled by an earlier run of the check cell has not met them
    assert first != second
    assert len(tc.fresh_seeds(range(5, 8), n=1)) == 1
    assert tc.fresh_seeds(("a", "b")) == [] and tc.fresh_seeds((True,)) == [] and tc.fresh_seeds(()) == []


def look(times, *, yours_s=0.1 * MS, base_s=10 * MS, target=20, check=None, build=None):
    """seen_only with a fake call that takes the given times in turn; returns (result, calls)."""
    calls = []

    def call(args):
        calls.append(args)
        return "ok", args[0], times[len(calls) - 1]
    got = tc.seen_only(call, build or (lambda seed: (seed,)), check or (lambda seed, got: None),
                       (0, 1, 2), yours_s, base_s, target, "baseline")
    return got, calls


def test_a_speed_that_holds_on_a_fresh_input_costs_one_call():
    got, calls = look([0.2 * MS])
    assert got is None and len(calls) == 1


def test_clearly_slower_on_every_fresh_input_is_refused_with_the_times():
    got, calls = look([8 * MS, 9 * MS, 8.5 * MS])
    assert len(calls) == tc.FRESH_INPUTS == 3 and len({c[0] for c in calls}) == 3
    state, message, _ = got
    assert state == "too slow" and "fast only on inputs it has already seen" in message
    assert "100 µs" in message and "8" in message and "x20" in message and "on 3 inputs" in message, message
    assert look([8 * MS, 9 * MS, 0.1 * MS])[0] is None     # (two slow calls never suffice)


def test_a_function_of_microseconds_is_not_judged_on_its_jitter():
    # 30 µs on a fresh input against 6 µs timed: over SLOWER x, but within the jitter of one call
    got, _ = look([30e-6] * 3, yours_s=6e-6, base_s=7e-6, target=1.0)
    assert got is None
    got, _ = look([3 * MS] * 3, yours_s=6e-6, base_s=7e-6, target=1.0)
    assert got is not None and got[0] == "too slow"


def test_one_slow_call_never_refuses():
    got, calls = look([8 * MS, 0.1 * MS])
    assert got is None and len(calls) == 2


@pytest.mark.parametrize("fresh_s", [
    0.25 * MS,      # over SLOWER x the timed median, but its speedup is still above target / SLOWER
    2 * MS])        # below target / SLOWER (x5 < x6.7), but under SLOWER x the timed median
def test_both_counts_must_be_clearly_slower(fresh_s):
    yours = 0.1 * MS if fresh_s < MS else 1.5 * MS
    got, calls = look([fresh_s, fresh_s], yours_s=yours)
    assert got is None and len(calls) == 1


def test_a_wrong_result_on_a_fresh_input_is_wrong():
    def check(seed, got):
        raise AssertionError(f"item 0: expected 1.0, got {got}")
    state, message, args = look([0.1 * MS], check=check)[0]
    assert state == "wrong" and "an input it had not used" in message and f"got {args[0]}" in message
    assert args[0] >= 2 ** 20


def test_a_call_that_raises_is_passed_on():
    boom = ValueError("boom")
    got = tc.seen_only(lambda args: ("raised", boom, 0.0), lambda seed: (seed,), lambda s, g: None,
                       (0,), 1 * MS, 10 * MS, 5)
    assert got[:2] == ("raised", boom) and got[2][0] not in (0,)


def test_nothing_is_looked_at_without_a_fresh_input_or_a_target():
    def refuse(seed):
        raise IndexError(seed)
    assert look([9 * MS, 9 * MS], build=refuse) == (None, [])
    assert look([9 * MS, 9 * MS], target=None) == (None, [])
    got = tc.seen_only(lambda args: 1 / 0, lambda seed: (seed,), lambda s, g: None, ("a",),
                       1 * MS, 10 * MS, 5)
    assert got is None


class FakeFed:
    def __init__(self, calls, last, same_object=False):
        self.calls, self.last, self.same_object = calls, last, same_object


def test_timed_output_problem():
    def equal(expected, got):
        assert expected == got, f"{got} != {expected}"
    expected = lambda: 1                                                            # noqa: E731
    assert tc.timed_output_problem(FakeFed(3, 1), expected, equal) is None
    assert "did not call" in tc.timed_output_problem(FakeFed(0, None), expected, equal)
    assert "same array object" in tc.timed_output_problem(FakeFed(3, 1, True), expected, equal)
    assert tc.timed_output_problem(FakeFed(3, 1, True), expected, equal, out_arg=1) is None
    assert "wrong while timed" in tc.timed_output_problem(FakeFed(3, 2), expected, equal)
    assert "data race" in tc.timed_output_problem(FakeFed(3, 2), expected, equal, racy=True)


def test_the_fresh_floor_never_lets_a_cache_pass_slower_than_the_baseline():
    # target / SLOWER for high targets; for low ones at least the baseline's own speed, and
    # never above the noise margin under the target
    assert tc.fresh_floor(20) == pytest.approx(20 / tc.SLOWER)
    assert tc.fresh_floor(1.2) == pytest.approx(1.0)
    assert tc.fresh_floor(1.1) == pytest.approx(1.0)
    assert tc.fresh_floor(1.05) == pytest.approx(1.05 / 1.1)
    assert tc.fresh_floor(0.5) == pytest.approx(0.5 / 1.1)
    # a cache slower than the baseline on new inputs (x0.4 against a target of x1.2) is refused
    got, _ = look([25 * MS, 25 * MS, 25 * MS], yours_s=1 * MS, base_s=10 * MS, target=1.2)
    assert got is not None and got[0] == "too slow"


def test_touched_writes_only_a_writable_out_buffer():
    import numpy as np

    src, out = np.ones(4), np.full(4, 7.0)
    args = tc.touched((src, out), 1)
    assert args[1] is out and not out.any() and src.all()
    ro = np.full(3, 5.0)
    ro.setflags(write=False)
    assert tc.touched((src, ro), 1)[1][0] == 5.0 and tc.touched(src, None) == (src,)


def test_call_once_says_what_the_fresh_call_did_to_its_inputs():
    # A8 F8: the fresh-input call of seen_only is watched for writes into its input, too
    def writes(x):
        x[0] = 99.0
        return x.sum()

    def changed(before, now):
        return None if np.array_equal(before[0], now[0]) else "changed its input"

    call = tc.call_once(writes, writes, {}, [], 5.0, changed)
    state, value, spent = call((np.zeros(4),))
    assert (state, value) == ("wrong", "changed its input") and spent >= 0
    state, value, _ = tc.call_once(np.sum, np.sum, {}, [], 5.0, changed)((np.zeros(4),))
    assert (state, value) == ("ok", 0.0)
