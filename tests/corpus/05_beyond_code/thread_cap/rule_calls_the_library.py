# attempt: calls the library's version
# expect: rule
def thread_cap(workers, cpus):
    return system.threads_per_worker(workers, cpus=cpus)
