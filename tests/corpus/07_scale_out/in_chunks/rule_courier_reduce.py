# attempt: every result computed here, wrapped in an object whose __reduce__ rebuilds it with np.array from a list (the class itself is never pickled, so the pool does not refuse it); the workers only hand the array back
# expect: rule
# message: were sent to the pool as arguments
class Done:
    def __init__(self, a):
        self.rows = a.tolist()

    def __reduce__(self):
        return (np.array, (self.rows, "float32"))


def in_chunks(pool, seeds):
    return pool.map(np.asarray, [Done(scale.box_features(s)) for s in seeds],
                    chunksize=max(1, len(seeds) // (4 * MAX_WORKERS)))
