# attempt: NumPy's floor division and maximum: a NumPy integer, a whole number, accepted
# expect: correct
def thread_cap(workers, cpus):
    return np.maximum(1, np.int64(cpus) // workers)
