# attempt: pool.map with every argument by keyword
# expect: correct


def in_chunks(pool, seeds):
    return pool.map(func=scale.box_features, iterable=seeds,
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
