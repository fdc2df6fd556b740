# attempt: answers for this machine only (USABLE), ignoring the cpus it is asked about
# expect: wrong
def thread_cap(workers, cpus):
    return max(1, USABLE // workers)
