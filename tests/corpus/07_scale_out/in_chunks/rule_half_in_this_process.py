# attempt: a few chunks to the pool, the rest of the seeds computed in this process
# expect: rule
# message: did not come from the pool
def in_chunks(pool, seeds):
    half = len(seeds) // 4
    return pool.map(scale.box_features, seeds[:half], chunksize=10) + [scale.box_features(s) for s in seeds[half:]]
