# attempt: returns the lazy iterator of pool.imap, not a list
# expect: wrong
def in_chunks(pool, seeds):
    return pool.imap(scale.box_features, seeds, chunksize=25)
