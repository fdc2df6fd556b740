# attempt: every result computed here and stacked in one array, sent inside a partial; the workers only pick out their row (operator.getitem: no arithmetic)
# expect: rule
# message: were sent to the pool as arguments
import functools
import operator


def in_chunks(pool, seeds):
    done_here = np.stack([scale.box_features(s) for s in seeds])
    return pool.map(functools.partial(operator.getitem, done_here), range(len(seeds)),
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
