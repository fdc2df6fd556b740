# attempt: the seeds wrapped in a class defined in a notebook cell (its workers cannot import __main__): refused at once, before any worker sees it (it used to hang map), and the next attempts use the same pool
# expect: rule
# message: in the items or arguments sent to the pool
class Seed(int):
    pass


def in_chunks(pool, seeds):
    return pool.map(scale.box_features, [Seed(s) for s in seeds], chunksize=16)
