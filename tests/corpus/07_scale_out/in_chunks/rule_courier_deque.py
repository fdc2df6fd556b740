# attempt: every result computed here, sent to the pool as a deque of row lists (not a list, a tuple or an array); the workers only turn it back into a float32 array
# expect: rule
# message: were sent to the pool as arguments
import collections
import functools


def in_chunks(pool, seeds):
    done_here = [collections.deque(scale.box_features(s).tolist()) for s in seeds]
    return pool.map(functools.partial(np.asarray, dtype=np.float32), done_here,
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
