# attempt: NumPy's floor division and maximum: a NumPy integer, a whole number, accepted
# expect: correct
def thread_cap(workers):
    return np.maximum(1, np.int64(USABLE) // workers)
