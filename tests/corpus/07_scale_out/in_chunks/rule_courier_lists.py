# attempt: computes every result here, sends them to the pool as lists, and the workers only turn them back into arrays
# expect: rule
# message: were sent to the pool as arguments
import functools


def in_chunks(pool, seeds):
    done_here = [scale.box_features(s).tolist() for s in seeds]
    return pool.map(functools.partial(np.asarray, dtype=np.float32), done_here,
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
