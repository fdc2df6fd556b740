# attempt: one shared histogram, the increment moved into a small @njit helper
# expect: wrong
# message: a data race?
@njit
def bump(hist, run, max_len):
    hist[min(run, max_len)] += 1


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    hist = np.zeros(max_len + 1, np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                bump(hist, run, max_len)
                run = 0
        if run:
            bump(hist, run, max_len)
    return hist
