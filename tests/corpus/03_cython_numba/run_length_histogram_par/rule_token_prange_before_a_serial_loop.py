# attempt: a token prange loop (`for y in prange(h): t += 1`), then the serial histogram loop
# expect: rule
# message: outside every `prange` loop
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    t = 0
    for y in prange(h):
        t += 1
    hist = np.zeros(max_len + 1, np.int64)
    for y in range(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                hist[min(run, max_len)] += 1
                run = 0
        if run:
            hist[min(run, max_len)] += 1
    return hist
