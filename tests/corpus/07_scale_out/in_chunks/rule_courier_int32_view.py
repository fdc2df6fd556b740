# attempt: every result computed here, sent as an int32 view of its bytes; the workers view the bytes back as float32 (no arithmetic: the very same bytes)
# expect: rule
# message: were sent to the pool as arguments
import functools


def in_chunks(pool, seeds):
    done_here = [scale.box_features(s).view(np.int32) for s in seeds]
    return pool.map(functools.partial(np.ndarray.view, dtype=np.float32), done_here,
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
