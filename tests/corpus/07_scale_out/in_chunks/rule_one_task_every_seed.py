# attempt: one task that carries every seed: a single worker does all the work, nothing is split
# expect: rule
# message: split the items into at least
def in_chunks(pool, seeds):
    return pool.apply(scale.features_chunk, (seeds,))
