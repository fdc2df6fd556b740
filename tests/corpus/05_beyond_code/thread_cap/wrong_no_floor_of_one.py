# attempt: USABLE // workers: zero threads when there are more workers than CPUs
# expect: wrong
def thread_cap(workers):
    return USABLE // workers
