# attempt: int() of the true division (rounds down too)
# expect: correct
def thread_cap(workers, cpus):
    return max(1, int(cpus / workers))
