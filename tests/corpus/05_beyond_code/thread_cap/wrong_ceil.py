# attempt: rounds up (math.ceil): fits on one or two CPUs, oversubscribes with 2 workers on 3 CPUs
# expect: wrong
import math

def thread_cap(workers, cpus):
    return max(1, math.ceil(cpus / workers))
