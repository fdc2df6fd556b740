# attempt: two threads, each mapping half of the seeds to the pool in chunks
# expect: correct
from concurrent.futures import ThreadPoolExecutor


def in_chunks(pool, seeds):
    half = len(seeds) // 2
    with ThreadPoolExecutor(2) as threads:
        a = threads.submit(pool.map, scale.box_features, seeds[:half], 25)
        b = threads.submit(pool.map, scale.box_features, seeds[half:], 25)
        return a.result() + b.result()
