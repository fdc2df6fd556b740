# attempt: the pool's class method called with the pool (`Pool.map(pool, f, seeds, 25)`): the same map, in chunks
# expect: correct
def in_chunks(pool, seeds):
    return type(pool).map(pool, scale.box_features, seeds, 25)
