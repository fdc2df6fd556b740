# attempt: scale.features_chunk over scale.chunked, flattened
# expect: correct
def in_chunks(pool, seeds):
    parts = pool.map(scale.features_chunk, scale.chunked(seeds, max(1, len(seeds) // 8)))
    return [f for part in parts for f in part]
