# attempt: pool.map with chunksize=1: every seed is its own task and round trip
# expect: rule
# message: one round trip per item
def in_chunks(pool, seeds):
    return pool.map(scale.box_features, seeds, chunksize=1)
