# attempt: each task builds {seed: features} for its chunk (dict over a zip with a lazy map: the workers compute it); the answer looks the seeds up in order
# expect: correct
def in_chunks(pool, seeds):
    parts = scale.chunked(seeds, max(1, len(seeds) // (4 * MAX_WORKERS)))
    got = {}
    for d in pool.map(dict, [zip(c, map(scale.box_features, c)) for c in parts]):
        got.update(d)
    return [got[s] for s in seeds]
