"""optkit.guard: the Numba compile made before a budgeted call, and Numba's compiler lock."""
import threading

import numpy as np
import pytest

from optkit import check, guard


def _reference(a):
    return 2.0 * np.sqrt(a)


def _exercise():
    return check.Exercise("double sqrt", _reference, lambda seed: (np.random.default_rng(seed).random(50),),
                          time_budget_s=10.0)


def test_compile_for_compiles_a_parallel_function_called_without_its_default():
    """03 Ex 2 calls `run_length_histogram_par(mask)` with `max_len=64` left out: the omitted
    default is typed as Numba's call types it, so the call finds the compiled overload."""
    numba = pytest.importorskip("numba")

    @numba.njit(parallel=True)
    def scaled(a, k=2.0):
        out = np.empty_like(a)
        for i in numba.prange(a.size):
            out[i] = k * a[i]
        return out

    a = np.ones(8)
    assert guard.compile_for(scaled, (a,)) == "ok"
    assert len(scaled.signatures) == 1, scaled.signatures     # before: [] (nothing compiled)
    np.testing.assert_array_equal(scaled(a), 2.0 * a)
    assert len(scaled.signatures) == 1, scaled.signatures     # the call used that overload
    assert guard.compile_for(scaled, ()) == "ok" and len(scaled.signatures) == 1   # a required one missing


def test_a_held_compiler_lock_is_named_and_not_waited_on():
    """A compile given up on (stuck in C) keeps Numba's global compiler lock: the next check says
    so at once instead of waiting out the compile limit and blaming the new function."""
    numba = pytest.importorskip("numba")
    from numba.core.compiler_lock import global_compiler_lock

    @numba.njit
    def double_sqrt(a):
        return np.sqrt(a) * 2.0

    held, done = threading.Event(), threading.Event()

    def holder():
        with global_compiler_lock:
            held.set()
            done.wait(60)
    th = threading.Thread(target=holder, daemon=True)
    th.start()
    try:
        assert held.wait(10)
        assert guard.compiler_busy(0.2)
        v = _exercise().check(double_sqrt, display=False)
    finally:
        done.set()
        th.join(10)
    assert v.status == "timeout" and "an earlier compile still runs" in v.message, v.message
    assert "restart the kernel" in v.message and "time budget" not in v.message, v.message
    assert not guard.compiler_busy(0.2)
    assert _exercise().check(double_sqrt, display=False).status == "pass"


@pytest.mark.parametrize("state", ["timeout", "stuck"])
def test_a_compile_timeout_has_its_own_message_without_the_budget(monkeypatch, state):
    monkeypatch.setattr(check, "compile_for", lambda fn, args: state)
    v = _exercise().check(lambda a: np.sqrt(a) + np.sqrt(a), display=False)
    assert v.status == "timeout", v.message
    assert f"did not end within {guard.COMPILE_LIMIT_S:g} s" in v.message, v.message
    assert "time budget of" not in v.message and "loop that never ends" not in v.message, v.message
    assert ("compiler lock" in v.message) == (state == "stuck"), v.message


def test_armed_while_looks_like_the_function_it_wraps():
    def mine(a):
        """my doc"""
        return a
    run = guard.armed_while(mine, [False], True)
    assert (run.__name__, run.__qualname__, run.__doc__) == (mine.__name__, mine.__qualname__, "my doc")
    assert run(3) == 3


def test_fed_times_with_a_clock_bound_at_import(monkeypatch):
    # A8 F6: a learner's cell replacing time.perf_counter must not change what Fed measures
    import time as time_module

    from optkit import guard as guard_module
    monkeypatch.setattr(time_module, "perf_counter", lambda: 0.0)
    fed = guard_module.Fed(lambda: time_module.sleep(0.05), ())
    fed()
    assert fed.spent >= 0.04 and fed.used() >= 0.04
