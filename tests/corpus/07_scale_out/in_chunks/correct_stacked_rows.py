# attempt: each task returns its chunk's results stacked in one (k, 30, 3) array (np.vectorize with a signature: one pickle per task); the answer returns the rows, views of what the pool handed back
# expect: correct
def in_chunks(pool, seeds):
    stack = np.vectorize(scale.box_features, signature="()->(n,f)")     # a chunk of seeds -> one array
    blocks = pool.map(stack, scale.chunked(seeds, max(1, len(seeds) // (4 * MAX_WORKERS))))
    return [row for block in blocks for row in block]
