# attempt: calls the library's version
# expect: rule
def thread_cap(workers):
    return system.threads_per_worker(workers, cpus=USABLE)
