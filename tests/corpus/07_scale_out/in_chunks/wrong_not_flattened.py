# attempt: features_chunk over chunks, without flattening the list of lists
# expect: wrong
def in_chunks(pool, seeds):
    return pool.map(scale.features_chunk, scale.chunked(seeds, 50))
