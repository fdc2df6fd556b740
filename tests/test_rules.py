"""optkit.rules.pool_chunks_rule: what a "send the work to this pool in chunks" task enforces
(07 Exercise A), on a real multiprocessing pool interface (ThreadPool: the same methods)."""
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

import numpy as np
import pytest

from optkit.check import Exercise
from optkit.rules import pool_chunks_rule


def square(s):
    return s * s


def squares(chunk):
    return [s * s for s in chunk]


@pytest.fixture(scope="module")
def pool():
    p = ThreadPool(2)
    yield p
    p.close()
    p.join()


SEEDS = list(range(40))

ACCEPTED = {
    "map with a chunksize": lambda p, s: p.map(square, s, chunksize=5),
    "map, multiprocessing's default chunksize": lambda p, s: p.map(square, s),
    "chunks of seeds": lambda p, s: [y for part in p.map(squares, [s[i:i + 10] for i in range(0, len(s), 10)])
                                     for y in part],
    "apply_async per chunk": lambda p, s: [y for r in [p.apply_async(squares, (s[i:i + 20],))
                                                       for i in range(0, len(s), 20)] for y in r.get()],
    "starmap with a chunksize": lambda p, s: p.starmap(square, [(x,) for x in s], 8),
    "a numpy array of chunks": lambda p, s: [y for part in p.map(squares, np.array_split(np.array(s), 4))
                                             for y in part],
}

REFUSED = {
    "a list comprehension here": (lambda p, s: [square(x) for x in s], "the pool got no work"),
    "chunksize=1": (lambda p, s: p.map(square, s, chunksize=1), "40 tasks for 40 items"),
    "apply per seed": (lambda p, s: [p.apply(square, (x,)) for x in s], "40 tasks for 40 items"),
    "imap (chunksize 1 by default)": (lambda p, s: list(p.imap(square, s)), "40 tasks for 40 items"),
    "half computed here": (lambda p, s: p.map(square, s[:20], chunksize=5) + [square(x) for x in s[20:]],
                           "20 of the 40 items never reached the pool"),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_chunked_answers_keep_the_rule(pool, name):
    assert pool_chunks_rule()(ACCEPTED[name], (pool, SEEDS)) is None
    assert not {"map", "apply", "apply_async", "imap"} & set(vars(pool))    # the pool is as it was


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_answers_that_bypass_the_pool_or_send_one_task_per_seed_break_it(pool, name):
    fn, says = REFUSED[name]
    msg = pool_chunks_rule()(fn, (pool, SEEDS))
    assert msg and says in msg, msg
    assert not {"map", "apply", "apply_async", "imap"} & set(vars(pool))


def test_the_pool_is_restored_when_the_answer_raises(pool):
    def broken(p, s):
        p.map(square, s, chunksize=4)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        pool_chunks_rule()(broken, (pool, SEEDS))
    assert not set(vars(pool)) & {"map", "map_async", "starmap", "apply", "apply_async", "imap"}
    assert pool.map(square, [3]) == [9]


def test_an_executor_counts_its_submits():
    with ThreadPoolExecutor(2) as ex:
        rule = pool_chunks_rule()
        assert "40 tasks for 40 items" in rule(lambda p, s: [p.submit(square, x).result() for x in s], (ex, SEEDS))
        assert rule(lambda p, s: [y for f in [p.submit(squares, s[:20]), p.submit(squares, s[20:])]
                                  for y in f.result()], (ex, SEEDS)) is None


def test_an_exercise_with_the_rule_refuses_what_ignores_the_pool(pool):
    e = Exercise("chunks", lambda p, s: [square(x) for x in s], lambda seed: (pool, list(range(seed, seed + 40))),
                 rules=[pool_chunks_rule()], time_budget_s=10)
    here = e.check(lambda p, s: [x * x for x in s], display=False)
    assert here.status == "wrong" and "the pool got no work" in here.message, here.message
    ones = e.check(lambda p, s: p.map(square, s, chunksize=1), display=False)
    assert ones.status == "wrong" and "round trip per item" in ones.message, ones.message
    assert e.check(lambda p, s: p.map(square, s, chunksize=10), display=False).status == "pass"
