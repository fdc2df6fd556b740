# attempt: every result computed here, sent to the pool transposed (the same numbers in another order); the workers only transpose them back (np.transpose: no arithmetic)
# expect: rule
# message: were sent to the pool as arguments
def in_chunks(pool, seeds):
    done_here = [scale.box_features(s).T.copy() for s in seeds]
    return pool.map(np.transpose, done_here, chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
