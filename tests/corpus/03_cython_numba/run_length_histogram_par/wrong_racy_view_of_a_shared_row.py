# attempt: one shared (1, 65) histogram written through its row view hist[0][k] (a data race)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    hist = np.zeros((1, max_len + 1), np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                hist[0][min(run, max_len)] += 1
                run = 0
        if run:
            hist[0][min(run, max_len)] += 1
    return hist[0]
