"""The rules that enforce a method a task states: a Numba function (03 Exercise 3), no Python
loop over an axis (02 Exercise C). Each must refuse the mistake and accept the committed way."""
import sys

import numpy as np
import pytest

from optkit import data, pipeline
from optkit.lessons import numpy_opencv
from optkit.pywork import python_work, python_work_per_entry
from optkit.rules import numba_function_rule


def _loop(n):
    s = 0
    for i in range(n):
        s += i
    return s


def test_python_work_grows_with_a_python_loop_and_not_with_numpy():
    assert python_work(_loop, (400,)) - python_work(_loop, (100,)) >= 300
    a, b = np.ones(100), np.ones(10_000)
    assert python_work(np.sum, (b,)) == python_work(np.sum, (a,))


def test_python_work_restores_the_trace_function():
    import sys

    seen = []

    def tracer(frame, event, arg):
        seen.append(event)
        return None

    sys.settrace(tracer)
    try:
        python_work(_loop, (3,))
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


def test_per_entry_counts_a_comprehension_and_np_vectorize():
    stretch = lambda args, n: (np.zeros(10 + n),)
    assert python_work_per_entry(lambda a: [v for v in a], stretch, None, 100) >= 1
    assert python_work_per_entry(np.vectorize(lambda v: v + 1), stretch, None, 100) >= 1
    assert python_work_per_entry(lambda a: a + 1, stretch, None, 100) < 1


def test_numba_function_rule():
    numba = pytest.importorskip("numba")
    f = numba.njit(lambda x: x + 1)
    assert numba_function_rule(f) is None
    assert numba_function_rule(numba.njit(parallel=True)(lambda x: x)) is None
    for not_numba in (lambda x: x + 1, np.add, f.py_func):
        assert "not a Numba function" in numba_function_rule(not_numba)


def _numpy_body(a):
    return a + 1


def test_numba_function_rule_refuses_object_mode_and_names_what_else_it_refuses():
    """Object mode runs Python code (a NumPy body under `@jit(forceobj=True)` or inside a `with
    objmode` block would pass as "Numba"); a wrapper, @vectorize and @guvectorize are refused and
    the message says so."""
    numba = pytest.importorskip("numba")
    from numba import objmode

    forced = numba.jit(forceobj=True)(_numpy_body)

    @numba.njit
    def in_objmode(a):
        with objmode(out="float64[:]"):
            out = _numpy_body(a)
        return out

    @numba.njit
    def in_numba_objmode(a):
        with numba.objmode(out="float64[:]"):
            out = _numpy_body(a)
        return out

    a = np.ones(3)
    for f in (forced, in_objmode, in_numba_objmode):
        np.testing.assert_array_equal(f(a), a + 1)            # they run, and compute the right thing
        msg = numba_function_rule(f, (a,))
        assert msg and "object mode" in msg, (f, msg)
    kernel = numba.njit(_numpy_body)
    assert numba_function_rule(kernel, (a,)) is None

    # the objmode block one level down, in an @njit helper the answer calls: refused too, while
    # a clean helper (kernel) passes
    @numba.njit
    def calls_objmode_helper(a):
        return in_objmode(a)

    @numba.njit
    def calls_clean_helper(a):
        return kernel(a)

    np.testing.assert_array_equal(calls_objmode_helper(a), a + 1)
    msg = numba_function_rule(calls_objmode_helper, (a,))
    assert msg and "object mode" in msg, msg
    np.testing.assert_array_equal(calls_clean_helper(a), a + 1)
    assert numba_function_rule(calls_clean_helper, (a,)) is None

    def wrapper(a):
        return kernel(a)
    vec = numba.vectorize(["float64(float64)"])(lambda v: v + 1)
    gu = numba.guvectorize(["void(float64[:], float64[:])"], "(n)->(n)")(_gu_body)
    for f in (wrapper, vec, gu):
        msg = numba_function_rule(f, (a,))
        assert msg and "not a Numba function" in msg and "a plain `def` around a Numba function" in msg
        assert "@vectorize and @guvectorize are refused" in msg


def _gu_body(a, out):
    out[:] = a + 1


@pytest.fixture(scope="module")
def logits():
    return (pipeline.simulate(data.make_document(800, 600, n_boxes=20, seed=0)).logits,)


def test_ctc_repeated_steps_keep_the_decoded_strings(logits):
    small = numpy_opencv.ctc_repeated_steps(logits, 1)
    large = numpy_opencv.ctc_repeated_steps(logits, 5)
    assert large[0].shape[1] == 5 * small[0].shape[1]
    assert pipeline.ctc_reference(*small) == pipeline.ctc_reference(*large) == pipeline.ctc_fast(*small)
    assert any(pipeline.ctc_fast(*small))          # not all empty: the rule decodes real text
    # the collapse rule: repeats merge, a blank between equal letters keeps both
    x = np.full((1, 5, 4), -1.0, np.float32)
    for t, c in enumerate([1, 1, 0, 1, 2]):
        x[0, t, c] = 1
    assert pipeline.ctc_reference(x, "abc") == pipeline.ctc_reference(*numpy_opencv.ctc_repeated_steps((x,), 3), "abc") == ["aab"]


def _time_loop(logits, alphabet=pipeline.ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    for t in range(1, best.shape[1]):
        keep[:, t] &= best[:, t] != best[:, t - 1]
    return ["".join([alphabet[c - 1] for c in row[k].tolist()]) for row, k in zip(best, keep)]


def _per_box_join(logits, alphabet=pipeline.ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return ["".join([alphabet[c - 1] for c in row[k].tolist()]) for row, k in zip(best, keep)]


def test_ctc_rule_refuses_a_loop_over_time_steps_and_accepts_whole_array_work(logits):
    assert "once per time step" in numpy_opencv.ctc_no_step_loop(_time_loop, logits)
    assert "once per time step" in numpy_opencv.ctc_no_step_loop(pipeline.ctc_reference, logits)
    assert numpy_opencv.ctc_no_step_loop(pipeline.ctc_fast, logits) is None
    assert numpy_opencv.ctc_no_step_loop(_per_box_join, logits) is None     # loops over boxes, characters


def _step_loop(logits, alphabet=pipeline.ALPHABET, blank=0):
    texts = []
    for row in logits.argmax(axis=2).tolist():
        chars, prev = [], blank
        for b in row:
            if b != blank and b != prev:
                chars.append(alphabet[b - 1])
            prev = b
        texts.append("".join(chars))
    return texts


def _trimmed(logits, alphabet=pipeline.ALPHABET, blank=0):        # cut trailing blank steps, then loop
    best = logits.argmax(axis=2)
    nz = np.flatnonzero((best != blank).any(axis=0))
    return _step_loop(logits[:, :nz[-1] + 1] if nz.size else logits[:, :0], alphabet, blank)


def test_ctc_rule_refuses_a_loop_after_trimming_and_a_loop_in_another_thread(logits):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    assert "once per time step" in numpy_opencv.ctc_no_step_loop(_trimmed, logits)
    # a thread started during the call is traced like the calling one
    def new_thread(x, *a):
        out = []
        t = threading.Thread(target=lambda: out.append(_step_loop(x, *a)))
        t.start()
        t.join()
        return out[0]
    assert "once per time step" in numpy_opencv.ctc_no_step_loop(new_thread, logits)
    # a worker thread that ran already (traced on 3.12+, its CPU time measured before)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(int).result()                      # the worker runs before the rule does
        in_pool = lambda x, *a: pool.submit(_step_loop, x, *a).result()
        assert in_pool(*logits) == pipeline.ctc_fast(*logits)
        why = numpy_opencv.ctc_no_step_loop(in_pool, logits)
        assert why and ("once per time step" in why or "another thread" in why), why
    assert sys.gettrace() is None and threading.gettrace() is None   # the tracing is undone


def test_a_thread_started_in_the_call_that_outlives_it_stops_tracing():
    import sys
    import threading

    from optkit.pywork import python_work

    seen, entered, go = {}, threading.Event(), threading.Event()

    def python_step(n):
        return sum(i for i in range(n))              # Python frames, traced while the call runs

    def worker():
        python_step(10)
        entered.set()                                # traced by now (the call is still running)
        go.wait(5)
        python_step(10)                              # new Python frames after the call ended
        seen["trace"] = sys.gettrace()

    holder = []

    def answer():
        t = threading.Thread(target=worker)
        t.start()
        holder.append(t)
        assert entered.wait(5)
        return 0

    assert threading.gettrace() is None and sys.gettrace() is None
    python_work(answer, ())
    go.set()
    holder[0].join(5)
    assert seen.get("trace", "missing") is None      # the tracer did not stay behind
    assert threading.gettrace() is None and sys.gettrace() is None
