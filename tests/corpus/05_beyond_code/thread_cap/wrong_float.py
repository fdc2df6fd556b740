# attempt: true division: a float number of threads
# expect: wrong
def thread_cap(workers, cpus):
    return max(1.0, cpus / workers)
