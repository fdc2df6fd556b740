# attempt: a comparison instead of a count (True is an int to Python, not a number of threads)
# expect: wrong
# message: a count is an int
def thread_cap(workers, cpus):
    return cpus >= workers
