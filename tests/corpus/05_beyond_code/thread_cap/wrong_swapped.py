# attempt: workers // cpus: the division the wrong way round
# expect: wrong
def thread_cap(workers, cpus):
    return max(1, workers // cpus)
