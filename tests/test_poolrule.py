# Most of pool_chunks_rule (accepted and refused answers on a ThreadPool, decoys, copies, couriers,
# callbacks, other threads, a stuck earlier check, cleanup) is in tests/test_rules.py.
"""optkit.poolrule: the rule's own parameters (which argument is the pool and which the items,
items per task, workers), Executors' width and map, futures read only by a callback, the
IMapIterator's next(timeout), results that are not a list, a real process pool (unpickled
results are the pool's), and the Korean messages."""
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor, wait
from multiprocessing.pool import ThreadPool

import pytest

from optkit.poolrule import pool_chunks_rule

SEEDS = list(range(40))


def square(s):
    return s * s + 0.5              # a new float object each call, as unpickled results are


def squares(chunk):
    return [square(s) for s in chunk]


@pytest.fixture(scope="module")
def pool():
    p = ThreadPool(2)
    yield p
    p.close()
    p.join()


def chunks(s, k):
    return [s[i:i + k] for i in range(0, len(s), k)]


def test_the_rule_is_named_for_the_exercise():
    assert pool_chunks_rule().__name__ == "pool_chunks_rule"


def test_the_pool_and_the_items_can_be_any_arguments(pool):
    rule = pool_chunks_rule(pool_arg=2, items_arg=0)
    assert rule(lambda s, label, p: p.map(square, s, 5), (SEEDS, "label", pool)) is None
    msg = rule(lambda s, label, p: [square(x) for x in s], (SEEDS, "label", pool))
    assert msg and "send the 40 items" in msg, msg


def test_items_per_task_is_a_parameter(pool):
    fours = lambda p, s: p.map(square, s, 4)                     # noqa: E731 - 10 tasks
    assert pool_chunks_rule()(fours, (pool, SEEDS)) is None      # 40 // 2 = 20 tasks at most
    msg = pool_chunks_rule(min_per_task=5)(fours, (pool, SEEDS))
    assert msg and "10 tasks for 40 items" in msg, msg
    assert pool_chunks_rule(min_per_task=5)(lambda p, s: p.map(square, s, 5), (pool, SEEDS)) is None


def test_an_executors_workers_are_read_and_can_be_given():
    halves = lambda ex, s: [y for f in [ex.submit(squares, c) for c in chunks(s, 20)] for y in f.result()]  # noqa: E731
    with ThreadPoolExecutor(4) as ex:
        msg = pool_chunks_rule()(halves, (ex, SEEDS))
        assert msg and "from 2 task(s), for 40 items and a pool of 4 workers" in msg, msg
        assert "at least 4 chunks" in msg
        assert pool_chunks_rule(workers=2)(halves, (ex, SEEDS)) is None
    assert "submit" not in vars(ex)                              # the executor is as it was


def test_an_executors_map_is_one_task_per_item():
    with ThreadPoolExecutor(2) as ex:
        msg = pool_chunks_rule()(lambda e, s: list(e.map(square, s)), (ex, SEEDS))
    assert msg and "40 tasks for 40 items" in msg, msg


def test_futures_read_only_by_a_callback_count_and_a_failed_one_breaks_nothing():
    def by_callback(ex, s):
        got = {}
        futures = []
        for i, c in enumerate(chunks(s, 10)):
            f = ex.submit(squares, c)
            f.add_done_callback(lambda f, i=i: got.__setitem__(i, f.result()))
            futures.append(f)
        wait(futures)
        return [y for i in sorted(got) for y in got[i]]

    def one_fails(ex, s):
        good = [ex.submit(squares, c) for c in chunks(s, 10)]
        bad = ex.submit(squares, None)                           # raises TypeError in the worker
        wait(good + [bad])
        return [y for f in good for y in f.result()]

    with ThreadPoolExecutor(2) as ex:
        assert pool_chunks_rule()(by_callback, (ex, SEEDS)) is None
        assert pool_chunks_rule()(one_fails, (ex, SEEDS)) is None


def test_imap_read_with_next_and_a_timeout(pool):
    def stepwise(p, s):
        it = p.imap(squares, chunks(s, 10))                       # chunksize 1: one task per chunk
        return [y for _ in range(4) for y in it.next(timeout=10)]

    assert pool_chunks_rule()(stepwise, (pool, SEEDS)) is None
    assert not {"imap", "map", "_map_async"} & set(vars(pool))


def test_a_result_that_is_not_a_list_is_left_to_the_checks(pool):
    import numpy as np

    rule = pool_chunks_rule()
    assert rule(lambda p, s: np.array([square(x) for x in s]), (pool, SEEDS)) is None
    assert rule(lambda p, s: None, (pool, SEEDS)) is None
    assert rule(lambda p, s: tuple(p.map(square, s, 5)), (pool, SEEDS)) is None         # a tuple is judged
    assert "did not come from the pool" in rule(lambda p, s: tuple(square(x) for x in s) + tuple(p.map(square, s[:1])),
                                                (pool, SEEDS))


def test_a_process_pools_unpickled_results_are_its_own():
    with mp.get_context("fork").Pool(2) as procs:
        rule = pool_chunks_rule()
        assert rule(lambda p, s: p.map(square, s, 5), (procs, SEEDS)) is None
        assert rule(lambda p, s: p.map(square, s), (procs, SEEDS)) is None      # default chunks
        msg = rule(lambda p, s: p.map(square, s, 1), (procs, SEEDS))
        assert msg and "40 tasks for 40 items" in msg, msg
        msg = rule(lambda p, s: [square(x) for x in p.map(int, s, 5)], (procs, SEEDS))
        assert msg and "40 of the 40 results you returned did not come from the pool" in msg, msg
        assert not {"map", "_map_async", "apply_async"} & set(vars(procs))
        assert procs.map(square, [3]) == [9.5]
        procs.close()
        procs.join()


def test_the_messages_speak_korean(pool, monkeypatch):
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    msgs = [pool_chunks_rule()(fn, (pool, SEEDS)) for fn in
            (lambda p, s: [square(x) for x in s], lambda p, s: p.map(square, s, 1),
             lambda p, s: p.map(square, s, 40))]
    for m in msgs:
        assert m and any("\uac00" <= ch <= "\ud7a3" for ch in m), m
        assert "40" in m


def stacked(chunk):
    """One (k, 3) array per chunk: its rows are the results."""
    import numpy as np

    return np.stack([np.full(3, square(s), np.float32) for s in chunk])


def as_dict(chunk):
    import numpy as np

    return {s: np.full(3, square(s), np.float32) for s in chunk}


def test_rows_of_a_stacked_chunk_and_dicts_per_chunk_are_the_pools():
    """A6 6: a task returning one stacked array per chunk (the answer returns its rows, views of
    what the pool handed back) or {seed: result} per chunk keeps the rule, on a process pool
    too; writing into the stacked array, or rows of an array computed here, does not."""
    import numpy as np

    rows = lambda p, s: [r for b in p.map(stacked, chunks(s, 10)) for r in b]        # noqa: E731
    looked_up = lambda p, s: (lambda got: [got[x] for x in s])(                      # noqa: E731
        {k: v for d in p.map(as_dict, chunks(s, 10)) for k, v in d.items()})
    with mp.get_context("fork").Pool(2) as procs:
        for p in (procs, ThreadPool(2)):
            rule = pool_chunks_rule()
            assert rule(rows, (p, SEEDS)) is None
            assert rule(looked_up, (p, SEEDS)) is None
            assert rule(lambda p, s: [r[1:] for b in p.map(stacked, chunks(s, 10)) for r in b], (p, SEEDS)) is None

            def written(p, s):
                blocks = p.map(stacked, chunks(s, 10))
                blocks[0][...] = 7
                return [r for b in blocks for r in b]

            msg = rule(written, (p, SEEDS))
            assert msg and "10 of the 40 results you returned changed after the pool returned it" in msg, msg
            msg = rule(lambda p, s: (p.map(stacked, chunks(s, 10)), list(stacked(s)))[1], (p, SEEDS))
            assert msg and "40 of the 40 results you returned did not come from the pool" in msg, msg
            msg = rule(lambda p, s: [np.array(r) for b in p.map(stacked, chunks(s, 10)) for r in b], (p, SEEDS))
            assert msg and "did not come from the pool" in msg, msg                 # copies are not views
        procs.close()
        procs.join()


def feature(s):
    import numpy as np

    return np.linspace(s, s + 1, 6, dtype=np.float32).reshape(2, 3) + np.float32(0.25)


def back(x):
    import numpy as np

    return np.asarray(x, np.float32)


def unview(x):
    return x.view("f4")


def untranspose(x):
    return x.T.copy()


def untranspose_view(x):
    return x.view("f4").T.copy()


def row(t):
    big, i = t
    return big[i].copy()


class Rebuilt:
    def __init__(self, a):
        self.rows = a.tolist()

    def __reduce__(self):
        import numpy as np

        return (np.array, (self.rows, "float32"))


def test_results_couriered_transposed_viewed_in_a_deque_rebuilt_or_as_rows_are_refused():
    """A6 4: results computed here reach the workers transposed, as an int32 view of their
    bytes, both at once, as a deque, in an object whose __reduce__ rebuilds them, or as rows of one
    stacked array; the workers only turn them back: refused, on a process pool and a thread pool."""
    import collections

    import numpy as np

    here = lambda s: [feature(x) for x in s]                  # noqa: E731
    couriers = {
        "transposed": lambda p, s: p.map(untranspose, [a.T.copy() for a in here(s)], 5),
        "int32 view": lambda p, s: p.map(unview, [a.view(np.int32) for a in here(s)], 5),
        "transposed int32 view": lambda p, s: p.map(untranspose_view, [a.T.copy().view(np.int32) for a in here(s)], 5),
        "deque": lambda p, s: p.map(back, [collections.deque(a.tolist()) for a in here(s)], 5),
        "__reduce__": lambda p, s: p.map(back, [Rebuilt(a) for a in here(s)], 5),
        "rows of one array": lambda p, s: p.map(row, [(np.stack(here(s)), i) for i in range(len(s))], 5),
    }
    with mp.get_context("fork").Pool(2) as procs:
        for p in (procs, ThreadPool(2)):
            for name, answer in couriers.items():
                if name == "__reduce__" and p is not procs:
                    continue                      # a thread pool never pickles
                msg = pool_chunks_rule()(answer, (p, SEEDS))
                assert msg and "were sent to the pool as arguments" in msg, (name, msg)
            assert pool_chunks_rule()(lambda p, s: p.map(feature, s, 5), (p, SEEDS)) is None
            assert pool_chunks_rule()(lambda p, s: p.map(feature, np.array(s), 5), (p, SEEDS)) is None
        procs.close()
        procs.join()
