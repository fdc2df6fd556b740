# attempt: the pool's class's imap called with the pool (`type(pool).imap(pool, f, seeds, 25)`), listed: the same chunks
# expect: correct
def in_chunks(pool, seeds):
    return list(type(pool).imap(pool, scale.box_features, seeds, 25))
