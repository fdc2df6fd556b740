# attempt: rounds to the nearest (round): 2 workers on 3 CPUs get 2 threads each, 4 threads on 3 CPUs
# expect: wrong
def thread_cap(workers, cpus):
    return max(1, round(cpus / workers))
