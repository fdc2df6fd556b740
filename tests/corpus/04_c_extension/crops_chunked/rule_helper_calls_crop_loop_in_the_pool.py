# attempt: two chunks on the pool, each through a helper (a separate function, as if from
#          another cell) that calls crop_loop: the loop runs in the pool's threads, where the
#          calling thread's profiler does not look (found by an expert in review)
# expect: rule
# message: crop_loop
def crop_chunk(image, quads, size):
    return crop_loop(image, quads, size)


def crops_chunked(image, quads, size):
    parts = [pool.submit(crop_chunk, image, q, size) for q in np.array_split(quads, 2)]
    return np.concatenate([p.result() for p in parts])
