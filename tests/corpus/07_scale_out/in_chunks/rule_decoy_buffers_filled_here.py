# attempt: the pool makes empty buffers (a decoy task, in chunks), then this process computes every result into them
# expect: rule
# message: changed after the pool returned it
import functools


def in_chunks(pool, seeds):
    out = pool.map(functools.partial(np.zeros, dtype=np.float32), [(30, 3)] * len(seeds),
                   chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
    for r, s in zip(out, seeds):
        r[...] = scale.box_features(s)
    return out
