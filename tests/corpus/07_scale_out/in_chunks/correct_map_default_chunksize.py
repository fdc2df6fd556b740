# attempt: pool.map without a chunksize (multiprocessing chooses one: about four chunks per worker)
# expect: correct
def in_chunks(pool, seeds):
    return pool.map(scale.box_features, seeds)
