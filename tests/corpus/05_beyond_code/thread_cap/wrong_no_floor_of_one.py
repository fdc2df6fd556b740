# attempt: cpus // workers: zero threads when there are more workers than CPUs
# expect: wrong
def thread_cap(workers, cpus):
    return cpus // workers
