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
