# attempt: computes every result here and hands the finished list to the workers inside a partial; they only pick one out
# expect: rule
# message: were sent to the pool as arguments
import functools
import operator


def in_chunks(pool, seeds):
    done_here = [scale.box_features(s) for s in seeds]
    return pool.map(functools.partial(operator.getitem, done_here), range(len(seeds)),
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
