# attempt: apply_async for every seed, returning the AsyncResult objects (no .get())
# expect: wrong
def in_chunks(pool, seeds):
    return [pool.apply_async(scale.box_features, (s,)) for s in seeds]
