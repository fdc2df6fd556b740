# attempt: every thread increments an alias hh = hist of one shared histogram (a data race)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    hist = np.zeros(max_len + 1, np.int64)
    for y in prange(h):
        hh = hist
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                hh[min(run, max_len)] += 1
                run = 0
        if run:
            hh[min(run, max_len)] += 1
    return hist
