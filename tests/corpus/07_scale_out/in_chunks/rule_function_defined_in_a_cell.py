# attempt: a helper defined in a notebook cell, mapped on the spawn pool (its workers cannot import __main__): refused at once, before any worker sees it, not after the 30 s budget; the next attempts use the same pool
# expect: rule
# message: is defined in a notebook cell
def feature(s):
    return scale.box_features(s)

def in_chunks(pool, seeds):
    return pool.map(feature, seeds, chunksize=16)
