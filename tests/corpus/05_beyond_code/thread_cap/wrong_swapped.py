# attempt: workers // USABLE: the division the wrong way round
# expect: wrong
def thread_cap(workers):
    return max(1, workers // USABLE)
