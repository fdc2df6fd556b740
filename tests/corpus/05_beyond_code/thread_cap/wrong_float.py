# attempt: true division: a float number of threads
# expect: wrong
def thread_cap(workers):
    return max(1.0, USABLE / workers)
