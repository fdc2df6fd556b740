# attempt: every seed sent once to a decoy task whose results are dropped, then computed in this process
# expect: rule
# message: did not come from the pool
def in_chunks(pool, seeds):
    pool.map(abs, seeds, chunksize=len(seeds))
    return [scale.box_features(s) for s in seeds]
