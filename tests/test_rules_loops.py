"""The rules that enforce a method a task states: a Numba function (03 Exercise 3), no Python
loop over an axis (02 Exercise C), a real prange loop (03 Exercise 2, optkit.prangerule), typed
Cython read off the .pyx (03 Exercise 1). Each must refuse the mistake and accept the committed way."""
import itertools
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


# --- 02 Exercise C: loops over the runs left after collapsing repeats (A4 1) -------------------
def _runs_loop(logits, alphabet=pipeline.ALPHABET, blank=0):
    """Repeats collapsed with NumPy for all boxes, then a Python loop over the runs left."""
    best = logits.argmax(axis=2)
    first = np.ones(best.shape, bool)
    first[:, 1:] = best[:, 1:] != best[:, :-1]
    runs, counts = best[first].tolist(), first.sum(axis=1).tolist()
    texts, i = [], 0
    for c in counts:
        chars = []
        for b in runs[i:i + c]:
            if b != blank:
                chars.append(alphabet[b - 1])
        i += c
        texts.append("".join(chars))
    return texts


def _collapse_then_loop(logits, alphabet=pipeline.ALPHABET, blank=0):
    texts = []
    for row in logits.argmax(axis=2):
        chars = []
        for b in row[np.r_[True, row[1:] != row[:-1]]].tolist():
            if b != blank:
                chars.append(alphabet[b - 1])
        texts.append("".join(chars))
    return texts


def _loop_over_kept_characters(logits, alphabet=pipeline.ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    texts = []
    for row, k in zip(best, keep):                   # boxes
        chars = []
        for c in row[k].tolist():                    # the kept characters only
            chars.append(alphabet[c - 1])
        texts.append("".join(chars))
    return texts


def test_ctc_blank_between_letters_keeps_the_strings_and_adds_runs_not_characters(logits):
    joined = numpy_opencv.ctc_blank_between_letters(logits, False)
    split = numpy_opencv.ctc_blank_between_letters(logits, True)
    n = min(logits[0].shape[0], numpy_opencv.CTC_RUN_BOXES)
    want = pipeline.ctc_reference(logits[0][:n])
    assert pipeline.ctc_reference(*joined) == pipeline.ctc_reference(*split) == want
    assert pipeline.ctc_fast(*joined) == pipeline.ctc_fast(*split) == want
    runs = lambda x: int(x.shape[0] + np.count_nonzero(np.diff(x.argmax(axis=2), axis=1)))
    added = runs(split[0]) - runs(joined[0])
    assert added >= 50                               # plenty of runs for the rule to count
    # one added run per pair of different adjacent letters of the decoded strings
    assert added == sum(sum(a != b for a, b in zip(s, s[1:])) for s in want)
    # the small cases: a b -> a _ b; a _ _ b -> a b; a _ a keeps its blank
    x = np.full((1, 7, 4), -1.0, np.float32)
    for t, c in enumerate([1, 2, 0, 0, 3, 0, 3]):    # a b _ _ c _ c
        x[0, t, c] = 1
    for split_, classes in ((False, [1, 2, 3, 0, 3]), (True, [1, 0, 2, 0, 3, 0, 3])):
        got = numpy_opencv.ctc_blank_between_letters((x,), split_)[0]
        best = got.argmax(axis=2)[0].tolist()
        assert best[:len(classes)] == classes and set(best[len(classes):]) <= {classes[-1]}
        assert pipeline.ctc_reference(got, "abc") == ["abcc"]


def test_ctc_rule_refuses_a_loop_over_the_runs_left_after_collapsing_repeats(logits):
    for answer in (_runs_loop, _collapse_then_loop):
        assert answer(*logits) == pipeline.ctc_fast(*logits)
        why = numpy_opencv.ctc_no_step_loop(answer, logits)
        assert why and "once per run of equal time steps" in why, (answer, why)
    # loops over boxes and over the kept characters grow with neither stretch
    for answer in (pipeline.ctc_fast, _per_box_join, _loop_over_kept_characters):
        assert numpy_opencv.ctc_no_step_loop(answer, logits) is None, answer


# --- pywork: threads that ran already, 3.12's path (A4 6) --------------------------------------
def _fake_settrace_all_threads(func):
    """What 3.12's threading.settrace_all_threads does, as far as 3.11 can: the tracer for new
    threads and for this one; a thread that runs already keeps running its frame untraced
    (on 3.12 it is traced only in the functions it enters next)."""
    import threading

    threading.settrace(func)
    sys.settrace(func)


def _inline_worker():
    """A thread that runs before the call and loops inline in its own frame per request."""
    import queue
    import threading

    jobs, results = queue.Queue(), queue.Queue()

    def serve():
        while True:
            logits = jobs.get()
            if logits is None:
                return
            best = logits.argmax(axis=2).tolist()
            texts = []
            for row in best:                         # inline: no new Python frame per step
                chars, prev = [], 0
                for b in row:
                    if b and b != prev:
                        chars.append(pipeline.ALPHABET[b - 1])
                    prev = b
                texts.append("".join(chars))
            results.put(texts)

    th = threading.Thread(target=serve, daemon=True)
    th.start()

    def answer(logits, alphabet=pipeline.ALPHABET, blank=0):
        jobs.put(logits)
        return results.get()
    return answer, lambda: (jobs.put(None), th.join(5))


@pytest.mark.parametrize("all_threads", [False, True], ids=["3.11 path", "3.12 path"])
def test_a_thread_that_ran_already_is_timed_on_both_paths(logits, monkeypatch, all_threads):
    import threading

    if all_threads and not hasattr(threading, "settrace_all_threads"):
        monkeypatch.setattr(threading, "settrace_all_threads", _fake_settrace_all_threads,
                            raising=False)
    answer, done = _inline_worker()
    try:
        assert answer(*logits) == pipeline.ctc_fast(*logits)
        big = numpy_opencv.ctc_repeated_steps(logits, 256)
        work = python_work(answer, big)
        assert work.other_thread_cpu_s > numpy_opencv.CTC_THREAD_CPU_S, work.other_thread_cpu_s
        why = numpy_opencv.ctc_no_step_loop(answer, logits)
        assert why and ("another thread" in why or "once per" in why), why
    finally:
        done()
    assert sys.gettrace() is None and threading.gettrace() is None


def test_python_work_counts_opcodes_on_its_first_call_in_a_fresh_interpreter():
    """3.12 emits 'opcode' events only where some frame set f_trace_opcodes before settrace."""
    import subprocess

    code = ("from optkit.pywork import python_work\n"
            "def loop(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
            "print(int(python_work(loop, (1000,))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) >= 1000


# --- pywork and guard's give-up path (A4 5, 11) -------------------------------------------------
def test_a_given_up_call_leaves_no_counting_tracer_behind():
    import threading
    import time

    from optkit.guard import run_with_budget

    release = threading.Event()

    def stuck_in_c():
        release.wait(8)                              # C: the injected exception waits for it
        return 0

    state, notes = run_with_budget(python_work, (stuck_in_c, ()), {}, 0.2)
    try:
        assert state == "stuck"
        assert threading.gettrace() is None          # new threads get no tracer any more
        assert notes and any("switched off" in n for n in notes), notes
        seen = []
        t = threading.Thread(target=lambda: seen.append(sys.gettrace()))
        t.start()
        t.join(5)
        assert seen == [None]
        # a tracer set after the give-up survives the stuck call's late `finally`
        mine = lambda *a: None
        threading.settrace(mine)
        release.set()
        for _ in range(100):
            if not any(th.name == "optkit-check" and th.is_alive() for th in threading.enumerate()):
                break
            time.sleep(0.05)
        assert threading.gettrace() is mine
    finally:
        release.set()
        threading.settrace(None)


def test_a_thread_started_in_the_call_that_makes_no_new_call_drops_the_tracer():
    import threading
    import time

    flag, seen, started = [True], [], threading.Event()

    def spin():
        started.set()
        while flag[0]:                               # no new Python frame after the call ends
            seen.append(sys.gettrace())
            time.sleep(0.02)

    def answer():
        threading.Thread(target=spin, daemon=True).start()
        assert started.wait(5)
        time.sleep(0.05)

    python_work(answer, ())
    time.sleep(0.2)
    flag[0] = False
    assert seen and seen[-1] is None, seen[-3:]


def test_a_rule_given_up_on_says_its_counting_was_switched_off():
    import threading

    from optkit import check

    release = threading.Event()

    def rule(fn, args):                              # a rule whose counted call is stuck in C
        return python_work(release.wait, (10,))

    e = check.Exercise("stuck rule", lambda a: a * 2, lambda seed: (np.arange(3.0) + seed,),
                       rules=[rule], time_budget_s=0.5)
    try:
        v = e.check(lambda a: a * 2, display=False)
        assert v.status == "timeout", v.message
        assert "could not be stopped" in v.message and "switched off" in v.message, v.message
        assert threading.gettrace() is None
    finally:
        release.set()


# ---------------------------------------------------------------- 03 Exercise 2: a real prange loop
_PRANGE_ANSWERS = '''
import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True)
def per_row(mask, max_len=64):                  # the committed answer
    h, w = mask.shape
    out = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        row = mask[y]                           # an alias made inside the loop
        for x in range(w):
            out[y, min(int(row[x]), max_len)] += 1
    return out.sum(axis=0)


@njit(parallel=True)
def chunks(mask, max_len=64):
    h, w = mask.shape
    n_chunks = 16
    out = np.zeros((n_chunks, max_len + 1), np.int64)
    for c in numba.prange(n_chunks):
        for y in range(c * h // n_chunks, (c + 1) * h // n_chunks):
            for x in range(w):
                out[c, min(int(mask[y, x]), max_len)] += 1
    return out.sum(axis=0)


@njit(parallel=True)
def dummy_prange(mask, max_len=64):             # E29 1: a token loop, then the serial one
    h, w = mask.shape
    t = 0
    for y in prange(h):
        t += 1
    hist = np.zeros(max_len + 1, np.int64)
    for y in range(h):
        for x in range(w):
            hist[min(int(mask[y, x]), max_len)] += 1
    return hist


@njit(parallel=True)
def serial_through_an_alias(mask, max_len=64):
    m = np.ascontiguousarray(mask)
    h, w = m.shape
    hist = np.zeros(max_len + 1, np.int64)
    for i in prange(4):
        hist[i] += 0
    for y in range(h):
        row = m[y]
        for x in range(w):
            hist[min(int(row[x]), max_len)] += 1
    return hist


@njit(parallel=True)
def one_chunk(mask, max_len=64):                # E29 1: the whole serial loop in prange(1)
    h, w = mask.shape
    per = np.zeros((1, max_len + 1), np.int64)
    for c in prange(1):
        for y in range(h):
            for x in range(w):
                per[c, min(int(mask[y, x]), max_len)] += 1
    return per.sum(axis=0)


@njit(parallel=True)
def one_chunk_by_name(mask, max_len=64):
    h, w = mask.shape
    n = 1
    per = np.zeros((n, max_len + 1), np.int64)
    for c in prange(0, n):
        for y in range(h):
            for x in range(w):
                per[c, min(int(mask[y, x]), max_len)] += 1
    return per.sum(axis=0)


@njit(parallel=True)
def copied_first(mask, max_len=64):             # E48 6: a serial pass over the input, assigned
    m = mask.copy()
    total = mask.sum()
    h, w = m.shape
    out = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        for x in range(w):
            out[y, min(int(m[y, x]), max_len)] += 1
    return out.sum(axis=0)


@njit(parallel=True)
def cast_first(mask, max_len=64):
    m = np.asarray(mask, np.int64)
    h, w = m.shape
    out = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        for x in range(w):
            out[y, min(m[y, x], max_len)] += 1
    return out.sum(axis=0)


@njit(parallel=True)
def views_first(mask, max_len=64):              # views of the input: no element read before the loop
    m = np.ascontiguousarray(mask)
    t = mask.T
    h, w = m.shape
    out = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        for x in range(w):
            out[y, min(int(m[y, x]) + 0 * int(t[x, y]), max_len)] += 1
    return out.sum(axis=0)


@njit(parallel=True)
def rows_walked(mask, max_len=64):              # E48 8: every thread writes both shared rows
    h, w = mask.shape
    per = np.zeros((2, max_len + 1), np.int64)
    for y in prange(h):
        for row in per:
            row[min(int(mask[y, 0]), max_len)] += 1
    return per[0]
'''


@pytest.fixture(scope="module")
def prange_answers(tmp_path_factory):
    pytest.importorskip("numba")
    import importlib.util

    path = tmp_path_factory.mktemp("prange") / "prange_answers.py"
    path.write_text(_PRANGE_ANSWERS)
    spec = importlib.util.spec_from_file_location("prange_answers", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_parallel_prange_rule_keeps_right_answers(prange_answers):
    from optkit.rules import parallel_prange_rule

    for name in ("per_row", "chunks", "views_first"):
        assert parallel_prange_rule(getattr(prange_answers, name)) is None, name


def test_parallel_prange_rule_refuses_a_copy_or_a_sum_of_the_input_before_the_loop(prange_answers):
    from optkit.rules import parallel_prange_rule, prange_race_rule

    msg = parallel_prange_rule(prange_answers.copied_first)
    assert msg and "`m = mask.copy()`" in msg and "outside every `prange` loop" in msg, msg
    msg = parallel_prange_rule(prange_answers.cast_first)      # E51 3: a dtype or a .T makes a copy
    assert msg and "`m = np.asarray(mask, np.int64)`" in msg, msg
    msg = prange_race_rule(prange_answers.rows_walked)     # rows of an array made outside the loop
    assert msg and "`row[" in msg and "a data race?" in msg, msg


def test_parallel_prange_rule_refuses_a_token_prange_loop(prange_answers, monkeypatch):
    """E29 1: a serial answer with a prange loop that does no work, or one iteration of it."""
    from optkit.rules import parallel_prange_rule

    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    for name, line in (("dummy_prange", "mask[y, x]"), ("serial_through_an_alias", "row[x]")):
        msg = parallel_prange_rule(getattr(prange_answers, name))
        assert msg and "outside every `prange` loop" in msg and line in msg, (name, msg)
        assert "the input `mask`" in msg
    for name, loop in (("one_chunk", "for c in prange(1):"), ("one_chunk_by_name", "for c in prange(0, n):")):
        msg = parallel_prange_rule(getattr(prange_answers, name))
        assert msg and "fewer than two iterations" in msg and loop in msg, (name, msg)
    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    assert "스레드 하나" in parallel_prange_rule(prange_answers.one_chunk)
    assert "`prange` 루프에도 속하지 않은" in parallel_prange_rule(prange_answers.dummy_prange)


# ---------------------------------------------------------------- 03 Exercise 1: the Cython source
_MODULE_NUMBERS = itertools.count()


def _cython_function(tmp_path, source, name="runs_per_row_cy", pyx=True):
    """A stand-in for a function of a %%cython module: its module's __file__ is a .so in a cache
    folder that holds (or not) the .pyx beside it, as the magic leaves them."""
    import types

    mod_name = f"_cython_magic_test{next(_MODULE_NUMBERS)}"
    if pyx:
        (tmp_path / f"{mod_name}.pyx").write_text(source)
    mod = types.ModuleType(mod_name)
    mod.__file__ = str(tmp_path / f"{mod_name}.cpython-311-x86_64-linux-gnu.so")
    sys.modules[mod_name] = mod

    def fn(mask):
        return mask
    fn.__module__, fn.__name__ = mod_name, name
    return fn


_TYPED = '''cimport cython
import numpy as np

@cython.boundscheck(False)
def runs_per_row_cy(mask):
    cdef const unsigned char[:, ::1] m = mask   # a comment: for nothing
    cdef Py_ssize_t y, x
    cdef int n
    counts = np.zeros(m.shape[0], np.int32)
    for y in range(m.shape[0]):
        n = 0
        for x in range(m.shape[1]):
            n += m[y, x]
        counts[y] = n
    return counts
'''
_NUMPY = '''cimport cython
import numpy as np

@cython.boundscheck(False)
def runs_per_row_cy(mask):
    """for each row: cdef nothing"""
    m = np.asarray(mask, bool)
    starts = m.copy()
    starts[:, 1:] &= ~m[:, :-1]                 # for while cdef: only a comment
    return np.count_nonzero(starts, axis=1).astype(np.int32)
'''
_HELPER = '''import numpy as np

cdef int _row(const unsigned char[:] r):
    cdef Py_ssize_t x
    cdef int n = 0
    for x in range(1, r.shape[0]):
        n += r[x] and not r[x - 1]
    return n

def runs_per_row_cy(mask):
    return np.array([_row(r) for r in mask], np.int32)
'''


def test_typed_cython_rule_reads_the_pyx(tmp_path, monkeypatch):
    """E29 2: a NumPy one-liner typed into the Cython cell, and the untyped loop, are refused;
    typed code (also in a helper of the cell) passes; no .pyx to read: nothing said."""
    from optkit.lessons.cython_numba import typed_cython_rule

    monkeypatch.delenv("OPTKIT_LANG", raising=False)

    assert typed_cython_rule(_cython_function(tmp_path, _TYPED)) is None
    assert typed_cython_rule(_cython_function(tmp_path, _HELPER)) is None
    assert typed_cython_rule(_cython_function(tmp_path, "def runs_per_row_cy(const unsigned char[:, :] m):\n"
                                                        "    for y in range(m.shape[0]):\n        pass\n")) is None
    msg = typed_cython_rule(_cython_function(tmp_path, _NUMPY))
    assert msg and "no `for` or `while` loop" in msg and "`runs_per_row_cy`" in msg
    untyped = _TYPED.replace("cdef const unsigned char[:, ::1] m = mask", "m = mask").replace(
        "    cdef Py_ssize_t y, x\n    cdef int n\n", "")
    msg = typed_cython_rule(_cython_function(tmp_path, untyped))
    assert msg and "no C types" in msg
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    assert "루프가 없습니다" in typed_cython_rule(_cython_function(tmp_path, _NUMPY))
    monkeypatch.delenv("OPTKIT_LANG")
    assert typed_cython_rule(_cython_function(tmp_path, _NUMPY, pyx=False)) is None
    assert typed_cython_rule(_cython_function(tmp_path, _NUMPY, name="another_name")) is None
    assert typed_cython_rule(np.sum) is None and typed_cython_rule(lambda m: m) is None
    # E34 2: typed by Cython's @cython.locals decorator (also over several lines) right above it
    locals_typed = untyped.replace("@cython.boundscheck(False)\n", "@cython.boundscheck(False)\n@cython.locals(\n"
                                   "    m=cython.uchar[:, ::1], y=cython.Py_ssize_t,\n    x=cython.Py_ssize_t, n=cython.int)\n")
    assert "@cython.locals" in locals_typed and "cdef" not in locals_typed
    assert typed_cython_rule(_cython_function(tmp_path, locals_typed)) is None
    # ... but the decorator of the function above is not its own
    other_above = untyped.replace("@cython.boundscheck(False)\n", "@cython.locals(n=cython.int)\ndef other(n):\n"
                                  "    return n\n\n@cython.boundscheck(False)\n")
    assert "no C types" in typed_cython_rule(_cython_function(tmp_path, other_above))
    # ... nor is a decorated class's body (E36 3: its cdef is not the function's typing)
    class_above = untyped.replace("@cython.boundscheck(False)\n", "@cython.cclass\nclass Row:\n    cdef int n\n\n"
                                  "@cython.boundscheck(False)\n")
    assert "no C types" in typed_cython_rule(_cython_function(tmp_path, class_above))
    # a decorator whose continuation line starts at column 0 (E37 2) is still one decorator
    col0 = untyped.replace("@cython.boundscheck(False)\n", "@cython.locals(m=cython.uchar[:, ::1],\n"
                           "y=cython.Py_ssize_t, x=cython.Py_ssize_t, n=cython.int)\n")
    assert typed_cython_rule(_cython_function(tmp_path, col0)) is None
    # a column-0 line that closes more than it opens (E38 2) does not keep the decorator open
    closes = untyped.replace("@cython.boundscheck(False)\n", "x = (a\n@ b)\ncdef int counter = 0\n\n"
                             "@cython.boundscheck(False)\n")
    assert "no C types" in typed_cython_rule(_cython_function(tmp_path, closes))
    # a signature continued at column 0 (E39 1) keeps the body with the function
    col0_sig = _TYPED.replace("def runs_per_row_cy(mask):", "def runs_per_row_cy(mask,\nint unused=0):")
    assert typed_cython_rule(_cython_function(tmp_path, col0_sig)) is None
    # a signature over several lines keeps its closing line with the function
    multi = "def runs_per_row_cy(\n    const unsigned char[:, :] m\n):\n    for y in range(m.shape[0]):\n        pass\n"
    assert typed_cython_rule(_cython_function(tmp_path, multi)) is None
